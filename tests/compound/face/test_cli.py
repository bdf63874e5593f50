"""`compound face enroll / identify / delete` as a manager scripts them, with real dlib."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compound.app.cli import main
from tests.compound.face.conftest import ENROL_PHOTOS, STRANGER

pytestmark = pytest.mark.integration


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, (json.loads(out) if out.strip().startswith(("[", "{")) else out), err


def test_enroll_identify_delete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], johns: dict[str, list[Path]]
) -> None:
    """The scriptable path end to end: refused without a second credential, enrolled with
    consent, identified on a held-out photo, a stranger is null, deleted, then null again."""
    db = str(tmp_path / "c.db")
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "unit", "add", "3-2-1501"]) == 0
    assert (
        main(
            [
                "--db",
                db,
                "person",
                "add",
                "--name",
                "Shimkus",
                "--unit",
                "3-2-1501",
                "--role",
                "owner",
            ]
        )
        == 0
    )
    capsys.readouterr()
    photos = [str(p) for p in johns["John_Shimkus"][:ENROL_PHOTOS]]

    rc, _, err = _run(capsys, "--db", db, "face", "enroll", "1", *photos, "--consent-by", "Li")
    assert rc == 2 and "no card, PIN or pass" in err
    assert main(["--db", db, "card", "add", "1", "10001"]) == 0
    capsys.readouterr()

    rc, _, err = _run(capsys, "--db", db, "face", "enroll", "1", *photos, "--json")
    assert rc == 2 and "consent" in err

    rc, r, _ = _run(
        capsys,
        "--db",
        db,
        "face",
        "enroll",
        "1",
        *photos,
        str(tmp_path / "nope.jpg"),
        "--consent-by",
        "Manager Li",
        "--json",
    )
    assert rc == 0 and isinstance(r, dict)
    assert r["accepted"] >= 4 and r["images"][0]["reason"].startswith("cannot read")

    held_out = str(johns["John_Shimkus"][-1])
    rc, found, _ = _run(capsys, "--db", db, "face", "identify", held_out, "--json")
    assert rc == 0 and isinstance(found, list) and len(found) == 1
    assert found[0]["match"]["person_id"] == 1 and found[0]["match"]["name"] == "Shimkus"
    assert set(found[0]["box"]) == {"top", "right", "bottom", "left"}

    rc, found, _ = _run(capsys, "--db", db, "face", "identify", str(johns[STRANGER][0]), "--json")
    assert rc == 0 and found == [{"box": found[0]["box"], "match": None}]  # type: ignore[index]

    rc, r, _ = _run(capsys, "--db", db, "face", "delete", "1", "--json")
    assert rc == 0 and r == {"person_id": 1, "deleted": r["deleted"]} and r["deleted"] >= 4  # type: ignore[index]
    rc, found, _ = _run(capsys, "--db", db, "face", "identify", held_out, "--json")
    assert found[0]["match"] is None  # type: ignore[index]


def test_bad_files_get_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-image or a missing file is a user mistake: exit 2, one line, no traceback."""
    db = str(tmp_path / "c.db")
    main(["--db", db, "init"])
    capsys.readouterr()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for target in (str(text), str(tmp_path / "missing.jpg")):
        rc, _, err = _run(capsys, "--db", db, "face", "identify", target)
        assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_face_run_names_unknown_cameras_and_refuses_one_camera_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`compound face run` serves the cameras of [[face.cameras]]; asking for one that is not
    configured, or mixing the one-camera --source/--door with the list, is a clear refusal
    that starts nothing."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[face]\n[[face.cameras]]\nid = "gate-cam"\nsource = "rtsp://127.0.0.1:1/x"\n'
        'doors = ["gate"]\n[[face.cameras]]\nid = "b3-cam"\nsource = "replay:/nowhere"\n'
        'doors = ["b3-e2"]\n'
    )
    db = str(tmp_path / "c.db")
    rc, _, err = _run(capsys, "--config", str(cfg), "--db", db, "face", "run", "--camera", "x")
    assert rc == 2 and "unknown camera 'x'; configured: gate-cam, b3-cam" in err
    rc, _, err = _run(capsys, "--config", str(cfg), "--db", db, "face", "run", "--source", "0")
    assert rc == 2 and "choose cameras with --camera" in err


def test_face_run_refuses_a_door_rule_it_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A [[face.doors]] rule with a mistake stops `compound face run` before anything starts,
    with one line saying what to write: hours that are not a span, a door no camera watches,
    a mode that does not exist (the config's own check)."""
    db = str(tmp_path / "c.db")
    main(["--db", db, "init"])
    main(["--db", db, "door", "add", "gate", "--name", "Gate", "--serves", "*"])
    main(["--db", db, "door", "add", "b7", "--name", "B7", "--serves", "7"])
    capsys.readouterr()
    cams = '[[face.cameras]]\nid = "gate-cam"\nsource = "replay:/nowhere"\ndoors = ["gate"]\n'
    for rule, says in (
        ('id = "gate"\nchallenge = "hours"\nhours = ["10pm-6am"]', "malformed hours '10pm-6am'"),
        ('id = "b7"\nchallenge = "never"', "face door 'b7': no camera watches it"),
        ('id = "gate"\nchallenge = "night"', "face.doors[0].challenge is 'night'; allowed"),
    ):
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"{cams}[[face.doors]]\n{rule}\n")
        rc, _, err = _run(capsys, "--config", str(cfg), "--db", db, "face", "run")
        assert rc == 2 and says in err and err.count("\n") == 1, err


def test_face_run_refuses_a_camera_too_slow_for_the_challenge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A camera looked at more slowly than the challenge's longest gap between frames could
    never have a face answer it: `compound face run` says so and starts nothing, unless the
    camera's doors do not ask the challenge."""
    db = str(tmp_path / "c.db")
    main(["--db", db, "init"])
    main(["--db", db, "door", "add", "gate", "--name", "Gate", "--serves", "*"])
    capsys.readouterr()
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[face.cameras]]\nid = "gate-cam"\nsource = "replay:/nowhere"\ndoors = ["gate"]\n'
        "fps = 2.0\n"
    )
    rc, _, err = _run(capsys, "--config", str(cfg), "--db", db, "face", "run")
    assert rc == 2 and err.count("\n") == 1, err
    assert "camera gate-cam: fps 2 is too slow for the face challenge" in err
    assert "fps 2.5 or more" in err
