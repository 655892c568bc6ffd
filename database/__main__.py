"""`python3 -m database`: the suite's embedded PostgreSQL as a service of its own.

Every process starts (or joins) the embedded server under DATA_DIR when DATABASE_URL is not set,
and the last one to leave stops it.  Under systemd that puts the server in the cgroup of whichever
unit came first, so stopping or restarting that unit would kill the database under the other
three: the oncall-helper-database unit runs this instead, holding the server for as long as it
runs, and the other units start after it.  With DATABASE_URL set there is nothing to hold: it says
so and exits 0.
"""
import logging

import utils
from database.connection import apply_migrations, connect_url, data_dir, embedded_server

log = logging.getLogger("database")


def main(argv: list[str]) -> int:
    parser = utils.command_line("python3 -m database", __doc__.splitlines()[0])
    args = parser.parse_args(argv)
    config = utils.load_config(args.config)
    utils.configure_logging("database", config)
    if config.is_set("DATABASE_URL"):
        log.info("DATABASE_URL is set: the suite uses that server, and there is no embedded one to run.")
        return 0
    stopping = utils.stop_event()
    directory = data_dir(config) / "postgres"
    server = embedded_server(directory)
    conn = connect_url(server.get_uri())
    apply_migrations(conn)
    conn.close()
    log.info("Embedded PostgreSQL is running in %s; it stops when this process does.", directory)
    stopping.wait()
    server.cleanup()
    log.info("Embedded PostgreSQL stopped.")
    return 0


if __name__ == "__main__":
    utils.run_main(main)
