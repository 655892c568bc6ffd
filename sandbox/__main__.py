"""`python3 -m sandbox`: the demo's first process.

Starts the embedded PostgreSQL (and applies migrations) so the other processes join a
ready server, runs the local stand-ins that speak the real protocols, and prints one
short block saying where everything is.
"""
import argparse
import logging
import sys

import utils
from generate_documentation_db import database_connection

log = logging.getLogger("sandbox")


def describe_demo(log_dir, data_dir, database_url):
    """The block printed at demo start (pure, so it is tested as text)."""
    return "\n".join([
        "=" * 72,
        "Oncall Helper demo: every process runs against local stand-ins, no account needed.",
        f"  logs:      {log_dir}/<process>.log (one file per process)",
        f"  database:  {database_url}" + (f" (embedded, data in {data_dir})" if "host=/" in database_url else ""),
        "  stop:      Ctrl-C stops every process",
        "=" * 72,
    ])


def main(argv):
    parser = argparse.ArgumentParser(prog="python3 -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="start, print the block and exit")
    args = parser.parse_args(argv)
    config = utils.load_config()
    utils.configure_logging("sandbox", config)
    stopping = utils.stop_event()
    conn = database_connection.connect(config)
    url = database_connection.database_url(config)
    print(describe_demo(utils.LOG_DIR, database_connection.data_dir(config), url), flush=True)
    while not args.once and not stopping.wait(1):
        pass
    conn.close()
    log.info("Sandbox stopped.")


if __name__ == "__main__":
    utils.run_main(main)
