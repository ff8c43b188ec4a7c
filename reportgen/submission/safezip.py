"""Zip files both ways: deterministic writing, and untrusted ones checked from their directory before a byte is inflated."""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from ..errors import ReportgenError
from ..limits import exceeded, limit

__all__ = ["UnsafeZip", "check_zip", "unpack", "write_zip"]

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # every member's time: the same inputs give the same bytes
_RATIO_FLOOR = 64 << 10  # members up to 64 KiB may compress as well as they like (a small JSON file of zeros is no bomb)
_EOCD = b"PK\x05\x06"
_MAX_NAME = 512  # bytes in a member's name: a submission's are short, and scratch folder + name must fit PATH_MAX
_RECORD_BOUND = 46 + _MAX_NAME + 1024  # bytes of one central-directory record: header, name, extra fields and comment
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafeZip(ReportgenError):
    """A zip refused before it is unpacked: the reason names the member and the rule (one line, exit 2)."""


def write_zip(members: dict[str, bytes], target: Path) -> Path:
    """Write `members` ({name: bytes}) as a zip at `target`, names sorted, fixed times and modes; whole or not at all."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o100644 << 16
                archive.writestr(info, members[name])
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _shown(name: str) -> str:
    text = ascii(name)[1:-1]
    return text if len(text) <= 100 else text[:97] + "..."


def _directory(tail: bytes, size: int) -> tuple[int, int, int]:
    """(declared member count, directory size, where the directory starts) from the end-of-central-directory record."""
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise UnsafeZip("refused: not a zip file (no end-of-central-directory record)")
    entries, directory, offset = struct.unpack("<HII", tail[at + 10:at + 20])
    if entries == 0xFFFF or offset == 0xFFFFFFFF:
        raise UnsafeZip("refused: a ZIP64 archive (a submission has far fewer and smaller members)")
    end = size - len(tail) + at  # the directory lies just before its end record (zipfile reads it there too)
    return entries, directory, end - directory


def _tail(source: Path | bytes) -> tuple[bytes, int]:
    """The last 64 KiB (where the end record is) and the whole size."""
    if isinstance(source, bytes):
        return source[-(65535 + 22):], len(source)
    with open(source, "rb") as stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(max(0, size - (65535 + 22)))
        return stream.read(), size


def _read_directory(source: Path | bytes, start: int, length: int) -> bytes:
    if isinstance(source, bytes):
        return source[start:start + length]
    with open(source, "rb") as stream:
        stream.seek(start)
        return stream.read(length)


def _scan_directory(source: Path | bytes, what: str) -> None:
    """Walk the central directory's raw records before zipfile parses it: a bounded read (its size, its member count
    against the end record's), and names as stored (zipfile cuts a name at a NUL byte, and shows no length)."""
    tail, size = _tail(source)
    entries, length, start = _directory(tail, size)
    if entries > limit("zip_members"):
        raise UnsafeZip(f"refused: {what}: " + exceeded("zip_members", f"{entries:,} members"))
    if length > limit("zip_members") * _RECORD_BOUND or start < 0:
        raise UnsafeZip(f"refused: {what}: its central directory claims {length:,} bytes, more than "
                        f"{limit('zip_members'):,} members of at most {_RECORD_BOUND:,} bytes each, or more than the file")
    data, at, found = _read_directory(source, start, length), 0, 0
    while at < len(data):
        if data[at:at + 4] != b"PK\x01\x02" or len(data) - at < 46:
            raise UnsafeZip(f"refused: {what}: its central directory is damaged at byte {at:,}")
        name_length, extra, comment = struct.unpack("<HHH", data[at + 28:at + 34])
        name = data[at + 46:at + 46 + name_length]
        found += 1
        if found > entries:
            raise UnsafeZip(f"refused: {what}: its central directory holds more members than its end record declares ({entries:,})")
        if b"\0" in name:
            raise UnsafeZip(f"refused: {what}: member '{_shown(name.decode('utf-8', 'replace'))}' has a NUL byte in its name")
        if name_length > _MAX_NAME:
            raise UnsafeZip(f"refused: {what}: member '{_shown(name.decode('utf-8', 'replace'))}' has a name of "
                            f"{name_length:,} bytes (at most {_MAX_NAME})")
        at += 46 + name_length + extra + comment
    if found != entries:
        raise UnsafeZip(f"refused: {what}: its end record declares {entries:,} members, its central directory holds {found:,}")


def check_zip(source: Path | bytes, what: str = "zip") -> zipfile.ZipFile:
    """Open a zip (a path or bytes) after checking its directory: member count, names, kinds, sizes and ratios against the
    limits; nothing is inflated. UnsafeZip with the first reason found."""
    _scan_directory(source, what)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnsafeZip(f"refused: {what} is not a readable zip file ({exc})") from None
    try:
        _check_members(archive.infolist(), what)
    except UnsafeZip:
        archive.close()
        raise
    return archive


def _check_members(infos: list[zipfile.ZipInfo], what: str) -> None:
    if len(infos) > limit("zip_members"):
        raise UnsafeZip(f"refused: {what}: " + exceeded("zip_members", f"{len(infos):,} members"))
    seen: set[str] = set()
    files: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        shown = _shown(name)
        mode = info.external_attr >> 16
        if info.flag_bits & 0x1:
            raise UnsafeZip(f"refused: {what}: member '{shown}' is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeZip(f"refused: {what}: member '{shown}' uses compression method {info.compress_type} (stored or deflated only)")
        if name.startswith("/") or _DRIVE.match(name):
            raise UnsafeZip(f"refused: {what}: member '{shown}' has an absolute path")
        parts = name.rstrip("/").split("/")
        if ".." in parts:
            raise UnsafeZip(f"refused: {what}: member '{shown}' leads out of the folder ('..')")
        if "\\" in name or _CONTROL.search(name) or any(p in ("", ".") for p in parts) or any(len(p.encode()) > 255 for p in parts):
            raise UnsafeZip(f"refused: {what}: member '{shown}' is not a plain relative path")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: permissions alone (Windows, Python's writestr)
            raise UnsafeZip(f"refused: {what}: member '{shown}' is a link or a special file")
        key = "/".join(parts).casefold()
        if key in seen:
            raise UnsafeZip(f"refused: {what}: member '{shown}' appears twice")
        seen.add(key)
        if info.is_dir():
            continue
        files.add(key)
        total += info.file_size
        if total > limit("zip_bytes"):
            raise UnsafeZip(f"refused: {what}: " + exceeded("zip_bytes", f"{total:,} bytes up to member '{shown}'"))
        if info.file_size > _RATIO_FLOOR and info.file_size > limit("zip_ratio") * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise UnsafeZip(f"refused: {what}: member '{shown}' " + exceeded("zip_ratio", f"{info.file_size:,} bytes from "
                                                                             f"{info.compress_size:,}, {ratio:,.0f} to 1"))
    for key in seen:
        parts = key.split("/")
        clash = next(("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in files), None)
        if clash:
            raise UnsafeZip(f"refused: {what}: member '{_shown(clash)}' is both a file and a folder")


def unpack(zip_path: Path, dest: Path) -> dict[str, Path]:
    """Check, then unpack into `dest` (an empty folder): regular files only, each created anew (never through a link),
    at most the sizes the directory declares. {member name: file}."""
    written: dict[str, Path] = {}
    with check_zip(zip_path, Path(zip_path).name) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = dest.joinpath(*info.filename.split("/"))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            except OSError as exc:  # a name this file system refuses (too long, a reserved name): refused, not a crash
                raise UnsafeZip(f"refused: member '{_shown(info.filename)}' cannot be unpacked here ({exc.strerror or exc})") from None
            try:
                with os.fdopen(descriptor, "wb") as out, archive.open(info) as member:
                    while chunk := member.read(1 << 20):  # zipfile stops at the declared size and checks the CRC
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
                raise UnsafeZip(f"refused: member '{_shown(info.filename)}' is damaged ({exc})") from None
            written[info.filename] = target
    return written
