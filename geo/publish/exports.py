"""Planner-ready trend tables: Excel with Dutch headers and a CSV for Dutch Excel.

Enters: the atlas GeoPackage (``results``, ``indicators``, ``versions``, ``atlas``). Leaves per
version, next to the plain machine-readable ``trend_<version>.csv``:

``trend_<version>.xlsx``
    A sheet "Toelichting" (what the table is, the full theme name of every sheet, what an
    empty year means, sources and credit), then one sheet per theme: a row per wijk and
    indicator, a column per year, the change and index between the first and last year with a
    value, and remarks. Values are rounded to each indicator's decimals with a matching
    number format; the header row and the name columns are frozen; columns are sized to
    their content; the header has a filter. Sheet names are cut to Excel's 31 characters at a
    word boundary (the full name is on the sheet and in the Toelichting).
``trend_<version>_nl.csv``
    The same rows for Dutch Excel: ``;`` as separator, decimal comma, UTF-8 with BOM.

A cell without a value says why: "geheim", "< 5", "te weinig respons", "afgeschermd",
"geen gegevens", or "geen meting" when no wijk has a figure that year (e.g. no survey then).
Text cells never start a formula (:mod:`geo.untrusted`: quote prefix in Excel, an
apostrophe in CSV).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo.atomic import write_bytes
from geo.catalog import THEMES
from geo.publish.model import (
    atlas_meta,
    read_indicators,
    read_layer,
    read_results,
    safe_file_stem,
    versions_of,
)
from geo.units import STATUS_LABELS
from geo.untrusted import csv_safe_text, excel_safe_workbook, strip_control

NO_MEASUREMENT = "geen meting"
SHEET_MAX = 31
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def safe_cell_text(text: str) -> str:
    """A CSV text cell that a spreadsheet shows as text (:func:`geo.untrusted.csv_safe_text`:
    no control characters, an apostrophe before a leading ``= + - @``)."""
    return csv_safe_text(str(text))


def _xlsx_text(text: str) -> str:
    """An Excel text cell without control characters; formula starts are neutralised for the
    whole workbook by :func:`geo.untrusted.excel_safe_workbook` (quote prefix)."""
    return strip_control(str(text))


def sheet_names(themes: Iterable[str]) -> dict[str, str]:
    """Excel sheet name per theme: capitalised, without ``[]:*?/\\``, at most 31 characters
    (cut at a word boundary), unique."""
    out: dict[str, str] = {}
    used: set[str] = {"toelichting"}
    for theme in themes:
        name = _BAD_SHEET_CHARS.sub(" ", theme).strip()
        name = name[:1].upper() + name[1:]
        if len(name) > SHEET_MAX:
            cut = name[:SHEET_MAX + 1].rsplit(" ", 1)[0].rstrip()
            name = cut if 0 < len(cut) <= SHEET_MAX else name[:SHEET_MAX]
        base, k = name, 2
        while name.lower() in used:
            suffix = f" ({k})"
            name = base[:SHEET_MAX - len(suffix)] + suffix
            k += 1
        used.add(name.lower())
        out[theme] = name
    return out


def trend_rows(atlas: str | Path, version: str) -> tuple[pd.DataFrame, list[int], pd.DataFrame]:
    """The planner's trend table of one version (wijk level).

    Returns
    -------
    table
        One row per wijk and indicator (in the atlas's order): ``theme``, ``Wijkcode``,
        ``Wijk``, ``Indicator``, ``Eenheid``, ``decimals``, per year the value (rounded) or the
        reason there is none, ``Eerste jaar``, ``Laatste jaar``, ``Verandering``, ``Index``,
        ``Opmerkingen``.
    years
        The years of the version.
    indicators
        The indicator table used.
    """
    atlas = Path(atlas)
    res = read_results(atlas, version)
    res = res[res["level"] == "wijk"]
    inds = read_indicators(atlas)
    inds = inds[inds["code"].isin(set(res["variable"]))].reset_index(drop=True)
    years = sorted(int(y) for y in res["year"].unique())
    units = read_layer(atlas, f"wijkindeling_{version}", ("code", "name"))
    measured = res[res["status"] != "missing"].groupby("variable")["year"].agg(set).to_dict()
    by_key = {(r["unit_code"], r["variable"], int(r["year"])): r
              for r in res.to_dict("records")}
    rows = []
    for ind in inds.to_dict("records"):
        code, dec = ind["code"], int(ind["decimals"])
        for unit in units[["code", "name"]].astype(str).to_dict("records"):
            row = {"theme": ind["theme"], "Wijkcode": unit["code"], "Wijk": unit["name"],
                   "Indicator": ind["label"], "Eenheid": ind["unit"], "decimals": dec}
            observed, partial = [], []
            for year in years:
                r = by_key.get((unit["code"], code, year))
                status = str(r["status"]) if r is not None else "missing"
                value = r["value"] if r is not None else np.nan
                if status in ("observed", "partial") and np.isfinite(value):
                    row[str(year)] = round(float(value), dec)
                    (observed if status == "observed" else partial).append((year, value))
                elif status == "missing" and year not in measured.get(code, set()):
                    row[str(year)] = NO_MEASUREMENT
                else:
                    row[str(year)] = STATUS_LABELS.get(status, status)
            if len(observed) >= 1:
                (y0, v0), (y1, v1) = observed[0], observed[-1]
                row["Eerste jaar"], row["Laatste jaar"] = y0, y1
                row["Verandering"] = round(v1 - v0, dec) if y1 > y0 else None
                row["Index"] = round(v1 / v0 * 100, 1) if y1 > y0 and v0 else None
            notes = []
            if partial:
                notes.append("gedeeltelijk geheim (alleen het gepubliceerde deel) in "
                             + ", ".join(str(y) for y, _ in partial))
            if ind.get("approximate") in (1, "1", True) or ind["kind"] == "median":
                notes.append("benadering")
            row["Opmerkingen"] = "; ".join(notes)
            rows.append(row)
    columns = ["theme", "Wijkcode", "Wijk", "Indicator", "Eenheid", "decimals",
               *map(str, years), "Eerste jaar", "Laatste jaar", "Verandering", "Index",
               "Opmerkingen"]
    return pd.DataFrame(rows, columns=columns), years, inds


HEADERS_NOTE = {
    "Verandering": "Verandering (laatste min eerste jaar)",
    "Index": "Index (eerste jaar = 100)",
}


def _workbook(table: pd.DataFrame, years: list[int], version_name: str, meta: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    info = wb.active
    info.title = "Toelichting"
    names = sheet_names([t for t in THEMES if t in set(table["theme"])])
    bold = Font(bold=True)
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
    lines = [
        (f"{meta['name']}: trendtabellen {version_name}", bold),
        ("Per thema een blad: een rij per wijk en indicator, een kolom per jaar.", None),
        ("Cijfers van alle jaren zijn omgerekend naar deze wijkindeling en afgerond op het "
         "aantal decimalen van de indicator.", None),
        ("Lege jaren: 'geen meting' = in dat jaar geen cijfer voor geen enkele wijk (bijv. "
         "geen enquête); 'geen gegevens' = geen cijfer voor deze wijk; 'geheim' = CBS "
         "publiceert het niet; '< 5' = klein aantal; 'te weinig respons' = te weinig "
         "enquêteantwoorden; 'afgeschermd' = zou door aftrekken een klein aantal onthullen.",
         None),
        ("Verandering en index: tussen het eerste en laatste jaar met een volledig cijfer "
         "(niet gedeeltelijk geheim).", None),
        *([(f"Jaren zonder kolom ({', '.join(map(str, gaps))}): de atlas heeft voor die "
            "jaren geen cijfers (geen bronbestand).", None)] if gaps else []),
        ("", None),
        ("Blad", bold),
    ]
    for text, font in lines:
        info.append([_xlsx_text(text)])
        if font:
            info.cell(row=info.max_row, column=1).font = font
    info.cell(row=info.max_row, column=2, value="Thema").font = bold
    for theme, sheet in names.items():
        info.append([_xlsx_text(sheet), _xlsx_text(theme)])
    info.append([])
    info.append([_xlsx_text(meta["credit"])])
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 40

    header_fill = PatternFill("solid", fgColor="DDE3EA")
    year_cols = [str(y) for y in years]
    out_cols = ["Wijkcode", "Wijk", "Indicator", "Eenheid", *year_cols, "Eerste jaar",
                "Laatste jaar", "Verandering", "Index", "Opmerkingen"]
    for theme, sheet_name in names.items():
        part = table[table["theme"] == theme]
        ws = wb.create_sheet(sheet_name)
        ws.append([HEADERS_NOTE.get(c, c) for c in out_cols])
        for cell in ws[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [len(HEADERS_NOTE.get(c, c)) for c in out_cols]
        for rec in part.to_dict("records"):
            dec = int(rec["decimals"])
            fmt = "#,##0" if dec == 0 else "#,##0." + "0" * dec
            values = [rec[c] for c in out_cols]
            ws.append([_xlsx_text(v) if isinstance(v, str) else
                       (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
                       for v in values])
            r = ws.max_row
            for j, column in enumerate(out_cols, start=1):
                cell = ws.cell(row=r, column=j)
                if column in year_cols or column == "Verandering":
                    if isinstance(cell.value, int | float):
                        cell.number_format = fmt
                    else:
                        cell.alignment = Alignment(horizontal="right")
                elif column == "Index" and isinstance(cell.value, int | float):
                    cell.number_format = "0.0"
                text = "" if cell.value is None else str(cell.value)
                widths[j - 1] = max(widths[j - 1], len(text) + (2 if column in year_cols
                                                                  else 0))
        for j, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
        ws.row_dimensions[1].height = 30
        ws.freeze_panes = "E2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(out_cols))}{ws.max_row}"
        ws.print_title_rows = "1:1"
        ws.oddHeader.center.text = theme
    wb.properties.title = f"{meta['name']}: trendtabellen {version_name}"
    wb.properties.creator = "wijkatlas"
    excel_safe_workbook(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _dutch_csv(table: pd.DataFrame, years: list[int]) -> bytes:
    """``;``-separated, decimal comma, UTF-8 with BOM: opens as columns in Dutch Excel."""
    out = table.drop(columns=["decimals"]).rename(columns={"theme": "Thema", **HEADERS_NOTE})
    decimals = table["decimals"].astype(int).to_numpy()

    def nl(value, dec: int) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, str):
            return safe_cell_text(value)
        return f"{float(value):.{dec}f}".replace(".", ",")

    for column in [*map(str, years), HEADERS_NOTE["Verandering"]]:
        out[column] = [nl(v, int(d)) for v, d in zip(out[column], decimals, strict=True)]
    out[HEADERS_NOTE["Index"]] = [nl(v, 1) for v in out[HEADERS_NOTE["Index"]]]
    for column in ("Eerste jaar", "Laatste jaar"):
        out[column] = [("" if v is None or (isinstance(v, float) and np.isnan(v))
                        else str(int(v))) for v in out[column]]
    for column in ("Thema", "Wijkcode", "Wijk", "Indicator", "Eenheid", "Opmerkingen"):
        out[column] = out[column].astype(str).map(safe_cell_text)
    return out.to_csv(sep=";", index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_trend_exports(atlas: str | Path, out_dir: str | Path, *,
                        versions: Iterable[str] | None = None) -> list[Path]:
    """Write ``trend_<version>.xlsx`` and ``trend_<version>_nl.csv`` for every (or the
    named) version into ``out_dir``; every file is made before any is written."""
    atlas, out_dir = Path(atlas), Path(out_dir)
    meta = atlas_meta(atlas)
    versions_table = read_layer(atlas, "versions", ("id", "name"))
    names = dict(zip(versions_table["id"].astype(str), versions_table["name"].astype(str),
                     strict=True))
    made: list[tuple[Path, bytes]] = []
    for vid in (list(versions) if versions is not None else versions_of(atlas)):
        table, years, _ = trend_rows(atlas, vid)
        stem = safe_file_stem(vid)
        made.append((out_dir / f"trend_{stem}.xlsx",
                     _workbook(table, years, names.get(vid, vid), meta)))
        made.append((out_dir / f"trend_{stem}_nl.csv", _dutch_csv(table, years)))
    return [write_bytes(path, data, public=True) for path, data in made]


__all__ = ["NO_MEASUREMENT", "safe_cell_text", "sheet_names", "trend_rows",
           "write_trend_exports"]
