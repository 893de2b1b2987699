"""Map specifications: the ``maps/*.toml`` files that say what to publish.

Two kinds of page:

``kind = "atlas"``
    The themed choropleth atlas on one boundary version, with a time control. Keys:
    ``file`` (page name, e.g. ``index.html``), ``title``, ``version``, optional
    ``from_year`` / ``to_year``, ``level`` (default ``"wijk"``; or a level of the version such
    as ``"kern"``; an atlas page also gets a page per level of its version automatically),
    ``themes`` (subset of the eight themes), ``indicators``
    (subset of variable codes), ``default_indicator``, and classification defaults
    ``scheme``, ``k``, ``palette``. Per variable overrides go in ``[variables.<code>]`` with
    ``scheme``, ``k``, ``palette`` and (for ``scheme = "fixed"``) ``breaks``, the upper
    bounds of the classes.

``kind = "boundaries"``
    The boundary-change map: ``file``, ``title``, ``versions`` (e.g. ``["2016", "2020"]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import WijkatlasError
from geo.files import read_toml

SCHEMES = ("quantiles", "natural_breaks", "equal_interval", "fixed")
#: Sequential ColorBrewer palettes that stay distinguishable for colour-blind readers.
SAFE_PALETTES = ("YlGnBu", "YlOrBr", "PuBu", "BuPu", "Blues", "Greens", "Purples", "Oranges")
DEFAULT_SCHEME = "quantiles"
DEFAULT_K = 5
DEFAULT_PALETTE = "YlGnBu"
MAX_K = 9


@dataclass(frozen=True)
class ClassSpec:
    """How one variable is classified: scheme, number of classes, palette, fixed breaks."""

    scheme: str = DEFAULT_SCHEME
    k: int = DEFAULT_K
    palette: str = DEFAULT_PALETTE
    breaks: tuple[float, ...] = ()


@dataclass(frozen=True)
class MapSpec:
    """One page to publish, read from one ``maps/*.toml`` file."""

    path: Path
    kind: str
    file: str
    title: str
    version: str = ""
    versions: tuple[str, ...] = ()
    from_year: int | None = None
    to_year: int | None = None
    themes: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    default_indicator: str = ""
    level: str = "wijk"  # the wijken, or a higher level of the version (geo.levels)
    classes: ClassSpec = field(default_factory=ClassSpec)
    variables: dict[str, ClassSpec] = field(default_factory=dict)

    def class_spec(self, variable: str) -> ClassSpec:
        """The classification of ``variable``: its override, else the page default."""
        return self.variables.get(variable, self.classes)


def _class_spec(raw: dict, base: ClassSpec, path: Path, where: str) -> ClassSpec:
    scheme = raw.get("scheme", base.scheme)
    if scheme not in SCHEMES:
        raise WijkatlasError(f"unknown classification scheme {scheme!r}.", file=path, unit=where,
                             fix=f"use one of: {', '.join(SCHEMES)}.")
    k = raw.get("k", base.k)
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise WijkatlasError(f"k = {k!r} is not a number of classes from 1 to {MAX_K}.",
                             file=path, unit=where, fix="set k to a whole number from 1 to 9.")
    palette = raw.get("palette", base.palette)
    if palette not in SAFE_PALETTES:
        raise WijkatlasError(f"palette {palette!r} is not one of the colour-blind-safe palettes.",
                             file=path, unit=where, fix=f"use one of: {', '.join(SAFE_PALETTES)}.")
    breaks = tuple(raw.get("breaks", base.breaks if scheme == base.scheme else ()))
    if scheme == "fixed":
        ok = breaks and all(isinstance(b, int | float) for b in breaks)
        if not ok or list(breaks) != sorted(set(breaks)) or len(breaks) > MAX_K:
            raise WijkatlasError("scheme 'fixed' needs increasing numeric breaks.",
                                 file=path, unit=where,
                                 fix="give breaks = [upper bound of class 1, class 2, ...], "
                                     "at most 9, increasing.")
        k = len(breaks)
    return ClassSpec(scheme=scheme, k=k, palette=palette, breaks=tuple(float(b) for b in breaks))


def read_spec(path: Path) -> MapSpec:
    """Read and check one map specification.

    Raises
    ------
    WijkatlasError
        When the file is not TOML or a key is missing or invalid.
    """
    raw = read_toml(path, what="map specification",
                    fix="correct the TOML syntax at the line named.")
    kind = raw.get("kind", "atlas")
    if kind not in ("atlas", "boundaries"):
        raise WijkatlasError(f"unknown kind {kind!r}.", file=path,
                             fix="use kind = \"atlas\" or kind = \"boundaries\".")
    page = str(raw.get("file", ""))
    if not page.endswith(".html") or "/" in page or "\\" in page:
        raise WijkatlasError(f"file = {page!r} is not a page name like 'index.html'.", file=path,
                             fix="set file to a plain name ending in .html.")
    title = str(raw.get("title", "Wijkatlas"))
    if kind == "boundaries":
        versions = tuple(str(v) for v in raw.get("versions", ()))
        if len(versions) < 2:
            raise WijkatlasError("a boundary-change map needs two or more versions.", file=path,
                                 fix='set versions = ["2016", "2020"].')
        return MapSpec(path=path, kind=kind, file=page, title=title, versions=versions)
    version = str(raw.get("version", ""))
    if not version:
        raise WijkatlasError("the atlas page names no boundary version.", file=path,
                             fix='set version = "2020" (an id from the versions table).')
    base = _class_spec(raw, ClassSpec(), path, "page defaults")
    variables = {
        str(code): _class_spec(sub, base, path, str(code))
        for code, sub in raw.get("variables", {}).items()
    }
    level = str(raw.get("level", "wijk"))
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", level):
        raise WijkatlasError(f"level = {level!r} is not a level id.", file=path,
                             fix='use "wijk" or the id of a level in levels.toml, e.g. "kern".')
    return MapSpec(
        path=path, kind=kind, file=page, title=title, version=version, level=level,
        from_year=raw.get("from_year"), to_year=raw.get("to_year"),
        themes=tuple(raw.get("themes", ())), indicators=tuple(raw.get("indicators", ())),
        default_indicator=str(raw.get("default_indicator", "")),
        classes=base, variables=variables,
    )


def read_specs(specs_dir: Path) -> list[MapSpec]:
    """Read every ``*.toml`` in ``specs_dir`` (sorted by name); refuse two specs for one page."""
    specs = [read_spec(p) for p in sorted(Path(specs_dir).glob("*.toml"))]
    seen: dict[str, Path] = {}
    for spec in specs:
        if spec.file in seen:
            raise WijkatlasError(f"page {spec.file} is also written by {seen[spec.file].name}.",
                                 file=spec.path, fix="give each spec its own file = ... name.")
        seen[spec.file] = spec.path
    return specs


def class_specs(specs: list[MapSpec]) -> dict[tuple[str, str], ClassSpec]:
    """Explicit classification per (version, variable); refuse conflicting specs.

    Only variables named in a ``[variables.<code>]`` table are explicit; every other
    variable of an atlas page's version gets that page's defaults (see
    :func:`version_defaults`).
    """
    out: dict[tuple[str, str], tuple[ClassSpec, Path]] = {}
    for spec in specs:
        if spec.kind != "atlas":
            continue
        for code, cs in spec.variables.items():
            key = (spec.version, code)
            if key in out and out[key][0] != cs:
                raise WijkatlasError(
                    f"variable {code} of version {spec.version} is classified differently in "
                    f"{out[key][1].name}.", file=spec.path, unit=code,
                    fix="classify a variable the same way in every spec of one version, so "
                        "the web map and QGIS agree.")
            out[key] = (cs, spec.path)
    return {k: v[0] for k, v in out.items()}


def version_defaults(specs: list[MapSpec]) -> dict[str, ClassSpec]:
    """The page-default classification per version (first atlas spec of that version)."""
    out: dict[str, ClassSpec] = {}
    for spec in specs:
        if spec.kind == "atlas":
            out.setdefault(spec.version, spec.classes)
    return out
