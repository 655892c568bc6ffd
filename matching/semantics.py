"""Word meanings: sentence vectors from a static embedding model a package ships (no download).

Summaries say in their own words what a runbook's Meaning says in others ("Half or more of the
Alertmanager instances … are down" and "the Alertmanager cluster is down"); a stemmer and the
on-call vocabulary join some of these, an embedding of the words joins more.  The model is
WordLlama's `l2_supercat` token table (MIT licence, 32,000 tokens x 256 dimensions, in the
`wordllama` wheel): a sentence's vector is the mean of its tokens' vectors, so embedding a title
is a tokenisation and one small mean, well under a millisecond.

Only the files are used, never the package's code: importing it configures the root logger, and
its loader looks for the tokenizer on the network.  When the package is not installed
`installed_vectors()` is None and the matcher ranks on words alone (`matching.confidence` keeps a
model fitted for that case).
"""
import functools
import importlib.util
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGE = "wordllama"
TABLE_FILE = Path("weights") / "l2_supercat_256.safetensors"
TOKENIZER_FILE = Path("tokenizers") / "l2_supercat_tokenizer_config.json"
TENSOR = "embedding.weight"


class SentenceVectors:
    """Unit-length sentence vectors: the mean of the tokens' rows of an embedding table."""

    def __init__(self, table: np.ndarray, tokenizer) -> None:
        # float32 (32 MB for 32,000 tokens), not float16 as shipped: numpy converts half floats in software,
        # which was a third of an alert's embedding time.
        self.table = np.ascontiguousarray(table, dtype=np.float32)
        self.tokenizer = tokenizer

    @property
    def dimensions(self) -> int:
        return self.table.shape[1]

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row of length 1 (all zeros for a text with no token)."""
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return vectors
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            vectors[row] = self._mean_of(encoding.ids)
        return vectors

    def embed_one(self, text: str) -> np.ndarray:
        """embed([text])[0], without the batch's overhead: an alert is embedded alone."""
        return self._mean_of(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def _mean_of(self, token_ids: list[int]) -> np.ndarray:
        ids = [token for token in token_ids if 0 <= token < len(self.table)]
        if ids:
            total = self.table[ids].sum(axis=0)  # its direction is the mean's (sum() costs half of mean())
            length = float(np.sqrt(total @ total))
            if length > 0:
                return total / length
        return np.zeros(self.dimensions, dtype=np.float32)


def package_files(package: str = PACKAGE) -> Path | None:
    """The folder of an installed package, found without importing it; None when it is absent."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def load_vectors(table_path: Path, tokenizer_path: Path) -> SentenceVectors:
    """The model from its two files (raises OSError or ValueError when they are missing or broken)."""
    from safetensors import safe_open
    from tokenizers import Tokenizer

    with safe_open(str(table_path), framework="np") as weights:
        table = weights.get_tensor(TENSOR)
    return SentenceVectors(table, Tokenizer.from_file(str(tokenizer_path)))


@functools.lru_cache(maxsize=1)
def installed_vectors() -> SentenceVectors | None:
    """The shipped model, loaded once per process; None (logged once) when it cannot be had."""
    folder = package_files()
    if folder is None:
        log.info("No word-meaning model installed (%s); matching ranks on words alone.", PACKAGE)
        return None
    try:
        return load_vectors(folder / TABLE_FILE, folder / TOKENIZER_FILE)
    except Exception as error:  # a broken install of an optional model: words alone
        log.warning("The word-meaning model in %s could not be loaded (%s); matching ranks on words alone.",
                    folder, type(error).__name__)
        return None
