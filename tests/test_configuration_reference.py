"""Every key the code reads is documented in password_config.example and in the README."""
import re

from utils import PROJECT_DIR

ACCESSOR = re.compile(r"\.(?:text|integer|number|boolean|items|url|choice|raw|is_set|path)\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']")
REQUIRE = re.compile(r"\.require\(([^)]*)\)")
KEY = re.compile(r"[\"']([A-Z][A-Z0-9_]+)[\"']")
# Every package of the suite; tests and benchmarks set keys, they do not read them.
NOT_SOURCE = ("tests", "benchmarks")


def source_files():
    yield from PROJECT_DIR.glob("*.py")
    for package in sorted(PROJECT_DIR.glob("*/__init__.py")):
        if package.parent.name not in NOT_SOURCE:
            yield from package.parent.rglob("*.py")


def keys_read_by_code():
    keys = {}
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        found = set(ACCESSOR.findall(text))
        for arguments in REQUIRE.findall(text):
            found |= set(KEY.findall(arguments))
        for key in found:
            keys.setdefault(key, path.relative_to(PROJECT_DIR).as_posix())
    return keys


def documented_in_example():
    text = (PROJECT_DIR / "password_config.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)\s*=", text, flags=re.M))


def test_the_scan_finds_keys_in_code():
    keys = keys_read_by_code()
    assert {"DATABASE_URL", "DATA_DIR"} <= set(keys)


def test_every_key_read_by_the_code_is_in_password_config_example():
    missing = {key: where for key, where in keys_read_by_code().items() if key not in documented_in_example()}
    assert missing == {}, "read by the code but not in password_config.example"


def test_every_key_in_password_config_example_has_a_comment_above_it():
    lines = (PROJECT_DIR / "password_config.example").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+\s*=", line):
            assert number and lines[number - 1].startswith("#"), f"{line} has no comment"


def test_every_key_read_by_the_code_is_in_the_readme_reference():
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    reference = readme.split("## Configuration reference", 1)[-1]
    missing = {key: where for key, where in keys_read_by_code().items() if f"`{key}`" not in reference}
    assert missing == {}, "read by the code but not in the README's configuration reference"
