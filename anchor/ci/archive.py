"""The bundle as one reproducible ``.tar.gz``, the file a release carries.

The same bundle always gives the same bytes: entries sorted by name (bytewise UTF-8),
under one top folder (the bundle's own name), modification times 0, owner 0/0 with no
names, modes 0644 for files and 0755 for folders, and a gzip header without name or
time. Only folders and regular files are packed; anything else in the bundle (a
symbolic link, a device) is refused with exit 4, as it is no part of a bundle that
``anchor collect`` and ``anchor publish`` write.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from pathlib import Path

from anchor.errors import InputError


def _entry(name: str, *, kind: bytes, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info


def _members(bundle: Path) -> list[tuple[str, Path]]:
    """``(name inside the archive, path)`` for the bundle folder and everything in it, sorted."""
    top = bundle.name
    found: list[tuple[str, Path]] = [(top, bundle)]
    for dirpath, dirs, names in os.walk(bundle):
        rel = Path(dirpath).relative_to(bundle).as_posix()
        prefix = top if rel == "." else f"{top}/{rel}"
        found.extend((f"{prefix}/{n}", Path(dirpath) / n) for n in dirs + names)
    return sorted(found, key=lambda pair: pair[0].encode("utf-8", "surrogateescape"))


def pack_bundle(bundle: Path, target: Path) -> Path:
    """Write ``bundle`` as a reproducible ``.tar.gz`` at ``target`` and return ``target``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in _members(bundle):
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                tar.addfile(_entry(name, kind=tarfile.DIRTYPE))
            elif stat.S_ISREG(mode):
                data = path.read_bytes()
                tar.addfile(_entry(name, kind=tarfile.REGTYPE, size=len(data)), io.BytesIO(data))
            else:
                raise InputError(f"{path} is neither a file nor a folder: not part of a bundle")
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as gz:
        gz.write(buffer.getvalue())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(packed.getvalue())
    return target
