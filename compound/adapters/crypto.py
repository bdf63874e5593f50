"""Authenticated encryption with the ``cryptography`` library: one home for it.

- ``Sealer``: AES-256-GCM for small records (face templates, ID numbers), with associated data
  that binds a record to its owner, so a tampered or moved record fails (``SealError``).
- ``seal_file`` / ``open_file``: a file of any size encrypted in 1 MiB chunks (backups). Each
  chunk is AES-256-GCM under a key derived (HKDF-SHA256) from the box's backup key and a random
  salt of the file, with its index and a last-chunk flag in the nonce, so a chunk swapped,
  dropped, repeated or cut off at the end fails as surely as a changed byte. The header names
  the key by a short fingerprint, so a wrong key is told apart from a damaged file.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
MAGIC = b"compound-sealed/1\n"
CHUNK = 1 << 20
TAG = 16
_HEADER = struct.Struct(">16s8s7s")  # salt, key fingerprint, nonce prefix


class SealError(ValueError):
    """Data that does not decrypt: the message says whether the key or the data is wrong."""


class Sealer:
    """AES-256-GCM with associated data; ``open`` raises ``SealError`` on any change."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, data: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """``(nonce, ciphertext)``, a fresh random nonce of ``NONCE_BYTES`` each time."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, data, aad)

    def open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except (InvalidTag, ValueError):
            raise SealError("the data does not decrypt (altered, moved or another key)") from None


def fingerprint(key: bytes) -> str:
    """A short name for a key that reveals nothing of it (hex, 16 characters)."""
    return hashlib.sha256(b"compound-key-fingerprint:" + key).hexdigest()[:16]


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"compound-sealed-file/1")
    return AESGCM(kdf.derive(key))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I?", index, last)


def seal_file(key: bytes, src: Path, dest: Path) -> None:
    """Encrypt ``src`` into a new file ``dest`` (0600, fsync'd)."""
    salt, prefix = secrets.token_bytes(16), secrets.token_bytes(7)
    header = MAGIC + _HEADER.pack(salt, bytes.fromhex(fingerprint(key)), prefix)
    aead = _file_key(key, salt)
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
        out.write(header)
        index, block = 0, f.read(CHUNK)
        while True:
            following = f.read(CHUNK)
            last = not following
            out.write(aead.encrypt(_nonce(prefix, index, last), block, header))
            if last:
                break
            index, block = index + 1, following
        out.flush()
        os.fsync(out.fileno())


def key_of(path: Path) -> str | None:
    """The fingerprint of the key a sealed file was made with; ``None`` if it is not one."""
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + _HEADER.size)
    if len(head) < len(MAGIC) + _HEADER.size or not head.startswith(MAGIC):
        return None
    return _HEADER.unpack(head[len(MAGIC) :])[1].hex()


def open_file(key: bytes, src: Path, dest: Path) -> None:
    """Decrypt ``src`` into a new file ``dest`` (0600); ``SealError`` saying why not, and
    then ``dest`` is removed: nothing half-decrypted is left behind."""
    made_with = key_of(src)
    if made_with is None:
        raise SealError("it is not an encrypted compound file")
    if made_with != fingerprint(key):
        raise SealError(
            f"it was encrypted with another key (fingerprint {made_with}); "
            f"this key's fingerprint is {fingerprint(key)}"
        )
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            header = f.read(len(MAGIC) + _HEADER.size)
            salt, _, prefix = _HEADER.unpack(header[len(MAGIC) :])
            aead = _file_key(key, salt)
            index, block = 0, f.read(CHUNK + TAG)
            while True:
                following = f.read(CHUNK + TAG)
                last = not following
                try:
                    out.write(aead.decrypt(_nonce(prefix, index, last), block, header))
                except InvalidTag:
                    cut = " or the file is cut short" if last else ""
                    raise SealError(f"it does not decrypt: chunk {index} is damaged{cut}") from None
                if last:
                    break
                index, block = index + 1, following
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
