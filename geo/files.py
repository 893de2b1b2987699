"""Opening what users give: one place that turns unreadable input into one clear refusal.

Every reader of the engine goes through these functions, so a missing file, a folder where a
file was expected, a file without read permission, a damaged GeoPackage, a TOML file that is
not UTF-8 or not TOML, and an output folder that cannot be written (used by
:mod:`geo.paths`) are all refused the same way: a :class:`geo.errors.WijkatlasError` naming
the file and the fix, before any work is done. Files that are not what their name claims are
recognised from their first bytes, so reading stops early (bounded time and memory) instead
of parsing a gigabyte of noise.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from geo.errors import WijkatlasError, shorten

#: First bytes of the containers the engine reads.
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGIC = b"PK\x03\x04"

__all__ = [
    "decode_text", "read_toml", "read_vector", "require_file", "require_keys", "sniff",
    "writable_folder",
]


def require_file(path: str | Path, *, what: str = "file", option: str | None = None,
                 empty_ok: bool = False) -> Path:
    """Return ``path`` when it is an existing, readable, non-empty regular file.

    Parameters
    ----------
    path
        The file.
    what
        What the file should be (used in the message, e.g. ``"values table"``).
    option
        The command-line option that named it, for the fix (e.g. ``"--values"``).
    empty_ok
        Accept a file of 0 bytes.
    """
    path = Path(path)
    name = f" with {option}" if option else ""
    if not path.exists():
        raise WijkatlasError(f"{what} not found: there is no such file.", file=path,
                             fix=f"check the path given{name}.")
    if path.is_dir():
        raise WijkatlasError(f"this is a folder, not a {what}.", file=path,
                             fix=f"name the file inside the folder{name}.")
    if not os.access(path, os.R_OK):
        raise WijkatlasError(f"the {what} cannot be read (no permission).", file=path,
                             fix="give yourself read permission or copy the file elsewhere.")
    if not empty_ok and path.stat().st_size == 0:
        raise WijkatlasError(f"the {what} is empty (0 bytes).", file=path,
                             fix="save the file again from the program that made it.")
    return path


def sniff(path: str | Path, size: int = 64 * 1024) -> bytes:
    """The first ``size`` bytes of a file (to recognise its type without reading it all)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def decode_text(data: bytes, path: str | Path, encoding: str | None = None) -> str:
    """Text of a CSV file as Dutch systems write it: UTF-8 (with or without BOM), else
    Windows-1252 / Latin-1; UTF-16 and binary files are refused.

    Parameters
    ----------
    data
        The file's bytes.
    path
        The file, for messages.
    encoding
        Use this encoding instead of detecting one.
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise WijkatlasError(f"cannot be read as {encoding} ({shorten(str(exc))}).",
                                 file=path, fix="give the right encoding, or save the file "
                                 "as UTF-8.") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:65536]:
        raise WijkatlasError("unreadable encoding (UTF-16 or a binary file, not text CSV).",
                             file=path, fix="save the file as CSV in UTF-8 (or Latin-1).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise WijkatlasError("unreadable encoding (neither UTF-8 nor Windows-1252/Latin-1).",
                             file=path, fix="save the file as CSV in UTF-8.") from None


def read_toml(path: str | Path, *, what: str = "TOML file",
              fix: str = "correct the file (UTF-8 text in TOML syntax).") -> dict:
    """Read a TOML file; anything wrong with it is one :class:`WijkatlasError`.

    Refused: a missing file or a folder, no read permission, text that is not UTF-8 (with the
    byte position), and TOML syntax errors (with the line and column).
    """
    path = require_file(path, what=what, empty_ok=True)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WijkatlasError(
            f"the {what} is not UTF-8 text (byte {exc.start}: "
            f"{exc.object[exc.start:exc.start + 1]!r}).",
            file=path, fix="save it as UTF-8; " + fix) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WijkatlasError(f"the {what} is not valid TOML ({exc}).", file=path,
                             fix=fix) from exc


def require_keys(raw: dict, keys: tuple[str, ...] | list[str], *, file: str | Path,
                 what: str, unit: str | None = None, example: str = "") -> None:
    """Refuse a configuration table that lacks one of ``keys``."""
    missing = [k for k in keys if k not in raw or raw[k] in ("", None)]
    if missing:
        raise WijkatlasError(
            f"the {what} has no {', '.join(missing)}.", file=file, unit=unit,
            fix=f"add {' and '.join(missing)} to it" + (f", e.g. {example}" if example else "")
            + ".")


def read_vector(path: str | Path, *, layer: str | int | None = None, what: str = "vector layer",
                option: str | None = None, **kwargs):
    """Read a vector file with pyogrio; unreadable or damaged files are one refusal.

    A ``.gpkg`` that does not start like an SQLite database is refused from its first bytes.
    """
    import warnings

    import pyogrio
    import pyogrio.errors

    path = require_file(path, what=what, option=option)
    if path.suffix.lower() == ".gpkg" and not sniff(path, 16).startswith(SQLITE_MAGIC):
        raise WijkatlasError(f"not a GeoPackage (the file does not start like one), so it "
                             f"cannot be read as a {what}.", file=path,
                             fix="give a GeoPackage written by QGIS, GDAL or wijkatlas.")
    # GDAL's warnings about a damaged file are kept back: when the file cannot be read the
    # one refusal says it all; when it can, they are passed on.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(path, layer=layer, **kwargs)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            layers = ""
            if layer is not None:
                try:
                    layers = ", ".join(str(n) for n in pyogrio.list_layers(path)[:, 0])
                except Exception:  # only for the message
                    layers = ""
            hint = (f"name one of its layers ({shorten(layers)})" if layers else
                    "export it again as GeoPackage, GeoJSON or Shapefile")
            raise WijkatlasError(f"the {what} cannot be read: {_gdal_reason(exc)}.",
                                 file=path, fix=hint + ".") from exc
        except (pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
                pyogrio.errors.CRSError, OSError, ValueError) as exc:
            raise WijkatlasError(f"the {what} cannot be read: {_gdal_reason(exc)}.",
                                 file=path, fix="export it again as GeoPackage, GeoJSON or "
                                                "Shapefile.") from exc
    for item in caught:
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return frame


def _gdal_reason(exc: Exception) -> str:
    """The part of a GDAL error a user can act on (GDAL joins its messages with ';')."""
    parts = [p.strip() for p in str(exc).split(";") if p.strip()]
    reason = parts[-1] if parts else type(exc).__name__
    return shorten(reason.rstrip("."), 160)


def writable_folder(folder: Path, target: Path, option: str) -> None:
    """Refuse when ``folder`` (or, when it does not exist yet, its first existing parent)
    cannot take a new file: tried with a probe file, since permission bits do not tell for
    root, read-only disks or special file systems."""
    import tempfile

    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise WijkatlasError(f"{existing} is a file, so no folder can be made in it.",
                             file=target, fix=f"give {option} a path in a folder.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".wijkatlas-probe-", dir=existing)
    except OSError as exc:
        raise WijkatlasError(
            f"the folder {existing} cannot be written ({exc.strerror or exc}).", file=target,
            fix=f"give {option} a path in a folder you can write to.") from exc
    os.close(fd)
    os.unlink(probe)
