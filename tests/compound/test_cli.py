"""The CLI: scriptable with --json, and every mistake is one clear line and a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compound.adapters.broker import free_port
from compound.app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "c.db"
    monkeypatch.setenv("COMPOUND_DB", str(path))
    monkeypatch.delenv("COMPOUND_CONFIG", raising=False)
    assert main(["init", "--site", "t1"]) == 0
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_register_a_household_end_to_end(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["unit", "add", "3-2-1501"]) == 0
    assert main(["door", "add", "b3-e2", "--serves", "3-2"]) == 0
    out = run_json(
        capsys,
        "person",
        "add",
        "--name",
        "张伟",
        "--unit",
        "3-2-1501",
        "--role",
        "owner",
        "--id-number",
        "110101199001011234",
    )
    assert isinstance(out, dict) and isinstance(out["id"], int)
    pid = str(out["id"])
    assert main(["card", "add", pid, "10001"]) == 0
    pin = run_json(capsys, "pin", "set", pid)
    assert isinstance(pin, dict) and len(str(pin["pin"])) == 6
    page = run_json(capsys, "person", "list")
    assert isinstance(page, dict) and page["total"] == 1 and page["page"] == 1
    people = page["items"]
    assert people[0]["name"] == "张伟"
    assert people[0]["id_number"] == "110***********1234"  # masked when shown
    found = run_json(capsys, "person", "list", "zw", "--size", "10")  # pinyin initials
    assert isinstance(found, dict) and [p["name"] for p in found["items"]] == ["张伟"]
    shown = run_json(capsys, "person", "show", pid)
    assert isinstance(shown, dict) and {c["kind"] for c in shown["credentials"]} == {"card", "pin"}
    moved = run_json(capsys, "person", "move-out", pid)
    assert isinstance(moved, dict) and moved["credentials_revoked"] == 2
    events = [json.loads(line) for line in _lines(capsys, "events", "--json")]
    assert events[-1]["type"] == "person.moved_out"
    check = run_json(capsys, "log", "verify")
    assert isinstance(check, dict) and check["ok"] is True


def _lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip().splitlines()


def test_visitor_pass(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["unit", "add", "1-1-101"])
    out = run_json(capsys, "pass", "issue", "--unit", "1-1-101", "--name", "快递", "--hours", "2")
    assert isinstance(out, dict) and len(str(out["token"])) > 16
    assert out["valid_until"] - out["valid_from"] == pytest.approx(7200)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["unit", "add", "3-2"], "malformed room number"),
        (["person", "add", "--name", "A", "--unit", "9-9-909", "--role", "owner"], "unknown unit"),
        (
            [
                "person",
                "add",
                "--name",
                "A",
                "--unit",
                "1-1-101",
                "--role",
                "tenant",
                "--lease-start",
                "2027-01-02",
                "--lease-end",
                "2027-01-01",
            ],
            "before lease start",
        ),
        (
            [
                "person",
                "add",
                "--name",
                "A",
                "--unit",
                "1-1-101",
                "--role",
                "tenant",
                "--lease-end",
                "2027-13-01",
            ],
            "malformed lease end",
        ),
        (["person", "show", "999"], "unknown person 999"),
        (["card", "add", "1", "12ab"], "malformed card number"),
        (["door", "add", "x", "--serves", "3-2-1-1"], "malformed door scope"),
        (["alert", "ack", "5", "--by", "li"], "unknown alarm 5"),
        # taken as given before: the elderly and group-rental checks count on them
        (["unit", "add", "1-1-102", "--occupants", "-3"], "registered occupants are 0 to 99"),
        (
            ["person", "add", "--name", "A", "--unit", "1-1-101", "--role", "owner"]
            + ["--birth-year", "3000"],
            "a birth year is from 1900 to 2099",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    main(["unit", "add", "1-1-101"])
    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    after = sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert after == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["unit", "add", "1-1-102", "--occupants", "99999999999999999999"], "too large a number"),
        (["card", "add", "99999999999999999999999", "55555"], "too large a number"),
        (["events", "--limit", "99999999999999999999999"], "too large a number"),
        (["alert", "ack", "99999999999999999999999", "--by", "li"], "too large a number"),
        (["pass", "issue", "--unit", "1-1-101", "--name", "V", "--hours", "nan"], "not a number"),
        (["visit", "due", "--within", "inf"], "not a number"),
        (["person", "show", "abc"], "'abc' is not a whole number"),
    ],
)
def test_numbers_out_of_any_range_are_refused_before_the_command_runs(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Numbers SQLite cannot hold were an OverflowError traceback; nan made a pass that never
    ended. Each is now a usage error naming the argument."""
    main(["unit", "add", "1-1-101"])
    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "argument" in err and "Traceback" not in err
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0] == before


def test_duplicate_id_number(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["unit", "add", "1-1-101"])
    args = [
        "person",
        "add",
        "--name",
        "A",
        "--unit",
        "1-1-101",
        "--role",
        "owner",
        "--id-number",
        "110101199001011234",
    ]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "already registered" in capsys.readouterr().err


def test_missing_and_unreadable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(tmp_path / "none.db"), "person", "list"]) == 1
    assert "compound init" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"garbage" * 1000)
    assert main(["--db", str(junk), "person", "list"]) == 1
    assert "not a compound database" in capsys.readouterr().err


def test_locked_database(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another process holds the write lock: the CLI says so instead of hanging or crashing."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        capsys.readouterr()
        assert main(["unit", "add", "1-1-102"]) == 1
        assert "locked by another process" in capsys.readouterr().err
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[broker]\nport = 'high'\n")
    assert main(["--config", str(cfg), "--db", str(tmp_path / "x.db"), "init"]) == 2
    assert "broker.port must be a whole number" in capsys.readouterr().err


def test_broker_unreachable_is_retried_visibly_then_reported(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[broker]\nport = {free_port()}\n")
    monkeypatch.setenv("COMPOUND_BUS_TIMEOUT", "3")
    capsys.readouterr()
    assert main(["--config", str(cfg), "door", "unlock", "gate", "--reason", "test"]) == 1
    err = capsys.readouterr().err
    assert "retrying" in err and "unreachable" in err and "Traceback" not in err


def test_every_command_has_help_and_is_in_the_readme() -> None:
    """A command nobody can discover is a command nobody uses correctly."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = []
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        assert p.description, f"compound {name} has no help text"
        actions = [a for a in p._actions if a.dest == "action"]
        names = [f"{name} {n}" for n in actions[0].choices] if actions else [name]  # type: ignore[union-attr]
        missing += [n for n in names if f"compound {n}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"


def test_entry_point_exits_cleanly_on_bad_input(tmp_path: Path) -> None:
    env = {**os.environ, "COMPOUND_DB": str(tmp_path / "c.db")}
    r = subprocess.run(
        [sys.executable, "-m", "compound.app.cli", "unit", "add", "bad"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 1  # no database yet: told to run init
    assert "compound init" in r.stderr and "Traceback" not in r.stderr


def test_events_follow_prints_new_events_as_they_are_logged(db: Path) -> None:
    """The officer's terminal view: events written by another process appear within a second."""
    from compound.domain.clock import SystemClock
    from compound.store.db import Store

    env = {**os.environ, "COMPOUND_DB": str(db)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "compound.app.cli",
            "events",
            "--follow",
            "--json",
            "--door",
            "gate",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        # It says when it is following (and can be stopped cleanly); only then is anything new.
        assert "following new events" in proc.stderr.readline()
        writer = Store(db, SystemClock(), db.parent / "keys")
        writer.append_event("door.opened", door_id="other")
        writer.append_event("door.opened", door_id="gate", data={"n": 1})
        writer.close()
        assert proc.stdout is not None
        line = proc.stdout.readline()
        event = json.loads(line)
        assert event["door_id"] == "gate" and event["data"] == {"n": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_a_folder_that_cannot_be_made_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file where the database's folder should be: the path and the reason, no traceback."""
    (tmp_path / "afile").write_text("")
    capsys.readouterr()
    assert main(["--db", str(tmp_path / "afile/lib/c.db"), "init"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"compound: {tmp_path / 'afile/lib'}: Not a directory"


def test_ctrl_c_says_the_command_was_interrupted(db: Path) -> None:
    """Interrupted (here while it waits for the PIN on its input), the command says so and
    writes nothing; it used to end with 130 and not a word."""
    env = {**os.environ, "COMPOUND_DB": str(db)}
    argv = ["officer", "add", "--name", "O", "--badge", "7", "--pin", "-", "--by", "li"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "compound.app.cli", *argv],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # Blocked reading its standard input (system call 0, read, on descriptor 0): by then the
        # interpreter's Ctrl-C handler is in place.
        syscall = Path(f"/proc/{proc.pid}/syscall")
        while not syscall.read_text().startswith("0 0x0 "):
            assert proc.poll() is None, "it ended before reading its input"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.strip() == "compound: interrupted"
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM officers").fetchone()[0] == 0
