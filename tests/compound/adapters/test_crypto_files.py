"""Sealed files (``seal_file``/``open_file``), the backups' encryption, on real files: every
kind of damage is refused with a message that says which, and nothing half-decrypted is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compound.adapters.crypto import CHUNK, MAGIC, SealError, fingerprint, open_file, seal_file

KEY = bytes(range(32))


@pytest.fixture
def sealed(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(3 * CHUNK + 12345)  # four chunks, the last one short
    (tmp_path / "plain").write_bytes(data)
    seal_file(KEY, tmp_path / "plain", tmp_path / "sealed")
    return tmp_path / "sealed", data


def test_round_trip_and_nothing_readable_at_rest(
    sealed: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, data = sealed
    raw = path.read_bytes()
    assert raw.startswith(MAGIC) and data[:64] not in raw and KEY not in raw
    assert (path.stat().st_mode & 0o777) == 0o600
    open_file(KEY, path, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data


def test_the_same_file_seals_differently_each_time(tmp_path: Path) -> None:
    (tmp_path / "p").write_bytes(b"same")
    seal_file(KEY, tmp_path / "p", tmp_path / "a")
    seal_file(KEY, tmp_path / "p", tmp_path / "b")
    assert (tmp_path / "a").read_bytes() != (tmp_path / "b").read_bytes()


def damage_chunk(raw: bytes) -> bytes:
    b = bytearray(raw)
    b[len(MAGIC) + 31 + CHUNK + 16 + 100] ^= 1  # a byte inside chunk 1
    return bytes(b)


def cut_at_chunk(raw: bytes) -> bytes:
    return raw[: len(MAGIC) + 31 + 2 * (CHUNK + 16)]  # whole chunks, the last ones gone


def swap_chunks(raw: bytes) -> bytes:
    h, n = len(MAGIC) + 31, CHUNK + 16
    return raw[:h] + raw[h + n : h + 2 * n] + raw[h : h + n] + raw[h + 2 * n :]


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (damage_chunk, "chunk 1 is damaged"),
        (cut_at_chunk, "chunk 1 is damaged or the file is cut short"),
        (swap_chunks, "chunk 0 is damaged"),
    ],
)
def test_damage_is_refused(
    sealed: tuple[Path, bytes], tmp_path: Path, damage: object, said: str
) -> None:
    path, _ = sealed
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(SealError, match=said):
        open_file(KEY, path, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing half-decrypted is left"


def test_another_key_is_named_by_its_fingerprint(
    sealed: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, _ = sealed
    other = bytes(32)
    with pytest.raises(SealError) as e:
        open_file(other, path, tmp_path / "out")
    assert f"another key (fingerprint {fingerprint(KEY)})" in str(e.value)
    assert fingerprint(other) in str(e.value) and KEY.hex() not in str(e.value)
    assert not (tmp_path / "out").exists()


def test_a_plain_file_is_not_taken_for_a_sealed_one(tmp_path: Path) -> None:
    (tmp_path / "p").write_bytes(b"\x1f\x8b plain gzip")
    with pytest.raises(SealError, match="not an encrypted compound file"):
        open_file(KEY, tmp_path / "p", tmp_path / "out")
