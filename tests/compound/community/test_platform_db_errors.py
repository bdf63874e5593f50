"""Every ``compound platform`` command, when PostgreSQL cannot be reached or refuses it (no
server, a wrong password, a database that does not exist): one line naming the database it
tried (never its password) and the reason, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from compound.adapters.broker import free_port
from compound.app.cli import main
from devkit.postgres import TempPostgres

COMMANDS = [
    ["status"],
    ["report", "--json"],
    ["register", "s1"],
    ["acknowledge", "--all-sites"],
    ["serve", "--listen", "127.0.0.1:0"],
    ["ingest", "--port", "1"],  # the database is opened before the broker
]


def one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    assert main(["platform", *argv]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "sekrit" not in err, "the password is never shown"
    return err


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_no_server_is_one_line_naming_where(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    dsn = f"postgresql://city:sekrit@127.0.0.1:{port}/district"
    err = one_line(capsys, [argv[0], "--db", dsn, *argv[1:]])
    assert err == (
        f"compound: platform database city@127.0.0.1:{port}/district: Connection refused"
    )


def test_an_unreadable_address_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line(capsys, ["status", "--db", "not an address"])
    assert err.startswith('compound: platform database (the address given): missing "="')


@pytest.mark.integration
def test_a_missing_database_or_a_wrong_password_is_one_line(
    pg: TempPostgres, capsys: pytest.CaptureFixture[str]
) -> None:
    where = f"127.0.0.1:{pg.port}"
    err = one_line(capsys, ["status", "--db", f"postgresql://postgres@{where}/nope"])
    assert (
        err == f'compound: platform database postgres@{where}/nope: database "nope" does not exist'
    )

    with psycopg.connect(pg.dsn, autocommit=True) as c:
        c.execute("DROP ROLE IF EXISTS pw_check")
        c.execute("CREATE ROLE pw_check LOGIN PASSWORD 'right'")
    assert pg.workdir is not None
    hba = Path(pg.workdir) / "data/pg_hba.conf"
    rules = hba.read_text()
    if "pw_check" not in rules:  # this role alone logs in with a password; the rest trust
        hba.write_text("host all pw_check 127.0.0.1/32 scram-sha-256\n" + rules)
        pg.pg_ctl("reload")
    for argv in COMMANDS[:4]:
        dsn = f"postgresql://pw_check:sekrit@{where}/postgres"
        err = one_line(capsys, [argv[0], "--db", dsn, *argv[1:]])
        assert err == (
            f"compound: platform database pw_check@{where}/postgres:"
            ' password authentication failed for user "pw_check"'
        )
    # the right password, but a role that may not create the platform's tables
    dsn = f"postgresql://pw_check:right@{where}/postgres"
    err = one_line(capsys, ["status", "--db", dsn])
    reason = "permission denied for schema public"
    assert err == f"compound: platform database pw_check@{where}/postgres: {reason}"
