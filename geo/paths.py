"""Output paths that can be trusted: never an input, never the register, the right format.

Every command that writes a file a user named checks it here first (:func:`output_file`,
:func:`output_dir`), before anything is computed or written:

* an output equal to one of the command's inputs is refused (``reaggregate --out`` equal to
  ``--values``; ``validate f.geojson --repair f.geojson``), also through links;
* nothing is written inside ``boundaries/`` except by the register itself (``versions
  export 2020 boundaries/2020/units.geojson`` would replace a published file);
* a GeoPackage is only written to a name ending in ``.gpkg`` (never a GeoPackage called
  ``.geojson``);
* an output folder may not be the atlas repository itself, hold it, or lie inside its
  ``boundaries/``, ``layers/`` or ``maps/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from geo.errors import WijkatlasError
from geo.files import writable_folder

__all__ = ["output_dir", "output_file", "same_file"]

PROTECTED = ("boundaries", "layers", "maps")


def _real(path: str | Path) -> Path:
    return Path(os.path.realpath(Path(path).expanduser()))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same file (through links and ``..``)."""
    if Path(a).exists() and Path(b).exists():
        return os.path.samefile(a, b)
    return _real(a) == _real(b)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def output_file(out: str | Path, *, inputs: Mapping[str, str | Path | None] | None = None,
                root: str | Path | None = None, suffix: str | None = None,
                option: str = "--out") -> Path:
    """Check a file the user asked to be written; return it as a Path.

    Parameters
    ----------
    out
        The output file.
    inputs
        The command's inputs by what they are (e.g. ``{"--values": path}``); ``None``
        values are skipped.
    root
        The atlas repository: nothing may be written inside its ``boundaries/``.
    suffix
        The required extension (``".gpkg"`` for GeoPackages), case-insensitive.
    option
        How the user named the output (for the message).

    Raises
    ------
    WijkatlasError
        When ``out`` is an input, lies in the register, is a folder or has the wrong
        extension.
    """
    out = Path(out)
    for what, path in (inputs or {}).items():
        if path is not None and same_file(out, path):
            raise WijkatlasError(
                f"the output ({option}) is the same file as the input {what}; writing it "
                "would destroy the input.", file=out, rule="output_is_input",
                fix=f"give {option} a new file name.")
    if root is not None:
        register = _real(Path(root) / "boundaries")
        if _inside(_real(out), register):
            raise WijkatlasError(
                "this would write into boundaries/, the register of versions; only the "
                "`wijkatlas versions` commands change it.", file=out, rule="output_in_register",
                fix="write the file outside boundaries/ (e.g. edit.gpkg), then use "
                "`wijkatlas versions import`.")
    if out.is_dir():
        raise WijkatlasError(f"the output ({option}) is a folder.", file=out,
                             fix="give a file name.", rule="output_is_folder")
    if suffix is not None and out.suffix.lower() != suffix:
        raise WijkatlasError(
            f"the output ({option}) is written as {suffix} but is named {out.name!r}.",
            file=out, rule="output_suffix", fix=f"give a file name ending in {suffix}.")
    writable_folder(out.parent, out, option)
    return out


def output_dir(out: str | Path, *, root: str | Path, option: str = "--out") -> Path:
    """Check an output folder that a command replaces as a whole (``build --out``)."""
    out = Path(out)
    real, repo = _real(out), _real(root)
    if _inside(repo, real):
        raise WijkatlasError(
            f"the output folder ({option}) is the atlas repository or holds it; a build "
            "replaces its output folder.", file=out, rule="output_holds_repository",
            fix="use a folder of its own, e.g. --out build.")
    for name in PROTECTED:
        if _inside(real, repo / name):
            raise WijkatlasError(
                f"the output folder ({option}) lies inside {name}/ of the atlas repository.",
                file=out, rule="output_in_repository",
                fix="use a folder of its own, e.g. --out build.")
    if out.exists() and not out.is_dir():
        raise WijkatlasError(f"the output ({option}) is a file, not a folder.", file=out,
                             fix="give a folder name.", rule="output_not_folder")
    writable_folder(out, out, option)
    return out
