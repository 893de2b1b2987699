"""Read CBS Kerncijfers wijken en buurten into one long table the engine consumes.

Three forms in which CBS publishes the Kerncijfers are read, plus any user table:

* the attribute table of the **Wijk- en Buurtkaart** (shapefile / GeoPackage / CSV export,
  columns ``BU_CODE``, ``BU_NAAM``, ``AANT_INW``, ``P_65_EO_JR``, ``WOZ``, ...):
  :func:`read_wijkenbuurtenkaart`;
* the **kwb tables** (``kwb-2019.xlsx`` / ``.csv``, one row per gemeente, wijk and buurt,
  columns ``gwb_code_10``, ``recs``, ``a_inw``, ``p_65_eo_jr``, ...): :func:`read_kwb`;
* **StatLine** (tables such as 84583NED "Kerncijfers wijken en buurten 2019") through the
  ``cbsodata`` client: :func:`read_statline`;
* any CSV or Excel file whose columns are catalog codes or aliases: :func:`read_values` (the
  function the command line calls).

Output
------
A long :class:`pandas.DataFrame` with columns ``code`` (unit code as in the geometry, e.g.
``BU07970101``), ``variable`` (catalog code), ``value`` (float, NaN unless observed),
``status`` (``observed``, ``suppressed`` or ``missing``) and ``year`` (int; only when the
year is known from the argument, a ``jaar`` column or the file name). Columns the catalog
does not know, and rows dropped because they describe a coarser level (gemeente or wijk
rows in a buurt table), are not an error: they are listed in ``result.attrs["ignored"]`` and
reported once with an :class:`IgnoredInputWarning` (``warnings.warn``), so the command line can
show them.

How CBS marks cells that hold no number
---------------------------------------
Suppressed ("geheim": CBS withholds the figure to prevent disclosure, typically for small
buurten), missing ("niet beschikbaar": the figure does not exist or is not yet published) and
zero are three different things here; none of them becomes another.

========================  ===========  ==================================================
cell                      status       meaning
========================  ===========  ==================================================
``-99999999``             suppressed   geheim, Wijk- en Buurtkaart up to about 2016
``-99997``                suppressed   geheim, Wijk- en Buurtkaart from about 2017
``-99999997``             missing      niet beschikbaar, older Wijk- en Buurtkaart
``-99999998``, ``-99998`` missing      niet van toepassing / niet beschikbaar
``-99995``                missing      niet beschikbaar (e.g. WOZ or income not yet known)
other value <= -99990     missing      unknown sentinel: never read as a number
``.``                     suppressed   StatLine and kwb tables: "het cijfer is onbekend,
                                       onvoldoende betrouwbaar of geheim"; in the
                                       Kerncijfers tables every variable exists for every
                                       unit, so the dot is a withheld cell
``x``                     suppressed   geheim (CBS "verklaring van tekens")
``?``                     missing      onbekend
empty cell / NaN          missing      geen gegevens
``-``                     observed 0   nihil (CBS "verklaring van tekens")
``0``                     observed 0   zero
========================  ===========  ==================================================

The exact wording of the sentinels differs per edition of the "Toelichting bij de Wijk- en
Buurtkaart"; the two suppressed codes are the ones CBS uses for geheime cellen in the buurt
files. CBS rounds some counts (e.g. benefits to tens), so buurten need not add up to the
published gemeente total. A decimal comma (``2,4``) is read as a decimal point; thousands
separators are not supported (``43.132`` would be 43.132): export numbers without them.

Refusals (:class:`geo.errors.WijkatlasError`, naming the file, the row/unit and the fix):
a cell that is not a number or a known symbol, a duplicate unit code, two columns for one
variable, a negative count, a share above its ``per`` (a count declared as a share), and,
through :func:`check_codes`, unit codes that are not in the geometry layer.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo.catalog import Catalog
from geo.errors import WijkatlasError, WijkatlasNotice, listing, notice, shorten
from geo.files import ZIP_MAGIC, read_vector, require_file, sniff
from geo.units import CELL_STATUSES

SUPPRESSED_CODES = (-99997, -99999999)
MISSING_CODES = (-99995, -99998, -99999997, -99999998)
SENTINEL_LIMIT = -99990.0
SUPPRESSED_SYMBOLS = (".", "x")
MISSING_SYMBOLS = ("", "?")
ZERO_SYMBOLS = ("-",)
STATUSES = CELL_STATUSES

#: Column names that hold the unit code, most specific first (compared case-insensitively).
CODE_COLUMNS = (
    "BU_CODE", "WK_CODE", "GM_CODE", "gwb_code_10", "gwb_code", "Codering", "buurtcode",
    "wijkcode", "gemeentecode", "statcode", "code",
)
#: Descriptive columns that are expected and therefore not reported as ignored.
NAME_COLUMNS = (
    "BU_NAAM", "WK_NAAM", "GM_NAAM", "regio", "gm_naam", "recs", "gwb_code_8", "ind_wbi",
    "statnaam", "buurtnaam", "wijknaam", "gemeentenaam", "jaar", "year", "ID",
    "WijkenEnBuurten", "Gemeentenaam", "SoortRegio", "IndelingswijzigingWijkenEnBuurten",
    "name", "naam", "bron", "opmerking", "toelichting", "synthetisch",
)
LEVEL_PREFIX = {"buurt": "BU", "wijk": "WK", "gemeente": "GM"}
LEVEL_PLURAL = {"buurt": "buurten", "wijk": "wijken", "gemeente": "gemeenten"}

@functools.cache
def kwb_tables() -> dict[int, str]:
    """StatLine Kerncijfers wijken en buurten table per reference year (the single-year tables
    of geo/fetch/cbs_services.toml, where every published year is kept as data). Read on
    first use: :mod:`geo.fetch` itself imports this module."""
    from geo.fetch.services import load_services

    return {year: s.statline.table for year, s in load_services().years.items()
            if not s.statline.period}

_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_NUMBER_SUFFIX = re.compile(r"_\d+$")


class IgnoredInputWarning(WijkatlasNotice):
    """Columns or rows of an input table that were not read (listed in the message)."""


# --- cells -------------------------------------------------------------------------------


# Number forms. A "group" form uses a separator every three digits (1.234.567 or 1,234,567).
_SIGN = r"[-+]?"
_DOT_GROUPS = re.compile(_SIGN + r"[1-9]\d{0,2}(?:\.\d{3})+")
_COMMA_GROUPS = re.compile(_SIGN + r"[1-9]\d{0,2}(?:,\d{3})+")
_DOT_DECIMAL = re.compile(_SIGN + r"\d*\.\d+")
_COMMA_DECIMAL = re.compile(_SIGN + r"\d*,\d+")
_NL_NUMBER = re.compile(_SIGN + r"(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?")
_EN_NUMBER = re.compile(_SIGN + r"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?")
#: One separator followed by exactly three digits: 1.998 is 1998 (thousands) or 1.998.
_AMBIGUOUS = re.compile(_SIGN + r"[1-9]\d{0,2}[.,]\d{3}")


def _text_cells(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """The cells that are text (stripped; "" elsewhere) and a mask of them; numbers read
    from Excel or a typed source are not text and need no decimal convention."""
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series([""] * len(raw), dtype="string"), np.zeros(len(raw), dtype=bool)
    if isinstance(raw.dtype, pd.StringDtype):
        mask = raw.notna().to_numpy(dtype=bool)
    else:
        mask = raw.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    text = raw.where(mask, "").astype("string").str.strip().fillna("")
    return text, mask


def detect_decimal(cells: pd.Series) -> tuple[str | None, dict[str, str]]:
    """Which decimal mark text cells use: ``","`` (then ``.`` separates thousands), ``"."``
    (then ``,`` separates thousands), or ``None`` when nothing tells.

    Evidence for a decimal comma: ``2,4`` (a comma not followed by a group of three),
    ``1.234,5`` and ``1.234.567`` (several dot groups); for a decimal point the mirror
    forms. Returns the convention and, per mark, the index label of the first cell that
    showed it (for messages); both marks present means the cells mix the two conventions
    (``None``).
    """
    text = cells.astype("string").str.strip().fillna("")
    text = text[text.str.contains(r"\d[.,]\d", regex=True).fillna(False)]
    if text.empty:
        return None, {}
    comma = (text.str.fullmatch(_COMMA_DECIMAL.pattern)
             & ~text.str.fullmatch(_COMMA_GROUPS.pattern)) | \
        (text.str.fullmatch(_NL_NUMBER.pattern) & text.str.contains(".", regex=False)
         & (text.str.contains(",", regex=False) | text.str.count(r"\.").gt(1)))
    point = (text.str.fullmatch(_DOT_DECIMAL.pattern)
             & ~text.str.fullmatch(_DOT_GROUPS.pattern)) | \
        (text.str.fullmatch(_EN_NUMBER.pattern) & text.str.contains(",", regex=False)
         & (text.str.contains(".", regex=False) | text.str.count(",").gt(1)))
    found = {}
    for mark, hits in ((",", comma), (".", point)):
        hits = hits.fillna(False).to_numpy(dtype=bool)
        if hits.any():
            found[mark] = text.index[int(np.flatnonzero(hits)[0])]
    return (next(iter(found)) if len(found) == 1 else None), found


def _normalise(text: pd.Series, decimal: str) -> tuple[pd.Series, np.ndarray]:
    """Text cells with the thousands separator removed and a ``.`` decimal mark, and a mask
    of cells that use a separator the wrong way for the file's convention."""
    if decimal == ",":
        grouped = text.str.fullmatch(_NL_NUMBER.pattern).fillna(False)
        uses_sep = text.str.contains(r"[.,]\d", regex=True).fillna(False)
        norm = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        grouped = text.str.fullmatch(_EN_NUMBER.pattern).fillna(False)
        uses_sep = text.str.contains(r"[.,]\d", regex=True).fillna(False)
        norm = text.str.replace(",", "", regex=False)
    # Scientific notation (1e5, 2.5E-3) only with a decimal point.
    sci = text.str.fullmatch(r"[-+]?\d*\.?\d+[eE][-+]?\d+").fillna(False) & (decimal == ".")
    wrong = (uses_sep & ~grouped & ~sci).to_numpy(dtype=bool)
    norm = norm.where(grouped | sci | ~uses_sep, text)
    return norm, wrong


def parse_cells(raw: pd.Series, *, file: str | Path, column: str | np.ndarray,
                rows: pd.Series | None = None, codes: pd.Series | None = None,
                decimal: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Turn CBS cells into values and statuses.

    Parameters
    ----------
    raw
        The cells as read (numbers, strings or a mix): one column, or every column of a
        table one after another (then ``column`` names the column of each cell).
    file, column
        Used in the error message.
    rows
        File row number of every cell (for the error message); default ``index + 2``.
    codes
        Unit code of every cell (for the error message).
    decimal
        The file's decimal mark for text cells, ``","`` or ``"."`` (see
        :func:`detect_decimal`); ``None`` decides from this column, and refuses it when
        a cell such as ``1.998`` could be read both ways.

    Returns
    -------
    ``(value, status)``: a float array (NaN unless observed) and an object array of
    ``observed`` / ``suppressed`` / ``missing``, following the table in the module docstring.

    Raises
    ------
    WijkatlasError
        When a cell is neither a number nor a known CBS symbol, is not finite (``inf``,
        ``1e400``), uses the thousands separator of the other convention, or the column is
        ambiguous.
    """
    raw = raw.reset_index(drop=True)
    columns = (np.asarray(column, dtype=object) if not isinstance(column, str)
               else np.full(len(raw), column, dtype=object))

    def where(i: int) -> tuple[str, int, str | None]:
        row = int(rows.iloc[i]) if rows is not None else i + 2
        return str(columns[i]), row, (str(codes.iloc[i]) if codes is not None else None)

    text, is_text = _text_cells(raw)
    # Only cells with a separator need the decimal rules (most cells are plain integers).
    sep = (is_text & text.str.contains(r"[.,]", regex=True).fillna(False)
           .to_numpy(dtype=bool))
    if decimal is None:
        decimal, found = detect_decimal(text[sep])
        if decimal is None and found:
            _refuse_mixed({m: (str(columns[i]), where(i)[1], str(text.iloc[i]))
                           for m, i in found.items()}, file)
    if decimal is None:
        ambiguous = np.zeros(len(text), dtype=bool)
        ambiguous[sep] = text[sep].str.fullmatch(_AMBIGUOUS.pattern).fillna(False) \
            .to_numpy(dtype=bool)
        if ambiguous.any():
            i = int(np.flatnonzero(ambiguous)[0])
            col, row, unit = where(i)
            cell = str(text.iloc[i])
            whole = cell.replace(".", "").replace(",", "")
            n_col = int((ambiguous & (columns == columns[i])).sum())
            raise WijkatlasError(
                f"column {col}, row {row}: {shorten(cell)!r} can be read as {whole} (with "
                f"{cell[-4]!r} separating thousands) or as {cell.replace(',', '.')}, and no "
                f"other cell of the file tells which ({n_col} such cell(s) in this "
                "column).", file=file, unit=unit,
                fix="save the numbers without thousands separators (e.g. 1998), or with a "
                    "decimal comma (1.998 is then read as 1998) or a decimal point "
                    "(1,998 is then read as 1998) somewhere in the file.", rule="ambiguous")
        decimal = "."
    norm = text.copy()
    wrong = np.zeros(len(text), dtype=bool)
    if sep.any():
        norm_sep, wrong_sep = _normalise(text[sep], decimal)
        norm[sep] = norm_sep
        wrong[sep] = wrong_sep
    if is_text.all():
        direct = pd.Series(np.full(len(raw), np.nan))
    else:
        direct = pd.to_numeric(raw.where(~is_text), errors="coerce")
    not_number = direct.isna().to_numpy()
    symbols = {k: tuple({*v, *(x.upper() for x in v)}) for k, v in (
        ("zero", ZERO_SYMBOLS), ("supp", SUPPRESSED_SYMBOLS), ("miss", MISSING_SYMBOLS))}
    is_zero = text.isin(symbols["zero"]).to_numpy() & not_number
    is_supp = text.isin(symbols["supp"]).to_numpy() & not_number
    is_miss = (text.isin(symbols["miss"]).to_numpy() | (~is_text & raw.isna().to_numpy())) \
        & not_number
    from_text = pd.to_numeric(norm.where(is_text & ~wrong, ""), errors="coerce") \
        .to_numpy(dtype=float, na_value=np.nan)
    number = direct.to_numpy(dtype=float, na_value=np.nan, copy=True)
    number = np.where(is_text, from_text, number)
    number[is_zero] = 0.0
    symbol = is_supp | is_miss
    bad = np.isnan(number) & ~symbol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        col, row, unit = where(i)
        other = "," if decimal == "." else "."
        why = (f"; the file writes decimals with {decimal!r}, so {other!r} may only "
               "separate thousands (1.234.567)" if wrong[i] else "")
        raise WijkatlasError(
            f"column {col}, row {row}: {shorten(raw.iloc[i])!r} is not a number{why} "
            f"({int((bad & (columns == columns[i])).sum())} such cell(s) in this column).",
            file=file, unit=unit,
            fix="write numbers as 1234,5 or 1234.5 (one convention in the whole file); "
                "mark withheld cells as CBS does (-99997 or '.') and leave unknown cells empty.")
    infinite = np.isinf(number)
    if infinite.any():
        i = int(np.flatnonzero(infinite)[0])
        col, row, unit = where(i)
        raise WijkatlasError(
            f"column {col}, row {row}: {shorten(raw.iloc[i])!r} is not a finite number "
            f"({int((infinite & (columns == columns[i])).sum())} such cell(s) in this "
            "column).", file=file, unit=unit,
            fix="write the real value; mark withheld cells with -99997 and leave unknown "
                "cells empty.", rule="not_finite")
    status = np.full(len(raw), "observed", dtype=object)
    sentinel = ~symbol & (number <= SENTINEL_LIMIT)
    status[is_supp | (sentinel & np.isin(number, SUPPRESSED_CODES))] = "suppressed"
    status[is_miss | (sentinel & ~np.isin(number, SUPPRESSED_CODES))] = "missing"
    value = np.where(status == "observed", number, np.nan)
    return value, status


def _refuse_mixed(found: dict[str, tuple[str, int, str]], file) -> None:
    """Refuse cells that mix a decimal comma and a decimal point (``found``: per mark the
    column, row and text of the first cell showing it)."""
    (ca, ra, a), (cb, rb, b) = found[","], found["."]
    raise WijkatlasError(
        f"the file mixes a decimal comma (column {ca}, row {ra}: {shorten(a)!r}) and a "
        f"decimal point (column {cb}, row {rb}: {shorten(b)!r}).", file=file,
        fix="save all numbers with one decimal mark (and no thousands separators).",
        rule="mixed_decimal")


# --- tables ------------------------------------------------------------------------------


def _find_column(columns: Iterable[str], wanted: Iterable[str]) -> str | None:
    """Return the first column whose name (or name without a ``_<n>`` suffix) is wanted."""
    by_key: dict[str, str] = {}
    for col in columns:
        by_key.setdefault(str(col).strip().lower(), col)
        by_key.setdefault(_NUMBER_SUFFIX.sub("", str(col).strip()).lower(), col)
    for name in wanted:
        if name.lower() in by_key:
            return by_key[name.lower()]
    return None


def _resolve(catalog: Catalog, column: str) -> str | None:
    """Catalog code of a column; StatLine's ``_<n>`` suffix is tried without as well."""
    name = str(column).strip()
    return catalog.resolve(name) or catalog.resolve(_NUMBER_SUFFIX.sub("", name))


def _year_from(year: int | None, frame: pd.DataFrame, file: str | Path) -> int | None:
    if year is not None:
        return int(year)
    col = _find_column(frame.columns, ("jaar", "year"))
    if col is not None:
        years = pd.to_numeric(frame[col], errors="coerce").dropna().unique()
        if len(years) == 1:
            return int(years[0])
        raise WijkatlasError(
            f"column {col} holds {len(years)} different years; one file is one year.",
            file=file, fix="split the file per year, or pass the year explicitly.")
    found = _YEAR_IN_NAME.findall(Path(str(file)).name)
    return int(found[-1]) if found else None


def wide_to_long(frame: pd.DataFrame, *, catalog: Catalog, file: str | Path,
                 code_column: str | None = None, year: int | None = None,
                 rows: pd.Series | None = None, code_option: str | None = None
                 ) -> pd.DataFrame:
    """Check a wide table (one row per unit, one column per variable) and make it long.

    Parameters
    ----------
    frame
        The table as read, cells still raw.
    catalog
        Indicator catalog; columns are matched on code or alias (case-insensitive).
    file
        Used in messages.
    code_column
        Column with the unit codes; found among :data:`CODE_COLUMNS` when not given.
    year
        Reference year; otherwise from a ``jaar``/``year`` column or the file name.
    rows
        File row numbers of the rows of ``frame`` (default ``index + 2``: header on row 1).
    code_option
        The command-line option that names the code column, for the fix in messages.

    Returns
    -------
    Long table (see module docstring) with ``attrs["ignored"]`` listing what was not read.

    Raises
    ------
    WijkatlasError
        No rows, no code column, a row without code, a duplicate code, no column the
        catalog knows, two columns for one variable, a cell that is not a finite number or
        a CBS symbol, numbers that mix or do not reveal their decimal mark, values out of
        the range of their kind.
    """
    if len(frame) == 0:
        raise WijkatlasError(
            f"the table has no data rows (only the header: {listing(frame.columns)}).",
            file=file, fix="give one row per unit under the header.", rule="empty_table")
    if rows is None:
        rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    col = code_column if code_column is not None else _find_column(frame.columns, CODE_COLUMNS)
    if col is None or col not in frame.columns:
        given = f" {code_column!r}" if code_column is not None else ""
        how = f" (or pass {code_option} with its name)" if code_option else ""
        raise WijkatlasError(
            f"no column with unit codes{given} found (columns: {listing(frame.columns)}).",
            file=file, fix=f"name the code column BU_CODE{how}.")
    codes = frame[col].astype("string").str.strip().str.upper().fillna("")
    ignored: list[str] = []
    blank = codes == ""
    if blank.any():
        raise WijkatlasError(
            f"row {int(rows[blank].iloc[0])} has no unit code in column {col}.", file=file,
            fix="give every row a code such as BU07970101, or delete the empty rows.")
    prefixes = codes.str[:2]
    levels = [p for p in ("BU", "WK", "GM") if (prefixes == p).any()]
    if len(levels) > 1:
        keep = prefixes == levels[0]
        ignored.append(f"{int((~keep).sum())} row(s) of a coarser level "
                       f"({', '.join(levels[1:])} codes)")
        frame, codes, rows = frame[keep], codes[keep], rows[keep]
    dup = codes[codes.duplicated(keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        where = ", ".join(str(r) for r in rows[codes == first])
        raise WijkatlasError(
            f"the code {first} appears more than once (rows {where}); "
            f"duplicated codes: {', '.join(sorted(set(dup)))}.",
            file=file, unit=first, fix="keep one row per unit (one file per year).")
    year = _year_from(year, frame, file)

    mapped: dict[str, str] = {}
    for column in frame.columns:
        if column == col:
            continue
        variable = _resolve(catalog, column)
        if variable is None:
            if _find_column([column], NAME_COLUMNS) is None:
                ignored.append(f"column {column}")
            continue
        if variable in mapped.values():
            other = next(k for k, v in mapped.items() if v == variable)
            raise WijkatlasError(
                f"columns {other} and {column} both hold {variable}.", file=file,
                fix="keep one of the two columns.")
        mapped[column] = variable

    if not mapped:
        raise WijkatlasError(
            f"none of the columns is a variable of the indicator catalog (columns: "
            f"{listing(c for c in frame.columns if c != col)}).", file=file,
            fix="name the columns after catalog codes or aliases (e.g. AANT_INW, a_inw, "
                "AantalInwoners_5), or add the variables to the catalog.", rule="no_variable")
    # Every cell of every variable in one pass (column after column): one decimal
    # convention for the whole file, and no per-column overhead on wide tables.
    n = len(frame)
    names = list(mapped)
    same = all(isinstance(frame[c].dtype, pd.StringDtype) for c in names)
    cells = pd.concat([frame[c] if same else frame[c].astype(object) for c in names],
                      ignore_index=True)
    value, status = parse_cells(
        cells, file=file, column=np.repeat(np.array([str(c) for c in names], dtype=object), n),
        rows=pd.Series(np.tile(rows.to_numpy(), len(names))),
        codes=pd.Series(np.tile(codes.to_numpy(), len(names))))
    parts = []
    for k, (column, variable) in enumerate(mapped.items()):
        part = slice(k * n, (k + 1) * n)
        _check_range(catalog, variable, value[part], file=file, column=str(column),
                     rows=rows, codes=codes)
        parts.append(pd.DataFrame({"code": codes.to_numpy(), "variable": variable,
                                   "value": value[part], "status": status[part]}))
    long = (pd.concat(parts, ignore_index=True) if parts
            else pd.DataFrame({"code": [], "variable": [], "value": [], "status": []}))
    long["code"] = long["code"].astype(str)
    long["value"] = long["value"].astype(float)
    if year is not None:
        long["year"] = int(year)
    long = long.sort_values(["code", "variable"], ignore_index=True)
    long.attrs["ignored"] = ignored
    long.attrs["file"] = str(file)
    return long


def _check_range(catalog: Catalog, variable: str, value: np.ndarray, *, file: str | Path,
                 column: str, rows: pd.Series, codes: pd.Series) -> None:
    """Refuse values a variable of its kind cannot take (a count read as a share, ...)."""
    ind = catalog[variable]
    kind = ind.spec
    if kind.minimum is not None:
        neg = np.flatnonzero(value < kind.minimum)
        if neg.size:
            i = int(neg[0])
            raise WijkatlasError(
                f"column {column}, row {int(rows.iloc[i])}: {value[i]:g} is negative, "
                f"which a {ind.kind} cannot be.", file=file, unit=str(codes.iloc[i]),
                fix="correct the value, or mark a withheld cell with -99997 and leave an "
                    "unknown cell empty.")
    if kind.at_most_per:
        over = np.flatnonzero(value > ind.per * 1.0001)
        if over.size:
            i = int(over[0])
            raise WijkatlasError(
                f"column {column}, row {int(rows.iloc[i])}: {value[i]:g} is above "
                f"{ind.per:g}; {variable} is a {ind.kind} (per {ind.per:g}) in the catalog, "
                "so this column looks like a count.", file=file, unit=str(codes.iloc[i]),
                fix=f"give the {ind.kind} as a value between 0 and {ind.per:g}, or put the "
                    f"count under the name of a count indicator ({ind.denominator} is its "
                    "denominator).")


def _warn_ignored(long: pd.DataFrame) -> None:
    if long.attrs.get("ignored"):
        notice(f"{long.attrs['file']}: not read: {'; '.join(long.attrs['ignored'])}.",
               IgnoredInputWarning)


#: How much of a text table is looked at before parsing: the header and the first lines
#: must be in it, and a file with NUL bytes there is not text.
SNIFF_BYTES = 1024 * 1024
#: Refuse a workbook whose zip directory claims more than this when unpacked.
MAX_XLSX_UNPACKED = 2 * 1024**3
NUL = b"\x00"


def _read_csv(path: Path) -> pd.DataFrame:
    """A text table, read only when its first megabyte looks like one (bounded work)."""
    head = sniff(path, SNIFF_BYTES)
    if NUL in head:
        raise WijkatlasError(
            f"not a text table: it holds NUL bytes (byte {head.index(NUL)}); it is binary "
            "data, or a file saved with the wrong name.", file=path,
            fix="export the table again as CSV (UTF-8), or as Excel with the .xlsx extension.",
            rule="not_text")
    if len(head) == SNIFF_BYTES and b"\n" not in head and b"\r" not in head:
        raise WijkatlasError(f"not a text table: no line break in the first "
                             f"{SNIFF_BYTES // 1024} KiB.", file=path,
                             fix="export the table again as CSV, one row per line.",
                             rule="not_text")
    encoding = "utf-8-sig"
    try:
        sample = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            encoding = "latin-1"
        sample = head[:exc.start].decode("utf-8-sig")
    first = sample.splitlines()[0] if sample.strip() else ""
    if not first.strip():
        raise WijkatlasError("the table has no header line.", file=path,
                             fix="put the column names (e.g. BU_CODE;AANT_INW) on the first "
                                 "line.", rule="empty_table")
    try:
        sep = csv.Sniffer().sniff(first, delimiters=";,\t").delimiter
    except csv.Error:
        sep = ","
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                           encoding=encoding)
    except UnicodeDecodeError as exc:
        raise WijkatlasError(f"not UTF-8 text after byte {exc.start}.", file=path,
                             fix="save the table as CSV UTF-8.") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise WijkatlasError(f"cannot be read as a table ({shorten(exc, 160)}).", file=path,
                             fix="export it again as CSV with one header line and the same "
                                 "number of columns on every line.") from exc


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """An Excel workbook, checked as a zip before openpyxl unpacks it (bounded work)."""
    import zipfile
    import zlib

    head = sniff(path, 4096)
    if not head.startswith(ZIP_MAGIC):
        looks_text = b"\x00" not in head and head.count(b"\n") > 0
        raise WijkatlasError(
            "not an Excel workbook: " + ("it is a text file (CSV?) with an Excel name."
                                         if looks_text else "an .xlsx file is a zip archive "
                                         "and this one does not start like one."),
            file=path, fix=("rename it to .csv." if looks_text else
                            "save it again from Excel as .xlsx, or export it as CSV."),
            rule="not_xlsx")
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise WijkatlasError(f"the workbook is damaged or truncated ({shorten(exc, 120)}).",
                             file=path, fix="save it again from Excel, or export it as "
                                            "CSV.", rule="bad_xlsx") from exc
    claimed = sum(i.file_size for i in infos)
    lying = next((i for i in infos if i.header_offset + i.compress_size > size), None)
    if lying is not None or claimed > MAX_XLSX_UNPACKED:
        what = (f"its part {shorten(lying.filename)} claims {lying.compress_size:,} bytes "
                f"where the file has {size:,}" if lying is not None else
                f"it claims to unpack to {claimed:,} bytes")
        raise WijkatlasError(f"the workbook is damaged or not what it claims: {what}.",
                             file=path, fix="save it again from Excel, or export it as CSV.",
                             rule="bad_xlsx")
    try:
        return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0,
                             dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError, ValueError,
            TypeError, IndexError) as exc:
        if isinstance(exc, (ValueError, IndexError)) and "sheet" in str(exc).lower():
            fix = "name a sheet that exists."
        else:
            fix = "save it again from Excel, or export it as CSV."
        raise WijkatlasError(f"the workbook cannot be read ({shorten(exc, 160)}).",
                             file=path, fix=fix, rule="bad_xlsx") from exc


def read_table(path: str | Path, *, sheet: str | int | None = None,
               layer: str | None = None, option: str | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or vector attribute table with every cell as read (no conversion).

    CSV: the delimiter (``;``, ``,`` or tab) is detected; UTF-8 (with or without BOM) or
    Latin-1. Excel (``.xlsx``/``.xlsm``): ``sheet`` (name or index, default the first).
    Vector files (``.gpkg``, ``.shp``, ``.geojson``, ``.dbf``): the attributes of ``layer``.
    Files that are not what their name says (NUL bytes in a CSV, a CSV named .xlsx, a
    truncated workbook or one whose zip directory claims more than the file holds) are
    refused from their first bytes, before they are parsed.

    Raises
    ------
    WijkatlasError
        When the file does not exist, is empty, damaged or not what its name says, or its
        type is not supported.
    """
    path = require_file(path, what="values table", option=option)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".gpkg", ".shp", ".geojson", ".json", ".dbf"):
        return read_vector(path, layer=layer, what="table", option=option,
                           read_geometry=False)
    raise WijkatlasError(
        f"files of type {suffix or '(none)'} cannot be read.", file=path,
        fix="save the table as CSV (.csv) or Excel (.xlsx).")


# --- public readers ----------------------------------------------------------------------


def read_values(path: str | Path, *, catalog: Catalog, code_column: str | None = None,
                year: int | None = None, sheet: str | int | None = None,
                option: str | None = None, code_option: str | None = None) -> pd.DataFrame:
    """Read a user's CSV or Excel file of values per unit (the command line's reader).

    Parameters
    ----------
    path
        CSV or Excel file with one row per unit; a vector file's attribute table works too.
    catalog
        Indicator catalog; columns named after a code or alias are read, others ignored.
    code_column
        Column with the unit codes (default: the first of :data:`CODE_COLUMNS` present).
    year
        Reference year (default: a ``jaar`` column or a year in the file name).
    sheet
        Excel sheet name or index.
    option, code_option
        The command-line options that name the file and its code column (for the fix in
        messages), e.g. ``--values`` and ``--values-code``.

    Returns
    -------
    Long table ``code, variable, value, status[, year]``; columns and rows that were not
    read are in ``attrs["ignored"]`` and reported with an :class:`IgnoredInputWarning`.
    """
    frame = read_table(path, sheet=sheet, option=option)
    long = wide_to_long(frame, catalog=catalog, file=path, code_column=code_column, year=year,
                        code_option=code_option)
    _warn_ignored(long)
    return long


def read_wijkenbuurtenkaart(path: str | Path, *, catalog: Catalog, year: int | None = None,
                            layer: str | None = None, level: str = "buurt") -> pd.DataFrame:
    """Read the Kerncijfers of a CBS Wijk- en Buurtkaart attribute table.

    Parameters
    ----------
    path
        Shapefile, GeoPackage, GeoJSON, or a CSV export of its attribute table.
    level
        ``buurt`` (code column ``BU_CODE``), ``wijk`` (``WK_CODE``) or ``gemeente``
        (``GM_CODE``).

    Returns
    -------
    Long table as :func:`read_values`; sentinels (-99997, -99999999, ...) become
    ``suppressed`` or ``missing``.
    """
    frame = read_table(path, layer=layer)
    prefix = LEVEL_PREFIX.get(level)
    if prefix is None:
        raise WijkatlasError(f"unknown level {level!r}.", file=path,
                             fix="use buurt, wijk or gemeente.")
    col = _find_column(frame.columns, (f"{prefix}_CODE", f"{level}code", "statcode"))
    if col is None:
        raise WijkatlasError(
            f"no {prefix}_CODE column: this is not a Wijk- en Buurtkaart {level} table.",
            file=path, fix=f"use the {LEVEL_PLURAL[level]} layer of the Wijk- en Buurtkaart.")
    long = wide_to_long(frame, catalog=catalog, file=path, code_column=col, year=year)
    _warn_ignored(long)
    return long


def read_kwb(path: str | Path, *, catalog: Catalog, year: int | None = None,
             sheet: str | int | None = None, level: str = "buurt") -> pd.DataFrame:
    """Read a CBS kwb table (``kwb-YYYY.xlsx`` or ``.csv``) for one level.

    The kwb tables hold gemeenten, wijken and buurten in one sheet; the rows of ``level``
    are kept (column ``recs``, else the code prefix). Codes come from ``gwb_code_10``.
    """
    frame = read_table(path, sheet=sheet)
    prefix = LEVEL_PREFIX.get(level)
    if prefix is None:
        raise WijkatlasError(f"unknown level {level!r}.", file=path,
                             fix="use buurt, wijk or gemeente.")
    col = _find_column(frame.columns, ("gwb_code_10", "gwb_code"))
    if col is None:
        raise WijkatlasError("no gwb_code_10 column: this is not a CBS kwb table.",
                             file=path, fix="use read_values for other tables.")
    rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    recs = _find_column(frame.columns, ("recs",))
    if recs is not None:
        keep = frame[recs].astype("string").str.strip().str.lower() == level
    else:
        keep = frame[col].astype("string").str.strip().str.upper().str.startswith(prefix)
    keep = keep.fillna(False).astype(bool)
    long = wide_to_long(frame[keep], catalog=catalog, file=path, code_column=col, year=year,
                        rows=rows[keep])
    if (~keep).any():
        dropped = f"{int((~keep).sum())} row(s) that are not {LEVEL_PLURAL[level]}"
        long.attrs["ignored"].insert(0, dropped)
    _warn_ignored(long)
    return long


def read_statline(table_id: str, *, catalog: Catalog, municipality: str,
                  level: str = "buurt", year: int | None = None) -> pd.DataFrame:
    """Download Kerncijfers wijken en buurten from CBS StatLine with ``cbsodata``.

    Calls ``cbsodata.get_data(table_id, typed=True, filters=...)`` for the units of one
    municipality and level (e.g. ``substringof('BU0797',WijkenEnBuurten)``). The untyped
    data set keeps CBS's symbols, so ``.`` stays distinguishable from 0. Codes come from the
    ``Codering`` column (the ``WijkenEnBuurten`` key is replaced by a name in ``cbsodata``).

    Parameters
    ----------
    table_id
        StatLine table, e.g. ``84583NED`` (2019); see :func:`kwb_tables`.
    municipality
        CBS gemeentecode, e.g. ``GM0797``.
    level
        ``buurt``, ``wijk`` or ``gemeente``.
    year
        Reference year (default: looked up in :func:`kwb_tables`).

    Raises
    ------
    WijkatlasError
        When StatLine cannot be reached or returns no rows.
    """
    import cbsodata
    import requests

    prefix = LEVEL_PREFIX.get(level)
    if prefix is None or not re.fullmatch(r"GM\d{4}", municipality):
        raise WijkatlasError(f"unknown level {level!r} or municipality {municipality!r}.",
                             file=f"StatLine {table_id}",
                             fix="use level buurt/wijk/gemeente and a code like GM0797.")
    unit_prefix = prefix + municipality[2:]
    source = f"StatLine {table_id}"
    try:
        # cbsodata 1.3 downloads the *untyped* data set when typed=True (it drops the set
        # named by the flag from its list); untyped keeps CBS's symbols such as '.'.
        # cbsodata sends with Session.send, which skips the environment's proxy settings.
        proxies = requests.utils.get_environ_proxies(
            f"https://opendata.cbs.nl/ODataFeed/odata/{table_id}")
        rows = cbsodata.get_data(table_id, typed=True,
                                 filters=f"substringof('{unit_prefix}',WijkenEnBuurten)",
                                 proxies=dict(proxies))
    except requests.RequestException as exc:
        raise WijkatlasError(f"StatLine could not be read ({exc}).", file=source,
                             fix="check the internet connection and the table id, or "
                                 "download the table as CSV and import that.") from exc
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise WijkatlasError(f"StatLine returned no rows for {unit_prefix}.", file=source,
                             fix="check the table id and the municipality code.")
    col = _find_column(frame.columns, ("Codering",))
    if col is None:
        raise WijkatlasError("the table has no Codering column.", file=source,
                             fix="use a Kerncijfers wijken en buurten table.")
    codes = frame[col].astype("string").str.strip().str.upper()
    keep = codes.str.startswith(unit_prefix).fillna(False).astype(bool)
    if year is None:
        year = {v: k for k, v in kwb_tables().items()}.get(table_id.upper())
    rows_no = pd.Series(np.arange(len(frame)) + 1, index=frame.index)
    long = wide_to_long(frame[keep], catalog=catalog, file=source, code_column=col,
                        year=year, rows=rows_no[keep])
    _warn_ignored(long)
    return long


def check_codes(values: pd.DataFrame, layer_codes: Iterable[str], file: str | Path) -> None:
    """Refuse values for units that are not in the geometry layer they are joined to.

    Parameters
    ----------
    values
        Long table from one of the readers (column ``code``).
    layer_codes
        Codes of the layer of that year (e.g. ``statcode`` of ``cbs_buurten_2019``).
    file
        The values' file, for the message.

    Raises
    ------
    WijkatlasError
        Listing the unknown codes (the first 20 and how many there are).
    """
    known = {str(c).strip().upper() for c in layer_codes}
    unknown = sorted(set(values["code"].astype(str)) - known)
    if unknown:
        shown = ", ".join(unknown[:20]) + (" ..." if len(unknown) > 20 else "")
        raise WijkatlasError(
            f"{len(unknown)} code(s) in the table are not in the layer: {shown}.",
            file=file, unit=unknown[0],
            fix="use the buurt codes of the geometry of the same year (codes are reused "
                "with another meaning after a redivision), or correct the codes.")
