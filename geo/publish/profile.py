"""Wijkprofiel pages: one self-contained, offline HTML page per unit of a version.

Enters: the atlas GeoPackage (through :func:`geo.publish.model.load_edition`). Leaves:
``<out>/<version>/<unit>.html`` per unit and ``<out>/<version>/index.html``, each a single file
with its styles and SVG charts inline (no script, no network), WCAG 2.1 AA.

Templates are Jinja2 files in ``geo/publish/templates`` rendered by one environment with
autoescaping on: names, labels and codes from the data are passed as variables and escaped,
never compiled as template source.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from geo.atomic import write_text
from geo.errors import WijkatlasError
from geo.maps.classes import format_nl
from geo.publish.charts import trend_chart
from geo.publish.model import MARKERS, Edition, Figure, UnitProfile, load_edition, versions_of
from geo.units import STATUS_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    """The one Jinja2 environment of the publications: autoescape on for every template."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.globals.update(markers=MARKERS, status_labels=STATUS_LABELS, pct=_pct, area=_area,
                       sources_of=sources_of, year_has_data=_year_has_data,
                       duplicate_labels=_duplicate_labels)
    return env


def stylesheet(name: str) -> Markup:
    """One of the package's own stylesheets, inlined as trusted markup (not data)."""
    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))


def _pct(share: float) -> str:
    return f"{format_nl(share * 100, 1)} %"


def _area(ha: float) -> str:
    return format_nl(ha, 0)


def _year_has_data(fig: Figure, year: int) -> bool:
    """Whether the gemeente (any wijk) has a figure of this indicator in ``year``: a year
    without any is a year without a measurement (e.g. no survey that year)."""
    i = fig.years.index(year)
    return bool(fig.gemeente) and fig.gemeente[i].status != "missing"


def _duplicate_labels(unit: UnitProfile) -> set[str]:
    """Labels that two indicators of the unit share (e.g. one from CBS, one from a register):
    those show their source next to the label."""
    seen: dict[str, int] = {}
    for fig in unit.figures:
        if fig.has_data:
            seen[fig.label] = seen.get(fig.label, 0) + 1
    return {label for label, n in seen.items() if n > 1}


def sources_of(figures: Iterable[Figure]) -> list[str]:
    """The distinct sources of the figures, in order of first appearance."""
    seen: dict[str, None] = {}
    for fig in figures:
        if fig.has_data and fig.source:
            seen.setdefault(fig.source, None)
    return list(seen)


def gemeente_name(edition: Edition) -> str:
    return "de gemeente"


def charts_of(unit: UnitProfile, **size: int) -> dict[str, dict | None]:
    """The trend chart of every figure of ``unit`` (``width``/``height`` optional)."""
    return {f.code: trend_chart(f, **size) for f in unit.figures}


def render_profile(edition: Edition, unit: UnitProfile, links: dict[str, str]) -> str:
    """The HTML of one wijkprofiel page."""
    return environment().get_template("profile.html.j2").render(
        edition=edition, unit=unit, links=links, charts=charts_of(unit),
        css=stylesheet("profile.css"), gemeente_name=gemeente_name(edition))


def render_index(edition: Edition, links: dict[str, str]) -> str:
    """The HTML of the list of profiles of one version."""
    return environment().get_template("index.html.j2").render(
        edition=edition, links=links, css=stylesheet("profile.css"),
        gemeente_name=gemeente_name(edition))


def _write(path: Path, text: str) -> Path:
    return write_text(path, text, public=True)


def profile_links(edition: Edition, unit: UnitProfile | None, *, maps: str | None,
                  book: str | None, exports: str | None) -> dict[str, str]:
    """Relative links from a page in ``profiles/<version>/`` to the map, the book and the
    exports (each folder relative to the build folder, or ``None`` when not built)."""
    up = "../../"
    v = edition.version_stem
    links = {"index": "index.html", "map": f"{up}{maps}/index.html" if maps else "",
             "excel": f"{up}{exports}/trend_{v}.xlsx" if exports else "", "pdf": "",
             "book": "", "pdfs": ""}
    if book:
        links["book"] = f"{up}{book}/{book_file_name(edition)}"
        links["pdfs"] = f"{up}{book}/{v}/"
        if unit is not None:
            links["pdf"] = f"{links['pdfs']}{unit.file_stem}.pdf"
    return links


def book_file_name(edition: Edition) -> str:
    """``wijkatlas_<version>_<edition>.pdf``."""
    return f"wijkatlas_{edition.version_stem}_{edition.edition}.pdf"


def build_profiles(atlas: str | Path, out_dir: str | Path, *,
                   versions: Iterable[str] | None = None, edition: int | None = None,
                   maps: str | None = "maps", book: str | None = "book",
                   exports: str | None = "exports",
                   editions: dict[str, Edition] | None = None) -> list[Path]:
    """Write the wijkprofiel pages of every (or the named) version.

    Parameters
    ----------
    atlas
        The atlas GeoPackage; the only data read.
    out_dir
        e.g. ``build/profiles``; pages go to ``<out_dir>/<version>/``.
    versions
        Version ids (default: every version of the atlas).
    edition
        The last year shown (default: each version's latest year).
    maps, book, exports
        Folders next to ``out_dir`` the pages link to (``None``: no link).
    editions
        Already loaded editions by version id (to share the reading with the book).

    Returns
    -------
    The written pages. All pages are rendered before any is written; each is written
    atomically.
    """
    atlas, out_dir = Path(atlas), Path(out_dir)
    ids = list(versions) if versions is not None else versions_of(atlas)
    if not ids:
        raise WijkatlasError("the atlas has no version.", file=atlas,
                             fix="rebuild the atlas with `make atlas`.")
    rendered: list[tuple[Path, str]] = []
    for vid in ids:
        ed = (editions or {}).get(vid) or load_edition(atlas, vid, edition)
        folder = out_dir / ed.version_stem
        for unit in ed.units:
            links = profile_links(ed, unit, maps=maps if vid == _map_version(ids) else None,
                                  book=book, exports=exports)
            rendered.append((folder / f"{unit.file_stem}.html", render_profile(ed, unit, links)))
        links = profile_links(ed, None, maps=maps if vid == _map_version(ids) else None,
                              book=book, exports=exports)
        rendered.append((folder / "index.html", render_index(ed, links)))
    return [_write(path, text) for path, text in rendered]


def _map_version(ids: list[str]) -> str:
    # The web map shows the newest version (maps/atlas.toml); older versions' pages link to
    # the list of profiles instead of to a map of another wijkindeling.
    return ids[-1]


__all__ = ["book_file_name", "build_profiles", "environment", "render_index", "render_profile",
           "sources_of"]
