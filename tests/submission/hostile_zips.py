"""Hostile zip files built in the tests: path tricks, links, duplicates, and bombs written without the bytes they inflate to."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

CHUNK = 1 << 20


def plain_zip(path: Path, members: dict[str, bytes], *, mode: int | None = None) -> Path:
    """A zip of these members as given (names unchecked); `mode` sets the Unix mode of every member (a link: 0o120777)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.create_system, info.external_attr = 3, mode << 16
            archive.writestr(info, data)
    return path


def zeros_bomb(path: Path, mebibytes: int, name: str = "report.pdf") -> Path:
    """One member of `mebibytes` MiB of zeros, deflated to about 1 KiB per MiB: each MiB is compressed once and repeated
    (a full flush resets the compressor, so every MiB after the first deflates to the same bytes)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(CHUNK)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(zeros) + compressor.flush()
    data = first + middle * (mebibytes - 2) + last
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    size = mebibytes * CHUNK
    encoded = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0) + encoded
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded),
                          0, 0, 0, 0, 0o100644 << 16, 0) + encoded
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(data), 0)
    path.write_bytes(local + data + central + end)
    return path


def nul_name_zip(path: Path) -> Path:
    """A member whose stored name holds a NUL byte ('results.json\\0.sh'): zipfile would cut it to 'results.json'."""
    plain_zip(path, {"manifest.json": b"{}", "results.jsonX.sh": b"#!/bin/sh\n"})
    path.write_bytes(path.read_bytes().replace(b"results.jsonX.sh", b"results.json\0.sh"))  # both headers; no CRC covers names
    return path


def lying_directory_zip(path: Path, records: int = 200_000) -> Path:
    """An end record that declares one member, over a central directory of `records` of them (each parsed by zipfile)."""
    data = b"x"
    name = b"m.txt"
    crc = zlib.crc32(data)
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, 1, 1, len(name), 0) + name + data
    entry = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, crc, 1, 1, len(name),
                        0, 0, 0, 0, 0o100644 << 16, 0) + name
    central = entry * records
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path
