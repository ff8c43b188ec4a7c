"""Seals on cache entries: this machine's ed25519 key signs the SHA-256 of an entry's files; trusted keys verify them."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReportgenError

__all__ = ["KEY_VAR", "TRUST_VAR", "Signer", "TrustedKey", "file_digest", "local_signer", "read_nofollow", "seal_message", "trusted_keys"]

KEY_VAR = "REPORTGEN_KEY"  # this machine's private key file (created on first use)
TRUST_VAR = "REPORTGEN_TRUST"  # files of other machines' public keys (`reportgen key` prints one), path-separated
_PREFIX = "reportgen-ed25519"
_MAX_SMALL = 1 << 20  # a seal or key file is a few hundred bytes; anything over a MiB is not one
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # no link followed, no FIFO waited on


@dataclass(frozen=True)
class TrustedKey:
    """A public key whose seals this machine accepts, and the name it is shown by."""

    public: bytes
    name: str
    local: bool = False

    @property
    def id(self) -> str:
        return hashlib.sha256(self.public).hexdigest()[:16]

    def verifies(self, signature: bytes, message: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def line(self) -> str:
        return f"{_PREFIX} {self.public.hex()} {self.name}"


@dataclass(frozen=True)
class Signer:
    """This machine's private key."""

    seed: bytes
    name: str

    @property
    def public(self) -> TrustedKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        raw = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return TrustedKey(raw, self.name, local=True)

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _key_file() -> Path:
    if os.environ.get(KEY_VAR):
        return Path(os.environ[KEY_VAR]).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "reportgen" / "cache-key"


def local_signer() -> Signer:
    """This machine's key: read from $REPORTGEN_KEY (or ~/.config/reportgen/cache-key), created there on first use."""
    path = _key_file()
    try:
        if not path.exists():
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            seed = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                              serialization.NoEncryption())
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(f"{seed.hex()} {socket.gethostname()}\n")
            os.replace(tmp, path)  # two first builds at once: one key wins, both then read it
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:  # as ssh refuses an unprotected private key: anyone who can read it can seal forged results
            raise ReportgenError(f"{path}: this machine's private cache key is open to others (mode {mode:04o}); anyone who "
                                 "can read it can seal forged results as this machine",
                                 hint=f"chmod 600 {path}, or point ${KEY_VAR} at a key only you can read")
        fields = path.read_text(encoding="ascii").split()
        seed = bytes.fromhex(fields[0])
        if len(seed) != 32:
            raise ValueError("not 32 bytes")
    except (OSError, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ReportgenError(f"{path}: cannot read this machine's cache key ({exc}); remove it to make a new one, "
                             f"or point ${KEY_VAR} at another") from None
    return Signer(seed, fields[1] if len(fields) > 1 else socket.gethostname())


def trusted_keys() -> list[TrustedKey]:
    """This machine's public key, then those listed in the files of $REPORTGEN_TRUST."""
    keys = [local_signer().public]
    for entry in os.environ.get(TRUST_VAR, "").split(os.pathsep):
        if entry.strip():
            keys.extend(_read_trust_file(Path(entry.strip()).expanduser()))
    return keys


def _read_trust_file(path: Path) -> list[TrustedKey]:
    try:
        if path.stat().st_size > _MAX_SMALL:
            raise ValueError("too large for a key file")
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ReportgenError(f"${TRUST_VAR}: cannot read the key file {path} ({exc})") from None
    keys = []
    for number, line in enumerate(lines, 1):
        fields = line.split(maxsplit=2)
        if not fields or fields[0].startswith("#"):
            continue
        try:
            public = bytes.fromhex(fields[1]) if fields[0] == _PREFIX and len(fields) > 1 else b""
        except ValueError:
            public = b""
        if len(public) != 32:
            raise ReportgenError(f"{path}:{number}: expected '{_PREFIX} <64 hex digits> [name]' (as `reportgen key` prints). "
                                 f"Received: {line[:80]!r}")
        keys.append(TrustedKey(public, fields[2].strip() if len(fields) > 2 else path.stem))
    return keys


def read_nofollow(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes, never through a symlink (OSError otherwise); at most limit bytes (ValueError beyond)."""
    fd = os.open(path, _READ)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        data = handle.read(limit + 1 if limit is not None else -1)
    if limit is not None and len(data) > limit:
        raise ValueError(f"{path} is larger than {limit} bytes")
    return data


def file_digest(path: Path) -> str:
    """SHA-256 of a regular file, read without following a symlink."""
    fd = os.open(path, _READ)
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal_message(entry: str, files: dict[str, str]) -> bytes:
    """What a seal signs: the entry's key and its files' digests (so a sealed entry cannot be moved to another key)."""
    return json.dumps({"entry": entry, "files": files}, sort_keys=True, separators=(",", ":")).encode()
