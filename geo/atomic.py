"""Atomic writing: the one place where wijkatlas puts files and folders on disk.

Everything is written next to its target under a hidden temporary name and renamed into
place, so a reader sees the old content or the new, never half of it; a crash (even
``kill -9``) leaves the old content plus a hidden leftover that the next run removes.

Files
    :func:`atomic_path` (a temporary path for any writer: pyogrio, openpyxl, WeasyPrint ...),
    :func:`write_text`, :func:`write_bytes`, :func:`write_csv`, :func:`write_excel`,
    :func:`write_gpkg_layers`.
Folders
    :func:`replace_dir` builds a whole folder next to the target and swaps it in with two
    renames; :func:`recover` finishes or undoes a swap a crash interrupted (rolled forward
    when the new folder was complete, else back). A version folder of the register and the
    build folder are written this way.
Locks
    :class:`FolderLock` (``fcntl.flock``: released by the kernel when a process dies, so a
    killed run never leaves a stale lock) serialises writers of one folder.
Permissions
    Outputs get the ordinary modes (files 0666, folders 0777, minus the umask: 0644/0755
    with the usual umask 022), not the private 0600/0700 of ``mkstemp``/``mkdtemp``.

Temporary names are ``.<name>.wa-<kind>-<pid>-<random>[.ext]`` (kinds ``tmp``, ``new``,
``ready``, ``old``): hidden, recognisable, and tagged with the writing process so a leftover
of a process that is gone can be told from the work of one still running.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from geo.errors import WijkatlasError

__all__ = ["PUBLIC_MODE", "FolderLock", "atomic_path", "crash_point", "dir_mode", "file_mode",
           "leftovers", "recover", "remove_dir", "remove_leftovers", "replace_dir",
           "write_bytes", "write_csv", "write_excel", "write_gpkg_layers", "write_text"]

TEMP_NAME = re.compile(
    r"^\.(?P<name>.+)\.wa-(?P<kind>tmp|new|ready|old|del)-(?P<pid>\d+)-(?P<rand>[0-9a-f]{8})"
    r"(?P<suffix>\.[^./]*)?$")
#: Environment variables of the crash tests: ``kill -9`` the process at the named point, or
#: stop it there (SIGSTOP) so that another process can race it.
CRASH_ENV = "WIJKATLAS_CRASH_AT"
STOP_ENV = "WIJKATLAS_STOP_AT"


# --- permissions -------------------------------------------------------------------------------

#: Mode of published pages, PDFs and exports: readable by everyone whatever the umask (a web
#: server or a colleague reads them).
PUBLIC_MODE = 0o644


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode of an ordinary new file: 0666 minus the umask."""
    return 0o666 & ~_umask()


def dir_mode() -> int:
    """Mode of an ordinary new folder: 0777 minus the umask."""
    return 0o777 & ~_umask()


def _mkdirs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)


# --- crash tests -------------------------------------------------------------------------------

def _at(wanted: str | None, name: str) -> bool:
    return bool(wanted) and (wanted == name or (":" not in wanted and
                                                wanted == name.split(":", 1)[0]))


def crash_point(name: str) -> None:
    """Die like ``kill -9`` here when ``$WIJKATLAS_CRASH_AT`` names this point, or stop
    (SIGSTOP) when ``$WIJKATLAS_STOP_AT`` does (tests only).

    Points: ``file-replace`` (a file is complete, before its rename), ``dir-write`` (a new
    folder is being written), ``dir-ready`` (a new folder is complete), ``dir-old`` (the old
    folder moved aside, the new not yet in place), ``dir-swapped`` (the new folder in place,
    the old not yet removed). A point may be qualified by the target's name, e.g.
    ``dir-old:build`` or ``dir-old:2024``.
    """
    if _at(os.environ.get(CRASH_ENV), name):
        os.kill(os.getpid(), signal.SIGKILL)
    if _at(os.environ.get(STOP_ENV), name):
        os.kill(os.getpid(), signal.SIGSTOP)


def _temp_name(target: Path, kind: str, suffix: str = "") -> Path:
    return target.with_name(f".{target.name}.wa-{kind}-{os.getpid()}-{secrets.token_hex(4)}"
                            f"{suffix}")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- files -------------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(path: str | Path, *, suffix: str | None = None,
                public: bool = False) -> Iterator[Path]:
    """A temporary path next to ``path`` for any writer; renamed onto ``path`` on success.

    The temporary path does not exist yet and keeps ``path``'s extension (drivers such as
    GDAL's choose the format by it). On an exception it is removed and ``path`` is left as
    it was. The result gets the ordinary file mode, or with ``public`` :data:`PUBLIC_MODE`
    (set before the rename, so the file never shows with another mode).

    Examples
    --------
    >>> with atomic_path("out/report.pdf") as tmp:      # doctest: +SKIP
    ...     html.write_pdf(tmp)
    """
    path = Path(path)
    _mkdirs(path.parent)
    _remove_dead_temps(path)
    tmp = _temp_name(path, "tmp", path.suffix if suffix is None else suffix)
    try:
        yield tmp
        if tmp.is_dir():
            raise WijkatlasError("the writer made a folder where a file was expected.",
                                 file=path, fix="report this as a bug in wijkatlas.")
        os.chmod(tmp, PUBLIC_MODE if public else file_mode())
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        crash_point(f"file-replace:{path.stem}")
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def _remove_dead_temps(path: Path) -> None:
    """Remove temporary files a killed earlier write of ``path`` left next to it."""
    with contextlib.suppress(OSError):
        for entry in path.parent.glob(f".{glob_escape(path.name)}.wa-tmp-*"):
            match = TEMP_NAME.match(entry.name)
            if match and match["name"] == path.name and not _alive(int(match["pid"])):
                entry.unlink(missing_ok=True)


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters made literal."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def write_bytes(path: str | Path, data: bytes, *, public: bool = False) -> Path:
    """Write bytes to ``path`` atomically (``public``: see :func:`atomic_path`)."""
    with atomic_path(path, public=public) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, *, encoding: str = "utf-8",
               public: bool = False) -> Path:
    """Write a text file atomically (``public``: see :func:`atomic_path`)."""
    with atomic_path(path, public=public) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_csv(frame: pd.DataFrame, path: str | Path, *, spreadsheet: bool = True,
              **to_csv: object) -> Path:
    """Write a DataFrame as CSV atomically (streamed to a temporary file next to ``path``).

    With ``spreadsheet`` (the default) text cells that a spreadsheet would run as a formula
    get a leading apostrophe and control characters are removed
    (:func:`geo.untrusted.csv_safe`). Other keywords go to :meth:`pandas.DataFrame.to_csv`
    (e.g. ``sep=";"``, ``decimal=","``); ``index`` defaults to False.
    """
    from geo.untrusted import csv_safe

    to_csv.setdefault("index", False)
    if spreadsheet:
        frame = csv_safe(frame)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **to_csv)
    return Path(path)


def write_excel(path: str | Path, sheets: Mapping[str, pd.DataFrame],
                format_sheet: Callable | None = None, **to_excel: object) -> Path:
    """Write DataFrames as the sheets of one ``.xlsx`` atomically, safe for spreadsheets.

    Text is only ever text: control characters (which Excel cannot store) are removed and no
    cell becomes a formula (:func:`geo.untrusted.excel_safe_workbook`). ``format_sheet`` is
    called as ``format_sheet(worksheet, frame)`` per sheet for number formats, column widths
    etc. Sheet names are cut to Excel's 31 characters; ``index`` defaults to False.
    """
    from geo.untrusted import excel_clean, excel_safe_workbook, strip_control

    to_excel.setdefault("index", False)
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        used: set[str] = set()
        for name, frame in sheets.items():
            title = re.sub(r"[\[\]:*?/\\]", "_", strip_control(str(name)))[:31] or "Blad"
            base, n = title, 1
            while title.lower() in used:
                n += 1
                title = f"{base[:28]}_{n}"
            used.add(title.lower())
            clean = excel_clean(frame)
            clean.to_excel(writer, sheet_name=title, **to_excel)
            if format_sheet is not None:
                format_sheet(writer.sheets[title], clean)
        excel_safe_workbook(writer.book)
    return Path(path)


def write_gpkg_layers(path: str | Path, layers: Mapping[str, pd.DataFrame]) -> Path:
    """Write several layers (GeoDataFrames, or DataFrames as attribute tables) to one new
    GeoPackage atomically: either the whole file appears, or the old one stays as it was."""
    import geopandas as gpd
    import pyogrio

    with atomic_path(path, suffix=".gpkg") as tmp:
        for name, frame in layers.items():
            if not isinstance(frame, gpd.GeoDataFrame):
                frame = pd.DataFrame(frame)
            first = not tmp.exists()
            # GeoPackage 1.3: read without warnings by older GDAL (Debian 12, QGIS 3.22).
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", append=not first,
                                    dataset_options={"VERSION": "1.3"} if first else None)
    return Path(path)


# --- locks -------------------------------------------------------------------------------------

_HELD: dict[str, list] = {}  # lock file -> [file object, depth] (re-entrant per process)


class FolderLock:
    """An exclusive, re-entrant lock on a folder (the lock file ``<folder>/<name>``).

    Held with ``fcntl.flock``, so the kernel releases it when the process ends in any way
    (``kill -9`` included): a crash never leaves a stale lock. A second process waits up to
    ``timeout`` seconds (``$WIJKATLAS_LOCK_TIMEOUT``, default 120) and is then refused with
    a message naming the process holding it. Nested use in one process is allowed.
    """

    def __init__(self, folder: str | Path, *, name: str = ".lock", timeout: float | None = None,
                 what: str = "this folder") -> None:
        self.folder = Path(folder)
        self.file = self.folder / name
        self.timeout = float(os.environ.get("WIJKATLAS_LOCK_TIMEOUT", 120)) \
            if timeout is None else timeout
        self.what = what

    def __enter__(self) -> FolderLock:
        key = str(self.file.resolve())
        held = _HELD.get(key)
        if held is not None:
            held[1] += 1
            return self
        _mkdirs(self.folder)
        handle = open(self.file, "a+")  # noqa: SIM115 - kept open while the lock is held
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    owner = handle.read().strip() or "another process"
                    handle.close()
                    raise WijkatlasError(
                        f"{self.what} is being changed by another wijkatlas command "
                        f"({owner}); waited {self.timeout:.0f} s.", file=self.file,
                        fix="wait for that command to finish and try again.",
                        rule="locked") from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        _HELD[key] = [handle, 1]
        return self

    def __exit__(self, *exc: object) -> None:
        key = str(self.file.resolve())
        held = _HELD[key]
        held[1] -= 1
        if held[1] == 0:
            del _HELD[key]
            with contextlib.suppress(OSError):
                held[0].truncate(0)
            fcntl.flock(held[0].fileno(), fcntl.LOCK_UN)
            held[0].close()

    @property
    def held(self) -> bool:
        """Whether this process holds the lock."""
        return str(self.file.resolve()) in _HELD


# --- folders -----------------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(folder: str | Path) -> list[tuple[Path, dict]]:
    """Hidden temporary files and folders in ``folder`` left by processes that are gone."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for entry in sorted(folder.iterdir()):
        match = TEMP_NAME.match(entry.name)
        if match and not _alive(int(match["pid"])):
            found.append((entry, match.groupdict()))
    return found


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _carry_over(old: Path, new: Path, keep: Callable[[str], bool] | None) -> None:
    """Move what the old folder had and the new one lacks into the new one, if kept."""
    if keep is None or not old.is_dir():
        return
    for entry in sorted(old.iterdir()):
        if keep(entry.name) and not (new / entry.name).exists() and \
                not os.path.lexists(new / entry.name):
            entry.rename(new / entry.name)


def recover(folder: str | Path, keep: Callable[[str], bool] | None = None) -> list[str]:
    """Finish or undo the folder swaps and file writes a crash interrupted in ``folder``.

    Call it holding the folder's :class:`FolderLock`. A complete new folder (``ready``) is
    swapped in (roll forward); an old folder whose target is missing is put back (roll
    back); unfinished temporary files and folders of processes that are gone are removed.
    Returns one line per thing done, for the command to report.
    """
    folder = Path(folder)
    done: list[str] = []
    found = leftovers(folder)
    by_target: dict[str, dict[str, list[Path]]] = {}
    for path, info in found:
        by_target.setdefault(info["name"], {}).setdefault(info["kind"], []).append(path)
    for name, kinds in by_target.items():
        target = folder / name
        readies = sorted(kinds.get("ready", []), key=lambda p: p.stat().st_mtime)
        olds = kinds.get("old", [])
        if readies:  # the new content was complete: finish the swap
            ready = readies[-1]
            if target.exists():
                aside = _temp_name(target, "old")
                target.rename(aside)
                olds.append(aside)
            ready.rename(target)
            done.append(f"{target}: finished an interrupted update")
            for extra in readies[:-1]:
                _remove(extra)
        elif not target.exists() and olds:  # moved aside, new never arrived: roll back
            newest = max(olds, key=lambda p: p.stat().st_mtime)
            newest.rename(target)
            olds.remove(newest)
            done.append(f"{target}: restored after an interrupted update")
        for old in olds:
            if old.exists():
                _carry_over(old, target, keep)
                _remove(old)
                done.append(f"{target}: removed the previous copy an interrupted update left")
        for kind in ("new", "tmp"):
            for path in kinds.get(kind, []):
                _remove(path)
                done.append(f"{path}: removed an unfinished temporary "
                            f"{'folder' if kind == 'new' else 'file'}")
        for path in kinds.get("del", []):
            _remove(path)
            done.append(f"{target}: finished an interrupted removal")
    return done


def remove_leftovers(folder: str | Path) -> list[str]:
    """:func:`recover` for a folder holding files only (temporary files of dead runs)."""
    return recover(folder)


@contextlib.contextmanager
def replace_dir(target: str | Path, *, keep: Callable[[str], bool] | None = None,
                lock: bool = True, what: str | None = None) -> Iterator[Path]:
    """Build a folder to replace ``target`` as one transaction.

    Yields a new, empty hidden folder next to ``target``; write everything into it. When the
    block ends without error the new folder replaces ``target`` (two renames under the
    lock ``.<target>.lock`` next to it, with :func:`recover` making a crash between them
    harmless; ``lock=False`` when the caller holds a lock covering it); on an error it
    is removed and ``target`` is untouched. Entries of the old folder for which
    ``keep(name)`` is true and that the new folder lacks are moved over (e.g. files a user
    put there); by default nothing is carried over.

    Concurrent transactions on one target each build their own folder; the swaps are
    serialised by the lock, so the result is always one whole run's output.
    """
    target = Path(target)
    parent = target.parent
    _mkdirs(parent)

    def lock_ctx():
        return FolderLock(parent, name=f".{target.name}.lock", what=what or str(target)) \
            if lock else contextlib.nullcontext()

    if any(info["name"] == target.name for _, info in leftovers(parent)):
        with lock_ctx():  # a crashed run of this target: finish or undo its swap first
            recover(parent, keep)
    new = _temp_name(target, "new")
    new.mkdir(mode=0o700)
    try:
        yield new
        crash_point(f"dir-write:{target.name}")
        _chmod_tree(new)
        ready = _temp_name(target, "ready")
        new.rename(ready)  # complete: from here on a crash rolls forward
        new = ready
        crash_point(f"dir-ready:{target.name}")
        with lock_ctx():
            recover_own = [p for p, info in leftovers(parent) if info["name"] == target.name]
            if recover_own:
                recover(parent, keep)
            old = None
            if target.exists() or target.is_symlink():
                old = _temp_name(target, "old")
                target.rename(old)
                crash_point(f"dir-old:{target.name}")
            ready.rename(target)
            _fsync_dir(parent)
            crash_point(f"dir-swapped:{target.name}")
            if old is not None:
                _carry_over(old, target, keep)
                _remove(old)
    finally:
        if new.exists() and new != target:
            _remove(new)


def remove_dir(path: str | Path) -> None:
    """Remove a folder at once: renamed to a hidden name first (atomic), then deleted, so a
    crash never leaves half a folder under its own name (:func:`recover` finishes it)."""
    path = Path(path)
    trash = _temp_name(path, "del")
    path.rename(trash)
    crash_point(f"dir-removed:{path.name}")
    _remove(trash)


def _chmod_tree(root: Path) -> None:
    """Ordinary modes for a folder written with private temporary names."""
    fmode, dmode = file_mode(), dir_mode()
    os.chmod(root, dmode)
    for base, dirs, files in os.walk(root):
        for d in dirs:
            os.chmod(os.path.join(base, d), dmode)
        for f in files:
            p = os.path.join(base, f)
            if not os.path.islink(p):
                os.chmod(p, fmode)


def chmod_outputs(paths: Iterable[str | Path]) -> None:
    """Give written files the ordinary mode (for writers that create them privately)."""
    for p in paths:
        os.chmod(p, dir_mode() if Path(p).is_dir() else file_mode())
