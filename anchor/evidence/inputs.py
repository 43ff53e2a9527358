"""Expand command-line inputs (files, directories, glob patterns) into named files.

Guarantees of :func:`expand_inputs`:

* every returned file is a regular file (or a symlink to one) that existed at expansion
  time; its ``path`` is the file the operating system opens for the argument, and its
  ``name`` is that path relative to ``root``, with ``/`` separators and Unicode NFC
  normalisation. Symlinks are not resolved, except where a ``..`` follows them: the OS
  takes ``link/..`` as the parent of the link's target, so the part up to the last ``..``
  is resolved as the OS does (never as text, which would name, and read, another file);
  such a path is named by its real place under the root (the root resolved alike);
* the result is sorted by the UTF-8 bytes of the name and holds each name once;
* directories are walked recursively; symlinks to files are followed, symlinks to
  directories met during a walk are not entered (an explicitly named one is);
* hidden entries (a name starting with ``.``) met during a walk or a glob are skipped
  unless ``include_hidden``; an explicitly named hidden file is always taken;
* the ``exclude`` directories (the bundle being written and its temporary siblings)
  are never entered.

Any problem (a missing path, a pattern matching nothing, a dangling symlink, a file
outside the root, a special file, two different files with one name, no files at all)
raises an :class:`~anchor.errors.InputError` subclass with one clear line.
"""

from __future__ import annotations

import glob
import os
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from anchor.errors import InputError
from anchor.merkle.jcs import encodable

_GLOB_MAGIC = frozenset("*?[")


class MissingInputError(InputError):
    """A path given on the command line does not exist, or a pattern matched nothing."""


class UnreadableInputError(InputError):
    """A file cannot be read: permission denied, dangling symlink, not a regular file."""


class NameCollisionError(InputError):
    """Two different files would be recorded under the same name."""


class EmptyInputError(InputError):
    """The inputs hold no files at all."""


class OutsideRootError(InputError):
    """An input lies outside the root its name is taken relative to."""


@dataclass(frozen=True)
class InputFile:
    """One file to collect: its manifest ``name``, its filesystem ``path`` and stat size."""

    name: str
    path: str
    size: int


def expand_inputs(
    args: Sequence[str],
    root: str,
    *,
    include_hidden: bool = False,
    exclude: Iterable[str] = (),
) -> list[InputFile]:
    """Expand ``args`` to the sorted, de-duplicated list of files to collect."""
    abs_root = os_path(root)
    if not os.path.isdir(abs_root):
        raise MissingInputError(f"root {root} is not a directory")
    walker = _Walker(abs_root, include_hidden, [os.path.abspath(p) for p in exclude])
    for arg in args:
        walker.add_arg(arg)
    files = sorted(walker.files.values(), key=lambda f: f.name.encode("utf-8"))
    if not files:
        shown = " ".join(args) if args else "(none)"
        hint = "" if include_hidden else " (hidden files are skipped; see --include-hidden)"
        raise EmptyInputError(f"no files to collect in {shown}{hint}")
    _check_case_collisions(files)
    return files


class _Walker:
    def __init__(self, abs_root: str, include_hidden: bool, exclude: list[str]) -> None:
        self.abs_root = abs_root
        self.include_hidden = include_hidden
        self.exclude = exclude
        # (parent, base) of each excluded directory, for the per-directory check in walks.
        self.exclude_parts = [os.path.split(ex) for ex in exclude]
        self.files: dict[str, InputFile] = {}
        self._real: str | None = None

    def _real_root(self) -> str:
        if self._real is None:
            self._real = os.path.realpath(self.abs_root)
        return self._real

    def add_arg(self, arg: str) -> None:
        if not os.path.lexists(arg) and _GLOB_MAGIC.intersection(arg):
            matches = sorted(
                glob.glob(arg, recursive=True, include_hidden=self.include_hidden),
                key=os.fsencode,
            )
            if not matches:
                raise MissingInputError(f"no files match {arg}")
            for match in matches:
                self._add_path(match, explicit=False)
            return
        if not os.path.lexists(arg):
            raise MissingInputError(f"no such file or directory: {arg}")
        self._add_path(arg, explicit=True)

    def _add_path(self, path: str, *, explicit: bool) -> None:
        abs_path = os_path(path)
        if self._excluded(abs_path):
            if explicit:
                raise InputError(f"{path} is inside the output directory")
            return
        st = _stat(path)
        if stat.S_ISDIR(st.st_mode):
            self._walk(abs_path, path, self._dir_prefix(abs_path))
        else:
            self._add_file(abs_path, path, st)

    def _excluded(self, abs_path: str) -> bool:
        parent_here, name = os.path.split(abs_path)
        for ex, (parent, base) in zip(self.exclude, self.exclude_parts, strict=True):
            if abs_path == ex or abs_path.startswith(ex + os.sep):
                return True
            if parent_here == parent and _excluded_name(name, [base]):
                return True
        return False

    def _dir_prefix(self, abs_dir: str) -> str | None:
        """What a child's name starts with ('' at the root); None outside the root."""
        rel = os.path.relpath(abs_dir, self.abs_root)
        if rel == os.curdir:
            return ""
        if rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return None  # every file below is outside the root: _name reports the first
        return "/".join(rel.split(os.sep)) + "/"

    def _walk(self, abs_dir: str, shown: str, prefix: str | None) -> None:
        # Called only for a directory that is not excluded, so a child can only be excluded
        # by being an excluded directory itself or one of its temporaries beside it.
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            raise UnreadableInputError(f"cannot read directory {shown}: {_reason(exc)}") from exc
        # Byte order of the names; for ASCII names that is their order as strings.
        if all(entry.name.isascii() for entry in entries):
            entries.sort(key=_entry_name)
        else:
            entries.sort(key=_entry_bytes)
        excluded_here = [base for parent, base in self.exclude_parts if parent == abs_dir]
        # os.path.join(folder, name) for a name with no separator, without a call per entry.
        dir_sep = os.path.join(abs_dir, "")
        shown_sep = os.path.join(shown, "")
        for entry in entries:
            name = entry.name
            if name.startswith(".") and not self.include_hidden:
                continue
            if excluded_here and _excluded_name(name, excluded_here):
                continue
            child = dir_sep + name
            if entry.is_symlink():
                child_shown = shown_sep + name
                st = _stat(child_shown)
                if stat.S_ISDIR(st.st_mode):
                    continue  # symlinked directories are not entered during a walk
                self._add_file(child, child_shown, st)
            elif entry.is_dir(follow_symlinks=False):
                self._walk(child, shown_sep + name, _child_prefix(prefix, name))
            elif prefix is None:
                child_shown = shown_sep + name
                self._add_file(child, child_shown, _stat(child_shown))
            else:
                self._add_walked_file(entry, child, shown_sep + name, prefix + name)

    def _add_walked_file(
        self, entry: os.DirEntry[str], child: str, shown_child: str, raw: str
    ) -> None:
        """A plain (non-symlink) file met in a walk, its name already relative to the root."""
        try:
            st = entry.stat()
        except OSError:
            st = _stat(shown_child)  # raises the one-line error
        self._add_file(child, shown_child, st, name=raw)

    def _add_file(
        self, abs_path: str, shown: str, st: os.stat_result, *, name: str | None = None
    ) -> None:
        """A file; ``name`` is its '/'-separated path relative to the root when the caller
        knows it, else it is worked out from ``abs_path``."""
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableInputError(f"{shown} is not a regular file")
        raw = self._relative(abs_path, shown) if name is None else name
        if not raw.isascii():
            if not encodable(raw):
                raise InputError(f"{shown}: file name is not valid UTF-8")
            raw = unicodedata.normalize("NFC", raw)
        self._record(raw, abs_path, st)

    def _record(self, name: str, abs_path: str, st: os.stat_result) -> None:
        previous = self.files.get(name)
        if previous is not None:
            if previous.path == abs_path:
                return  # the same file reached twice (overlapping arguments)
            raise NameCollisionError(
                f"two inputs have the name {name}: {previous.path} and {abs_path}"
            )
        self.files[name] = InputFile(name=name, path=abs_path, size=st.st_size)

    def _relative(self, abs_path: str, shown: str) -> str:
        """``abs_path`` relative to the root, '/'-separated; an error outside the root."""
        rel = os.path.relpath(abs_path, self.abs_root)
        if _outside(rel):  # the real place of a path resolved through its '..' may be inside
            rel = os.path.relpath(abs_path, self._real_root())
        if rel == os.curdir or _outside(rel):
            raise OutsideRootError(
                f"{shown} is outside the root {self.abs_root} (set --root to a common parent)"
            )
        return "/".join(rel.split(os.sep))


def os_path(path: str) -> str:
    """The absolute path of the file the OS opens for ``path``.

    Like :func:`os.path.abspath`, except for ``..``: the kernel takes ``a/link/..`` as the
    parent of the link's *target*, while ``abspath`` drops ``link/..`` as text. So the part
    up to the last ``..`` is resolved (:func:`os.path.realpath`) and the rest, which holds
    no ``..``, is appended as it is (its symlinks stay unresolved, as everywhere else).
    """
    text = path.replace(os.altsep, os.sep) if os.altsep else path
    parts = text.split(os.sep)
    if os.pardir not in parts:
        return os.path.abspath(path)
    last = len(parts) - 1 - parts[::-1].index(os.pardir)
    head = os.sep.join(parts[: last + 1]) or os.sep
    return os.path.normpath(os.path.join(os.path.realpath(head), *parts[last + 1 :]))


def _outside(rel: str) -> bool:
    return rel == os.pardir or rel.startswith(os.pardir + os.sep)


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _entry_bytes(entry: os.DirEntry[str]) -> bytes:
    return os.fsencode(entry.name)


def _child_prefix(prefix: str | None, name: str) -> str | None:
    return None if prefix is None else f"{prefix}{name}/"


def _excluded_name(name: str, bases: list[str]) -> bool:
    return any(
        name == base or name.startswith((f".{base}.tmp-", f".{base}.old-")) for base in bases
    )


def _check_case_collisions(files: list[InputFile]) -> None:
    seen: dict[str, str] = {}
    for f in files:
        folded = f.name.casefold()
        other = seen.get(folded)
        if other is not None:
            raise NameCollisionError(
                f"names {other} and {f.name} differ only in case "
                "(their proof files would collide on case-insensitive file systems)"
            )
        seen[folded] = f.name


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError as exc:
        if os.path.islink(path):
            raise UnreadableInputError(f"cannot read {path}: dangling symlink") from exc
        raise MissingInputError(f"no such file or directory: {path}") from exc
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {path}: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
