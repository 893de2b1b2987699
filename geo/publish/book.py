"""The atlas book: one PDF per version and edition, and one PDF per wijk.

Enters: the atlas GeoPackage (through :func:`geo.publish.model.load_edition`). Leaves:
``<out>/wijkatlas_<version>_<edition>.pdf`` (cover, contents with page numbers, introduction,
a chapter per wijk, a gemeente chapter and an annex on method, sources and credits) and
``<out>/<version>/<unit>.pdf`` (one wijk, for a buurt council).

The PDF is printed by WeasyPrint from HTML made with the same Jinja2 templates and the same
figures, charts and texts as the wijkprofiel pages (:mod:`geo.publish.profile`). WeasyPrint
is a PyPI package (it needs Debian's Pango, present on any desktop and installed by
``make atlas``), implements CSS paged media (page counters, ``target-counter`` for the page
numbers in the contents, running footers, PDF bookmarks from the headings) and keeps the
text extractable; see the README for why it was chosen over headless Chromium and Typst.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from geo.atomic import write_bytes
from geo.errors import WijkatlasError
from geo.maps.classes import format_nl
from geo.publish.model import Edition, UnitProfile, load_edition, versions_of
from geo.publish.profile import book_file_name, charts_of, environment, stylesheet

#: What each status means, for the annex (keys of ``geo.units.STATUS_LABELS``).
STATUS_HELP = (
    ("observed", "een cijfer, eventueel deels geschat uit gesplitste buurten"),
    ("partial", "CBS hield een bijdragende buurt geheim: het cijfer is alleen het "
                "gepubliceerde deel (geen ondergrens en geen totaal)"),
    ("suppressed", "CBS hield alle bijdragende buurten geheim: geen cijfer"),
    ("missing", "geen gegevens (bijvoorbeeld geen meting of enquête in dat jaar)"),
    ("too_few", "enquête: te weinig geldige antwoorden voor een betrouwbaar cijfer"),
    ("small", "registratie: een aantal van 1 tot 4, niet gepubliceerd"),
    ("withheld", "registratie: afgeschermd, omdat het door aftrekken van andere "
                 "gepubliceerde cijfers een klein aantal zou onthullen"),
)
METHOD_LABELS = {"exact": "exact (buurt ligt in één wijk)", "address": "naar adressen",
                 "raster": "naar dichtheidsraster", "area": "naar oppervlakte"}
#: Size of the trend charts in the book (SVG units; the column is about 33 mm wide).
BOOK_CHART = {"width": 170, "height": 62}
#: A wijk chapter takes at most this many A4 pages (checked by the tests).
MAX_PAGES_PER_WIJK = 5


def _method_label(key: str) -> str:
    return " + ".join(METHOD_LABELS.get(part, part) for part in key.split("+"))


def render_book_html(edition: Edition, units: list[UnitProfile], *, whole: bool) -> str:
    """The HTML the PDF is printed from: the whole book, or one wijk (``whole=False``)."""
    charts = {u.code: charts_of(u, **BOOK_CHART) for u in units}
    gemeente = edition.gemeente if whole else None
    if gemeente is not None:
        charts["gemeente"] = charts_of(gemeente, **BOOK_CHART)
    if whole:
        title = f"Wijkatlas {edition.version_name}"
        subtitle = f"Alle wijken en thema's, editie {edition.edition}"
    else:
        title = f"Wijkprofiel {units[0].name}"
        subtitle = f"{edition.version_name}, editie {edition.edition}"
    return environment().get_template("book.html.j2").render(
        edition=edition, units=units, gemeente=gemeente, intro=whole, charts=charts,
        title=title, subtitle=subtitle, css=stylesheet("book.css"),
        gemeente_name="de gemeente", status_help=STATUS_HELP, method_label=_method_label,
        fmt=lambda v: format_nl(v, 0))


def html_to_pdf(html: str, *, base: Path | None = None) -> bytes:
    """Print HTML to PDF bytes with WeasyPrint (tagged for accessibility where supported)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise WijkatlasError(f"WeasyPrint cannot be loaded ({exc}).", unit="weasyprint",
                             fix="install wijkatlas with its dependencies (make venv) and "
                                 "Debian's libpango-1.0-0 and libpangoft2-1.0-0 (make atlas "
                                 "does both).") from exc
    doc = HTML(string=html, base_url=str(base) if base else None)
    try:
        return doc.write_pdf(pdf_tags=True)
    except TypeError:  # older WeasyPrint without tagging
        return doc.write_pdf()


def _print_job(html: str) -> bytes:
    return html_to_pdf(html)


def build_book(atlas: str | Path, out_dir: str | Path, *,
               versions: Iterable[str] | None = None, edition: int | None = None,
               per_wijk: bool = True, editions: dict[str, Edition] | None = None,
               workers: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write the book of every (or the named) version, and a PDF per wijk.

    Parameters
    ----------
    atlas
        The atlas GeoPackage; the only data read.
    out_dir
        e.g. ``build/book``.
    versions
        Version ids (default: every version of the atlas).
    edition
        The last year shown (default: each version's latest year).
    per_wijk
        Also write ``<out_dir>/<version>/<unit>.pdf``.
    editions
        Already loaded editions by version id (shared with the profile pages).
    workers
        Processes printing PDFs side by side (default: up to 2, the CPUs there are).
    progress
        Called with (PDFs printed, PDFs in all) after each PDF.

    Returns
    -------
    The written PDFs, the books first. Every PDF is printed before any is written.
    """
    atlas, out_dir = Path(atlas), Path(out_dir)
    ids = list(versions) if versions is not None else versions_of(atlas)
    jobs: list[tuple[Path, str]] = []
    for vid in ids:
        ed = (editions or {}).get(vid) or load_edition(atlas, vid, edition)
        jobs.append((out_dir / book_file_name(ed), render_book_html(ed, ed.units, whole=True)))
        if per_wijk:
            jobs.extend((out_dir / ed.version_stem / f"{unit.file_stem}.pdf",
                         render_book_html(ed, [unit], whole=False)) for unit in ed.units)
    workers = workers or min(2, os.cpu_count() or 1)
    pdfs: list[bytes] = []
    if workers > 1 and len(jobs) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for data in pool.map(_print_job, [html for _, html in jobs]):
                pdfs.append(data)
                if progress:
                    progress(len(pdfs), len(jobs))
    else:
        for _, html in jobs:
            pdfs.append(html_to_pdf(html))
            if progress:
                progress(len(pdfs), len(jobs))
    return [write_bytes(path, data, public=True)
            for (path, _), data in zip(jobs, pdfs, strict=True)]


__all__ = ["MAX_PAGES_PER_WIJK", "STATUS_HELP", "build_book", "html_to_pdf",
           "render_book_html"]
