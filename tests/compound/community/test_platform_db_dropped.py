"""``compound platform status|register|acknowledge`` when PostgreSQL ends the connection part
way through the command (restarted, the backend ended by an administrator): one line naming
the database and what the server said, and whether anything changed; a non-zero exit, no
traceback, and nothing half done. The command is made to wait on a lock this test holds, so
the server is made to drop it mid-query, not before or after."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest

from compound.adapters.platform_db import PlatformDb
from devkit.postgres import TempPostgres

pytestmark = pytest.mark.integration

DB = "dropped_mid_command"
NOTHING = "nothing was changed"
UNCONFIRMED = (
    "the change was not confirmed; run the command again (what was made is not made twice)"
)


@pytest.fixture
def dsn(pg: TempPostgres) -> Iterator[str]:
    """A database of this test's own, with the platform's tables and one open refusal alarm."""
    with psycopg.connect(pg.dsn, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB}")
        c.execute(f"CREATE DATABASE {DB}")
    dsn = f"postgresql://postgres@127.0.0.1:{pg.port}/{DB}"
    db = PlatformDb(dsn)
    db.register_site("s0")
    db.count_refused({("s0", "bad signature"): 3})
    db.close()
    yield dsn
    with psycopg.connect(pg.dsn, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


@pytest.mark.parametrize(
    ("argv", "lock", "then"),
    [
        # a read waits behind an exclusive lock of a table it reads
        (["status"], "uplink_sites IN ACCESS EXCLUSIVE MODE", NOTHING),
        (["status", "--json"], "uplink_sites IN ACCESS EXCLUSIVE MODE", NOTHING),
        # a change waits to write (its reads before that pass)
        (["register", "s1"], "uplink_sites IN EXCLUSIVE MODE", UNCONFIRMED),
        (["acknowledge", "--all-sites"], "uplink_refused IN EXCLUSIVE MODE", UNCONFIRMED),
    ],
    ids=["status", "status-json", "register", "acknowledge"],
)
def test_a_connection_ended_mid_command_is_one_line(
    dsn: str, argv: list[str], lock: str, then: str
) -> None:
    holder = psycopg.connect(dsn)
    holder.execute(f"LOCK TABLE {lock}")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "compound.app.cli", "platform", argv[0],
             "--db", f"{dsn}?application_name=dropped-test", *argv[1:]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            with psycopg.connect(dsn, autocommit=True) as admin:
                while True:  # until the command waits on the lock held here
                    assert proc.poll() is None, proc.communicate()
                    row = admin.execute(
                        "SELECT pid FROM pg_stat_activity WHERE application_name ="
                        " 'dropped-test' AND wait_event_type = 'Lock'"
                    ).fetchone()
                    if row is not None:
                        break
                    time.sleep(0.05)
                admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
            out, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode == 1, err
    assert "Traceback" not in err and out == ""
    assert err.strip() == (
        f"compound: platform database {dsn.removeprefix('postgresql://')}:"
        f" terminating connection due to administrator command; {then}"
    )
    db = PlatformDb(dsn)
    try:
        assert db.next_seq("s1") is None, "nothing was registered"
        assert [r["acknowledged"] for r in db.refused()] == [0], "nothing was acknowledged"
    finally:
        db.close()
