"""Which sizes the benchmarks run: the quick ones by default (`make bench` in a few minutes), the full
ones with BENCH_SIZES=full (100,000 incidents, 100,000 runbook sections, 5,000 pages)."""
import os

FULL = os.environ.get("BENCH_SIZES", "quick").lower() == "full"


def sized(quick, full):
    """`full` under BENCH_SIZES=full, else `quick` (a command-line flag still wins over both)."""
    return full if FULL else quick


def announce(script: str, **sizes) -> None:
    """One line saying what this run measures, so every printed figure has its size beside it."""
    chosen = ", ".join(f"{name} {value}" for name, value in sizes.items())
    print(f"{script}: {chosen} ({'full' if FULL else 'quick'} sizes; BENCH_SIZES=full for the long ones)", flush=True)
