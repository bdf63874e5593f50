"""``compound backup`` with its key: an archive opens only with the key it was sealed with, the
key is never inside it, a new box restores an old box's archive with the kept copy of the key,
and ``--prune`` keeps the newest archives of the site."""

from __future__ import annotations

import os
import shutil
import tarfile
import time
from pathlib import Path

import pytest

from compound.app.cli import main
from tests.compound.app.test_backup import run, sha, unseal


def test_the_backup_key_is_not_in_the_archive(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    key = (box / "lib/backup.key").read_bytes()
    assert len(key) == 32 and ((box / "lib/backup.key").stat().st_mode & 0o777) == 0o600
    plain = unseal(box, Path(made["archive"]), box / "plain.tar.gz")
    with tarfile.open(plain) as tar:
        for m in tar:
            f = tar.extractfile(m)
            assert f is not None and key not in f.read(), m.name


def test_an_archive_sealed_with_another_key_is_refused_and_nothing_changes(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    (box / "other.key").write_bytes(bytes(32))
    (box / "other.key").chmod(0o600)
    files = [box / "lib/compound.db", box / "lib/keys/master.key", box / "mosquitto/passwd"]
    before = {p: sha(p) for p in files}
    for action in ("verify", "restore"):
        rc, _, err = run(capsys, "backup", action, made["archive"], "--key", str(box / "other.key"))
        assert rc == 2, err
        assert "cannot be decrypted with the key" in err and "another key (fingerprint" in err
    assert {p: sha(p) for p in files} == before


def test_without_the_key_nothing_is_restored_and_no_key_is_made(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    (box / "lib/backup.key").rename(box / "kept.key")
    rc, _, err = run(capsys, "backup", "restore", made["archive"])
    assert rc == 2 and "no backup key at" in err and "--key" in err, err
    assert not (box / "lib/backup.key").exists()


def test_a_new_box_restores_with_the_kept_key(
    box: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The box's disk died: a new box, the archive from the USB stick, the key from the safe."""
    assert main(["unit", "add", "5-1-0501"]) == 0
    rc, made, err = run(capsys, "backup", "create", str(box / "backups"))
    assert rc == 0, err
    stick = tmp_path / "stick"
    stick.mkdir()
    shutil.copy(made["archive"], stick)
    shutil.copy(box / "lib/backup.key", stick / "backup.key")
    new = tmp_path / "new"
    cfg = (box / "compound.toml").read_text().replace(str(box), str(new))
    (new / "mosquitto").mkdir(parents=True)
    (new / "compound.toml").write_text(cfg)
    monkeypatch.setenv("COMPOUND_CONFIG", str(new / "compound.toml"))
    archive = stick / Path(made["archive"]).name
    rc, _, err = run(capsys, "backup", "restore", str(archive))
    assert rc == 2 and "no backup key at" in err, err
    kept_key = str(stick / "backup.key")
    rc, done, err = run(capsys, "backup", "restore", str(archive), "--key", kept_key)
    assert rc == 0, err
    rc, units, err = run(capsys, "unit", "list")
    assert "5-1-0501" in [u["address"] for u in units]
    assert (new / "mosquitto/passwd").read_text() == "core:$7$hash\n"
    # The service's broker password matches the restored hashes: the core can log in.
    assert (new / "secrets/core.mqtt").read_text() == "core-password\n"
    assert ((new / "secrets/core.mqtt").stat().st_mode & 0o777) == 0o600
    rc, log, err = run(capsys, "log", "verify")
    assert rc == 0 and log["ok"], err


def test_prune_keeps_the_newest_archives_of_this_site(
    box: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = box / "backups"
    folder.mkdir()
    old = [folder / f"compound-t1-2026010{d}T031500Z.tar.gz.sealed" for d in (1, 2, 3)]
    other_site = folder / "compound-t2-20260101T031500Z.tar.gz.sealed"
    unrelated = folder / "notes.txt"
    for p in [*old, other_site, unrelated]:
        p.write_bytes(b"x")
    rc, made, err = run(capsys, "backup", "create", str(folder), "--prune", "--keep", "2")
    assert rc == 0, err
    assert sorted(made["pruned"]) == [str(old[0]), str(old[1])]
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted([old[2].name, Path(made["archive"]).name, other_site.name, "notes.txt"])


@pytest.mark.parametrize("keep", ["0", "-1"])
def test_prune_keeping_no_archive_is_refused_before_any_is_made_or_deleted(
    box: Path, capsys: pytest.CaptureFixture[str], keep: str
) -> None:
    """``--keep -1`` deleted every archive of the site, the one just made among them."""
    folder = box / "backups"
    folder.mkdir()
    old = folder / "compound-t1-20260101T031500Z.tar.gz.sealed"
    old.write_bytes(b"x")
    rc, _, err = run(capsys, "backup", "create", str(folder), "--prune", "--keep", keep)
    assert rc == 2 and "--keep" in err and "1 to 1000" in err
    assert [p.name for p in folder.iterdir()] == [old.name]


def test_the_archive_folder_never_holds_a_plain_copy(
    box: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy of the database and the unsealed archive (keys included) were made in the
    archive's folder, a USB stick perhaps: a backup stopped there (SIGTERM, a power cut) left
    them in it, in the clear. Looked at as the archive is sealed: the folder holds nothing yet,
    and afterwards the sealed archive alone. A staging folder a killed backup left beside the
    database a day ago is removed by the next."""
    import compound.app.backup_cli as backup_cli
    import compound.app.backup_files as backup_files
    from compound.adapters.crypto import seal_file

    folder = box / "usb"
    killed = box / "lib/.compound-backup-killed"
    killed.mkdir()
    os.utime(killed, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    seen: list[list[str]] = []

    def sealing(key: bytes, src: Path, dest: Path) -> None:
        seen.append(sorted(str(p.relative_to(folder)) for p in folder.rglob("*")))
        seal_file(key, src, dest)

    for module in (backup_cli, backup_files):  # where sealing is called from, before and after
        monkeypatch.setattr(module, "seal_file", sealing, raising=False)
    rc, made, err = run(capsys, "backup", "create", str(folder))
    assert rc == 0, err
    assert seen == [[]]
    assert [p.name for p in folder.rglob("*")] == [Path(made["archive"]).name]
    assert not list((box / "lib").glob(".compound-backup-*")), "no staging folder stays"
