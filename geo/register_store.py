"""Where and how the register touches the disk: version ids, paths, the lock, crash safety.

Version ids
    One pattern, checked here before any file is touched: :data:`VERSION_ID_PATTERN`
    (letters, digits, ``-`` and ``_``, starting with a letter or digit, at most 40
    characters: ``2024``, ``2024-concept``, ``wijkteams_2025``). An id is never a path: no
    ``/``, ``..``, leading dot, or empty id, and :func:`version_dir` proves the folder lies
    directly inside ``boundaries/`` (symbolic links that lead elsewhere are refused).
The lock
    Every register command holds ``boundaries/.lock`` (:func:`register_lock`, an ``flock``
    that the kernel releases when a process dies) for the whole read-check-write, so a
    ``publish`` and an ``import`` of one draft happen one after the other, never interleaved.
Crash safety
    A version folder is replaced as a whole (:func:`geo.atomic.replace_dir`: written next to
    it, then two renames). After ``kill -9`` at any point the version is as before or as
    after; the next register command, on taking the lock, finishes or undoes the interrupted
    swap and removes the leftovers (:func:`geo.atomic.recover`), and reports what it did on
    stderr.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from geo.atomic import FolderLock, leftovers, recover, replace_dir
from geo.errors import WijkatlasError

__all__ = ["VERSION_ID_PATTERN", "check_version_id", "register_lock", "serialised",
           "version_dir", "write_version_folder"]

#: The one pattern of a version id.
#: Files declared on top of a version that a rewrite of its folder keeps (area levels).
KEEP_FILES = frozenset({"levels.toml"})
VERSION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
ID_RULE = ("letters, digits, '-' and '_', starting with a letter or digit, at most 40 "
           "characters (e.g. 2024 or 2024-concept)")

F = TypeVar("F", bound=Callable)


def boundaries_dir(root: str | Path) -> Path:
    return Path(root) / "boundaries"


def check_version_id(version_id: object) -> str:
    """Return ``version_id`` as text when it follows :data:`VERSION_ID_PATTERN`; refuse it
    otherwise (before anything is read or written)."""
    text = "" if version_id is None else str(version_id)
    if VERSION_ID_PATTERN.fullmatch(text):
        return text
    shown = text if len(text) <= 60 else text[:57] + "..."
    why = "is empty" if not text else "is longer than 40 characters" if len(text) > 40 else \
        "is not a valid version id"
    raise WijkatlasError(f"version id {shown!r} {why}.",
                         fix=f"use {ID_RULE}.", rule="version_id")


def version_dir(root: str | Path, version_id: object) -> Path:
    """The folder of a version: ``boundaries/<id>``, proven to lie directly inside
    ``boundaries/`` (checked id, no symbolic link leading out)."""
    vid = check_version_id(version_id)
    base = boundaries_dir(root)
    folder = base / vid
    if folder.is_symlink() or (folder.exists() and
                               folder.resolve().parent != base.resolve()):
        raise WijkatlasError(f"boundaries/{vid} is a link to somewhere else.", file=folder,
                             unit=vid, fix="a version folder must be a real folder inside "
                             "boundaries/; remove the link.", rule="path_outside")
    return folder


def register_lock(root: str | Path) -> FolderLock:
    """The lock of the register (``boundaries/.lock``). Entering it also recovers from an
    interrupted write (see the module docstring). Re-entrant within a process."""
    return _RegisterLock(boundaries_dir(root))


class _RegisterLock(FolderLock):
    def __init__(self, base: Path) -> None:
        super().__init__(base, name=".lock", what="the boundary register")
        self.base = base

    def __enter__(self) -> FolderLock:
        first = not self.held
        super().__enter__()
        if first:
            for folder in (self.base, self.base / ".published"):
                if leftovers(folder):
                    for line in recover(folder):
                        print(f"notice: {line}", file=sys.stderr)
        return self


def serialised(func: F) -> F:
    """Run a register function ``func(root, ...)`` holding the register lock."""

    @functools.wraps(func)
    def wrapper(root, *args, **kwargs):
        with register_lock(root):
            return func(root, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def write_version_folder(root: str | Path, version_id: str, files: Mapping[str, str],
                         refuse: Callable[[Path], None] | None = None) -> Path:
    """Replace the folder of a version by ``files`` (name -> text) as one transaction.

    Holds the register lock; ``refuse(folder)`` is called under it, right before writing
    (e.g. to refuse writing over a published version), so no other command can change the
    folder between the check and the write.
    """
    folder = version_dir(root, version_id)
    with register_lock(root):
        if refuse is not None:
            refuse(folder)
        with replace_dir(folder, lock=False, keep=KEEP_FILES.__contains__) as tmp:
            for name, text in files.items():
                (tmp / name).write_text(text, encoding="utf-8")
    return folder
