"""Map specifications: the ``maps/*.toml`` files that say what to publish.

Two kinds of page:

``kind = "atlas"``
    The themed choropleth atlas with a time control and a choice of wijkindeling. Keys:
    ``file`` (page name of the default version, e.g. ``index.html``), ``title``,
    ``versions`` (``"all"``, the default: every version in the atlas GeoPackage, or a list of
    ids), ``version`` (the one shown first: ``"newest"``, the default, is the version with the
    latest ``valid_from``), optional ``from_year`` / ``to_year``, ``themes`` (subset of the
    eight themes), ``indicators`` (subset of variable codes), ``default_indicator``. The other
    versions get pages ``<file stem>_<id>.html``; every page offers the choice of version.
    Classification is not a page setting: it is declared per indicator for the whole atlas in
    ``layers/atlas.toml`` (``[classes]``, see :mod:`geo.classes`). ``level`` (default
    ``"wijk"``; or a level of the version such as ``"kern"``; an atlas page also gets a page
    per level of its version automatically).

``kind = "boundaries"``
    The boundary-change map: ``file``, ``title``, ``versions`` (``"all"``, the default, or a
    list such as ``["2016", "2020"]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from geo.classes import SAFE_PALETTES, SCHEMES, ClassSpec  # noqa: F401  (re-exported)
from geo.errors import WijkatlasError
from geo.files import read_toml

#: ``version`` / ``versions`` values resolved against the atlas's versions table.
NEWEST = "newest"
ALL = "all"
CLASS_KEYS = ("scheme", "k", "palette", "breaks", "variables")


@dataclass(frozen=True)
class MapSpec:
    """One page to publish, read from one ``maps/*.toml`` file."""

    path: Path
    kind: str
    file: str
    title: str
    version: str = NEWEST
    versions: tuple[str, ...] = (ALL,)
    from_year: int | None = None
    to_year: int | None = None
    themes: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    default_indicator: str = ""
    #: For one page of an atlas spec written per version: every version's page, in order
    #: (``{"id", "name", "file"}``), for the version choice.
    choice: tuple = field(default_factory=tuple)
    level: str = "wijk"  # the wijken, or a higher level of the version (geo.levels)


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
    versions = raw.get("versions", ALL)
    if versions == ALL:
        versions = (ALL,)
    elif isinstance(versions, list) and versions:
        versions = tuple(str(v) for v in versions)
    else:
        raise WijkatlasError(f"versions = {versions!r} is neither \"all\" nor a list of ids.",
                             file=path, fix='set versions = "all" (every version in the atlas) '
                             'or a list such as ["2016", "2020"].')
    if kind == "boundaries":
        if versions != (ALL,) and len(versions) < 2:
            raise WijkatlasError("a boundary-change map needs two or more versions.", file=path,
                                 fix='set versions = "all" or a list such as ["2016", "2020"].')
        return MapSpec(path=path, kind=kind, file=page, title=title, versions=versions)
    moved = [k for k in CLASS_KEYS if k in raw]
    if moved:
        raise WijkatlasError(
            f"{', '.join(moved)}: classification is no longer a page setting.", file=path,
            fix="declare it once per indicator for all versions in layers/atlas.toml: "
                '[classes] scheme = "quantiles" ..., [classes.<code>] palette = "PuBu" ...')
    version = str(raw.get("version", NEWEST)) or NEWEST
    level = str(raw.get("level", "wijk"))
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", level):
        raise WijkatlasError(f"level = {level!r} is not a level id.", file=path,
                             fix='use "wijk" or the id of a level in levels.toml, e.g. "kern".')
    return MapSpec(
        path=path, kind=kind, file=page, title=title, version=version, versions=versions,
        level=level,
        from_year=raw.get("from_year"), to_year=raw.get("to_year"),
        themes=tuple(raw.get("themes", ())), indicators=tuple(raw.get("indicators", ())),
        default_indicator=str(raw.get("default_indicator", "")),
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


def _page_name(spec: MapSpec, version: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", version):
        raise WijkatlasError(f"version id {version!r} cannot name a page.", file=spec.path,
                             unit=version, fix="use version ids of letters, digits, - and _.")
    return f"{Path(spec.file).stem}_{version}.html"


def expand_specs(specs: list[MapSpec], versions: list[dict]) -> list[MapSpec]:
    """Resolve ``"all"`` and ``"newest"`` against the atlas's versions and write out one page
    per version of every atlas spec.

    Parameters
    ----------
    specs
        As read by :func:`read_specs`.
    versions
        Rows of the atlas's ``versions`` table (``id``, ``name``), oldest ``valid_from`` first.

    Returns
    -------
    The pages to render: every spec's own page in spec order (an atlas spec's showing its
    default version), then the other versions' pages of the atlas specs
    (``<stem>_<id>.html``); atlas pages carry ``choice`` listing all of them, boundary specs
    their versions resolved.
    """
    ids = [str(v["id"]) for v in versions]
    names = {str(v["id"]): str(v.get("name") or v["id"]) for v in versions}
    pages, extra = [], []
    for spec in specs:
        chosen = ids if spec.versions == (ALL,) else list(spec.versions)
        unknown = [v for v in chosen if v not in ids]
        if unknown or not chosen:
            raise WijkatlasError(
                f"version(s) {', '.join(unknown) or '(none)'} not in the atlas (it has: "
                f"{', '.join(ids) or 'none'}).", file=spec.path,
                fix='set versions = "all", or name versions the atlas was built with '
                    "(wijkatlas build builds every published version).")
        if spec.kind == "boundaries":
            if len(chosen) < 2:
                raise WijkatlasError("a boundary-change map needs two or more versions.",
                                     file=spec.path, fix="publish a second version, or leave "
                                     "this map out.")
            pages.append(replace(spec, versions=tuple(chosen)))
            continue
        default = chosen[-1] if spec.version == NEWEST else spec.version
        if default not in chosen:
            raise WijkatlasError(f"version = {default!r} is not among the page's versions "
                                 f"({', '.join(chosen)}).", file=spec.path,
                                 fix='set version = "newest" or one of those ids.')
        files = {v: spec.file if v == default else _page_name(spec, v) for v in chosen}
        choice = tuple({"id": v, "name": names[v], "file": files[v]} for v in chosen)
        for v in chosen:
            (pages if v == default else extra).append(
                replace(spec, version=v, versions=tuple(chosen), file=files[v], choice=choice))
    return pages + extra
