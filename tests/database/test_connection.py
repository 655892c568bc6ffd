"""The embedded server and migrations, on real PostgreSQL in child processes."""
import os
import subprocess
import sys
import textwrap
import time

import psutil
import psycopg2
import pytest

from database import connection, schema
from database.connection import DatabaseUnavailable, url_for_database
from utils import PROJECT_DIR, Config, ConfigError


def start_child(code, env_overrides, *args):
    env = dict(os.environ, **env_overrides)
    env.pop("PASSWORD_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args], cwd=PROJECT_DIR, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def postgres_serving(data_dir):
    """Postmaster processes whose data directory is under `data_dir`."""
    return [
        proc for proc in psutil.process_iter(["name", "cmdline"])
        if proc.info["name"] == "postgres" and proc.info["cmdline"]
        and any(str(data_dir) in part for part in proc.info["cmdline"])
    ]


@pytest.fixture
def empty_database(pg_server_url):
    """A database with no migrations applied yet."""
    name = f"empty_{os.getpid()}_{time.monotonic_ns()}"
    admin = psycopg2.connect(pg_server_url)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield url_for_database(pg_server_url, name)
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


MIGRATE_AT_SIGNAL = """
    import json, sys
    from database import connection, schema
    from pathlib import Path
    conn = connection.connect_url(sys.argv[1])
    sys.stdin.readline()  # both children are connected; start together
    print(json.dumps(schema.apply_migrations(conn, Path(sys.argv[2]))))
"""


def test_two_processes_starting_together_apply_each_migration_once(empty_database, tmp_path):
    # The first migration is slow, so the second process arrives while it is running.
    (tmp_path / "0001_slow_table.sql").write_text("SELECT pg_sleep(1); CREATE TABLE incident_counts (n int);")
    (tmp_path / "0002_one_row.sql").write_text("INSERT INTO incident_counts VALUES (1);")
    children = [start_child(MIGRATE_AT_SIGNAL, {}, empty_database, str(tmp_path)) for _ in range(2)]
    time.sleep(1)
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    applied = sorted(out.strip() for out, _ in outputs)
    assert applied == ["[1, 2]", "[]"]
    with psycopg2.connect(empty_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM incident_counts")
        assert cur.fetchone()[0] == 1
        cur.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        assert cur.fetchall() == [(1, "slow_table"), (2, "one_row")]


def test_applying_migrations_again_changes_nothing(db):
    assert schema.apply_migrations(db) == []


def test_the_project_migrations_are_numbered_uniquely():
    versions = [version for version, _, _ in schema.migration_files()]
    assert versions and len(versions) == len(set(versions))


HOLD_A_CONNECTION = """
    import sys, utils
    from database import connection
    conn = connection.connect(utils.load_config())
    cur = conn.cursor()
    cur.execute("SELECT pg_postmaster_start_time()::text")
    print(cur.fetchone()[0], flush=True)
    sys.stdin.readline()
    cur.execute("SELECT 1")
    print("still served", cur.fetchone()[0], flush=True)
"""


def test_a_second_process_shares_the_embedded_server_and_keeps_it_after_the_first_exits(tmp_path):
    env = {"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}
    first = start_child(HOLD_A_CONNECTION, env)
    first_started = first.stdout.readline().strip()
    second = start_child(HOLD_A_CONNECTION, env)
    second_started = second.stdout.readline().strip()
    assert first_started and first_started == second_started  # one server, not two

    first.communicate("done\n", timeout=30)
    assert first.returncode == 0
    assert postgres_serving(tmp_path / "data")
    out, err = second.communicate("done\n", timeout=30)
    assert "still served 1" in out, err

    deadline = time.monotonic() + 15
    while postgres_serving(tmp_path / "data") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postgres_serving(tmp_path / "data"), "the last process out stops the server"


def test_database_url_is_honoured_and_no_embedded_server_is_started(database_url, tmp_path):
    config = Config({}, {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "unused")})
    conn = connection.connect(config)
    with conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        assert cur.fetchone()[0] == psycopg2.extensions.parse_dsn(database_url)["dbname"]
    conn.close()
    assert not (tmp_path / "unused").exists()


def test_a_database_url_that_is_not_postgres_is_refused_in_one_sentence():
    with pytest.raises(ConfigError, match="^DATABASE_URL must be a URL starting with postgresql:// or postgres://"):
        connection.database_url(Config({}, {"DATABASE_URL": "mysql://db/oncall"}))


def test_an_unreachable_server_is_an_outage_in_one_sentence_without_the_password():
    url = "postgresql://oncall:sup3rsecret@127.0.0.1:1/oncall"
    with pytest.raises(DatabaseUnavailable) as raised:
        connection.connect_url(url, wait_seconds=0)
    assert str(raised.value).startswith("PostgreSQL is unreachable:")
    assert "sup3rsecret" not in str(raised.value)


def test_a_crashed_server_is_a_lost_connection_and_a_bad_query_is_not(crashable_server):
    conn = psycopg2.connect(crashable_server.url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
    crashable_server.crash()
    with pytest.raises(psycopg2.Error) as crashed:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
    assert connection.connection_lost(crashed.value)
    crashable_server.start_again()
    conn = psycopg2.connect(crashable_server.url)
    for bad_sql in ("SELEC 1", "INSERT INTO schema_migrations (version, name) VALUES (1, 'again')"):
        with pytest.raises(psycopg2.Error) as bad:
            with conn, conn.cursor() as cur:
                cur.execute(bad_sql)
        assert not connection.connection_lost(bad.value)
    conn.close()


def test_every_write_to_the_incidents_table_moves_its_version_and_a_read_does_not(db):
    def version():
        with db, db.cursor() as cur:
            cur.execute("SELECT last_value + is_called::int FROM incidents_version")
            return cur.fetchone()[0]

    def run(sql):
        with db, db.cursor() as cur:
            cur.execute(sql)

    seen = [version()]
    for sql in ("INSERT INTO incidents (id, incident_number, title, status, urgency, created_at) VALUES "
                "('QV1', 1, 'DiskFull', 'triggered', 'high', now()), ('QV2', 2, 'DiskFull', 'triggered', 'high', now())",
                "UPDATE incidents SET status = 'resolved' WHERE id = 'QV1'",
                "DELETE FROM incidents WHERE id = 'QV2'"):
        run(sql)
        seen.append(version())
    run("SELECT count(*) FROM incidents")
    assert seen == [seen[0] + step for step in range(4)] and version() == seen[-1]
