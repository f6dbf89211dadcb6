"""The embedded engine's index files on disk: checking tantivy's footers and checksums, and
each process's private, verified copy of the index it searches (see search.embedded).

Searches never read the shared index files themselves: tantivy maps them into memory, and a
mapped file that is truncated under a process (a full disk, an operator, a bad copy) kills it
with SIGBUS on the next read. Each process reads a private copy instead, refreshed file by file
(segment files never change once written, so a commit copies only its new segment), and every
file is checked against the CRC32 in its tantivy footer as it is copied: a truncated or corrupt
file is reported as a damaged index (search.keeper rebuilds it), never mapped. Writers check the
footers of the shared files before they open them.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

READERS = "readers"
FOOTER_MAGIC = 1337  # tantivy's footer: [content][footer json][its length u32][1337 u32]


class IndexDamaged(Exception):
    """A file of the index is missing, truncated or corrupt."""


def segment_files(directory: Path) -> list[str]:
    """The names of the files of the segments that the index's meta.json lists."""
    try:
        meta = json.loads((directory / "meta.json").read_bytes())
        segments = {segment["segment_id"].replace("-", "") for segment in meta["segments"]}
    except FileNotFoundError as error:
        raise IndexDamaged(f"{directory.name} has no meta.json") from error
    except (ValueError, KeyError, TypeError) as error:
        raise IndexDamaged(f"{directory.name}/meta.json is unreadable: {error}") from error
    names = sorted(name for name in os.listdir(directory) if name.split(".", 1)[0] in segments)
    found = {name.split(".", 1)[0] for name in names}
    if found != segments:
        missing = len(segments - found)
        raise IndexDamaged(f"{directory.name} lacks the files of {missing} segment(s)")
    return names


def _footer(name: str, size: int, tail: bytes) -> dict[str, Any]:
    """The footer of a tantivy file from its last bytes (`tail`, at most the whole file)."""
    if size < 8 or len(tail) < 8 or struct.unpack("<I", tail[-4:])[0] != FOOTER_MAGIC:
        raise IndexDamaged(f"{name} is truncated (no footer)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    if length + 8 > min(size, len(tail)):
        raise IndexDamaged(f"{name} is truncated (a footer longer than the file)")
    try:
        footer = json.loads(tail[-8 - length : -8])
        footer["crc"] = int(footer["crc"])
    except (ValueError, KeyError, TypeError) as error:
        raise IndexDamaged(f"{name} has an unreadable footer") from error
    return dict(footer, length=length + 8)


def check_footers(directory: Path) -> None:
    """Cheap: every segment file of the index ends with a footer (truncation removes it)."""
    for name in segment_files(directory):
        with open(directory / name, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            file.seek(max(0, size - 512))
            _footer(name, size, file.read())


def _verified_copy(source: Path, target: Path) -> None:
    """Copy a segment file, checking its content against the CRC32 its footer records."""
    data = source.read_bytes()  # read(2), never mapped: a truncated file reads short
    footer = _footer(source.name, len(data), data[-512:])
    if zlib.crc32(memoryview(data)[: len(data) - footer["length"]]) != footer["crc"]:
        raise IndexDamaged(f"{source.name} is corrupt (its checksum does not match)")
    temporary = target.with_name(f"{target.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


class Mirror:
    """This process's private, verified copy of the indexes it searches (readers/<pid>-<n>)."""

    def __init__(self, root: Path):
        self.readers = root / READERS
        self.pid = os.getpid()
        self.directory = self.readers / f"{self.pid}-{uuid.uuid4().hex[:8]}"
        _remove_dead_mirrors(self.readers)
        atexit.register(shutil.rmtree, self.directory, True)

    def sync(self, source: Path) -> Path:
        """Bring the copy of index `source` up to date; returns its directory."""
        target = self.directory / source.name
        target.mkdir(parents=True, exist_ok=True)
        meta = (source / "meta.json").read_bytes()
        try:
            wanted = segment_files(source)
            for name in wanted:
                if not (target / name).exists():
                    _verified_copy(source / name, target / name)
        except FileNotFoundError as error:  # a merge removed it meanwhile, or damage
            raise IndexDamaged(f"{source.name} lost a file: {error.filename}") from error
        if (source / "meta.json").read_bytes() != meta:
            raise IndexDamaged(f"{source.name} changed while it was copied; try again")
        temporary = target / f"meta.json.{uuid.uuid4().hex}.tmp"
        temporary.write_bytes(meta)
        os.replace(temporary, target / "meta.json")
        keep = {*wanted, "meta.json"}
        for path in target.iterdir():  # open maps of removed files stay valid (unlinked)
            if path.name not in keep and not path.name.startswith("."):
                path.unlink(missing_ok=True)
        for other in self.directory.iterdir():  # copies of indexes no longer searched
            if other != target and other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
        return target


def _remove_dead_mirrors(readers: Path) -> None:
    if not readers.is_dir():
        return
    for mirror in readers.iterdir():
        pid = mirror.name.split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(mirror, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
