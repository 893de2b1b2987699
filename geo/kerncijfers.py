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
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from geo.catalog import Catalog
from geo.errors import WijkatlasError

SUPPRESSED_CODES = (-99997, -99999999)
MISSING_CODES = (-99995, -99998, -99999997, -99999998)
SENTINEL_LIMIT = -99990.0
SUPPRESSED_SYMBOLS = (".", "x")
MISSING_SYMBOLS = ("", "?")
ZERO_SYMBOLS = ("-",)
STATUSES = ("observed", "suppressed", "missing")

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

def _kwb_tables() -> dict[int, str]:
    from geo.fetch.services import load_services

    return {year: s.statline.table for year, s in load_services().years.items()
            if not s.statline.period}


#: StatLine Kerncijfers wijken en buurten table per reference year (the single-year tables of
#: geo/fetch/cbs_services.toml, where every published year is kept as data).
KWB_TABLES = _kwb_tables()

_YEAR_IN_NAME = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_DECIMAL_COMMA = re.compile(r"^-?\d*,\d+$")
_NUMBER_SUFFIX = re.compile(r"_\d+$")


class IgnoredInputWarning(UserWarning):
    """Columns or rows of an input table that were not read (listed in the message)."""


# --- cells -------------------------------------------------------------------------------


def parse_cells(raw: pd.Series, *, file: str | Path, column: str,
                rows: pd.Series | None = None, codes: pd.Series | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Turn one column of CBS cells into values and statuses.

    Parameters
    ----------
    raw
        The cells as read (numbers, strings or a mix).
    file, column
        Used in the error message.
    rows
        File row number of every cell (for the error message); default ``index + 2``.
    codes
        Unit code of every cell (for the error message).

    Returns
    -------
    ``(value, status)``: a float array (NaN unless observed) and an object array of
    ``observed`` / ``suppressed`` / ``missing``, following the table in the module docstring.

    Raises
    ------
    WijkatlasError
        When a cell is neither a number nor a known CBS symbol.
    """
    raw = raw.reset_index(drop=True)
    direct = pd.to_numeric(raw, errors="coerce")
    text = raw.astype("string").str.strip().fillna("")
    text = text.where(direct.isna(), "0")  # cells read as numbers need no text handling
    lower = text.str.lower()
    is_zero = lower.isin(ZERO_SYMBOLS).to_numpy() & direct.isna().to_numpy()
    is_supp = lower.isin(SUPPRESSED_SYMBOLS).to_numpy() & direct.isna().to_numpy()
    is_miss = lower.isin(MISSING_SYMBOLS).to_numpy() & direct.isna().to_numpy()
    comma = text.str.fullmatch(_DECIMAL_COMMA.pattern).fillna(False).to_numpy(dtype=bool)
    from_text = pd.to_numeric(text.where(~comma, text.str.replace(",", ".", regex=False)),
                              errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    number = direct.to_numpy(dtype=float, na_value=np.nan, copy=True)
    number = np.where(np.isnan(number), from_text, number)
    number[is_zero] = 0.0
    symbol = is_supp | is_miss
    bad = np.isnan(number) & ~symbol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = int(rows.iloc[i]) if rows is not None else i + 2
        unit = str(codes.iloc[i]) if codes is not None else None
        raise WijkatlasError(
            f"column {column}, row {row}: {str(raw.iloc[i])!r} is not a number "
            f"({int(bad.sum())} such cell(s) in this column).",
            file=file, unit=unit,
            fix="write numbers with a decimal point or comma and no thousands separator; "
                "mark withheld cells as CBS does (-99997 or '.') and leave unknown cells empty.")
    status = np.full(len(raw), "observed", dtype=object)
    sentinel = ~symbol & (number <= SENTINEL_LIMIT)
    status[is_supp | (sentinel & np.isin(number, SUPPRESSED_CODES))] = "suppressed"
    status[is_miss | (sentinel & ~np.isin(number, SUPPRESSED_CODES))] = "missing"
    value = np.where(status == "observed", number, np.nan)
    return value, status


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
                 rows: pd.Series | None = None) -> pd.DataFrame:
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

    Returns
    -------
    Long table (see module docstring) with ``attrs["ignored"]`` listing what was not read.
    """
    if rows is None:
        rows = pd.Series(np.arange(len(frame)) + 2, index=frame.index)
    col = code_column if code_column is not None else _find_column(frame.columns, CODE_COLUMNS)
    if col is None or col not in frame.columns:
        raise WijkatlasError(
            f"no column with unit codes found (columns: {', '.join(map(str, frame.columns))}).",
            file=file,
            fix="name the code column BU_CODE (or pass --code-column with its name).")
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

    parts = []
    for column, variable in mapped.items():
        value, status = parse_cells(frame[column], file=file, column=str(column),
                                    rows=rows, codes=codes)
        _check_range(catalog, variable, value, file=file, column=str(column),
                     rows=rows, codes=codes)
        parts.append(pd.DataFrame({"code": codes.to_numpy(), "variable": variable,
                                   "value": value, "status": status}))
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
    if ind.kind in ("count", "share", "density"):
        neg = np.flatnonzero(value < 0)
        if neg.size:
            i = int(neg[0])
            raise WijkatlasError(
                f"column {column}, row {int(rows.iloc[i])}: {value[i]:g} is negative, "
                f"which a {ind.kind} cannot be.", file=file, unit=str(codes.iloc[i]),
                fix="correct the value, or mark a withheld cell with -99997 and leave an "
                    "unknown cell empty.")
    if ind.kind == "share":
        over = np.flatnonzero(value > ind.per * 1.0001)
        if over.size:
            i = int(over[0])
            raise WijkatlasError(
                f"column {column}, row {int(rows.iloc[i])}: {value[i]:g} is above "
                f"{ind.per:g}; {variable} is a share (per {ind.per:g}) in the catalog, so "
                f"this column looks like a count.", file=file, unit=str(codes.iloc[i]),
                fix=f"give the share as a value between 0 and {ind.per:g}, or put the count "
                    f"under the name of a count indicator ({ind.denominator} is its "
                    "denominator).")


def _warn_ignored(long: pd.DataFrame) -> None:
    if long.attrs.get("ignored"):
        warnings.warn(f"{long.attrs['file']}: not read: {'; '.join(long.attrs['ignored'])}.",
                      IgnoredInputWarning, stacklevel=3)


def read_table(path: str | Path, *, sheet: str | int | None = None,
               layer: str | None = None) -> pd.DataFrame:
    """Read a CSV, Excel or vector attribute table with every cell as read (no conversion).

    CSV: the delimiter (``;``, ``,`` or tab) is detected; UTF-8 (with or without BOM) or
    Latin-1. Excel (``.xlsx``/``.xlsm``): ``sheet`` (name or index, default the first).
    Vector files (``.gpkg``, ``.shp``, ``.geojson``, ``.dbf``): the attributes of ``layer``.

    Raises
    ------
    WijkatlasError
        When the file does not exist or its type is not supported.
    """
    path = Path(path)
    if not path.exists():
        raise WijkatlasError("file not found.", file=path, fix="check the path.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        first = text.splitlines()[0] if text else ""
        try:
            sep = csv.Sniffer().sniff(first, delimiters=";,\t").delimiter
        except csv.Error:
            sep = ","
        from io import StringIO
        return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0,
                             dtype=object, engine="openpyxl")
    if suffix in (".gpkg", ".shp", ".geojson", ".json", ".dbf"):
        import pyogrio
        return pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
    raise WijkatlasError(
        f"files of type {suffix or '(none)'} cannot be read.", file=path,
        fix="save the table as CSV (.csv) or Excel (.xlsx).")


# --- public readers ----------------------------------------------------------------------


def read_values(path: str | Path, *, catalog: Catalog, code_column: str | None = None,
                year: int | None = None, sheet: str | int | None = None) -> pd.DataFrame:
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

    Returns
    -------
    Long table ``code, variable, value, status[, year]``; columns and rows that were not
    read are in ``attrs["ignored"]`` and reported with an :class:`IgnoredInputWarning`.
    """
    frame = read_table(path, sheet=sheet)
    long = wide_to_long(frame, catalog=catalog, file=path, code_column=code_column, year=year)
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


def read_statline(table_id: str, *, catalog: Catalog, municipality: str = "GM0797",
                  level: str = "buurt", year: int | None = None) -> pd.DataFrame:
    """Download Kerncijfers wijken en buurten from CBS StatLine with ``cbsodata``.

    Calls ``cbsodata.get_data(table_id, typed=True, filters=...)`` for the units of one
    municipality and level (e.g. ``substringof('BU0797',WijkenEnBuurten)``). The untyped
    data set keeps CBS's symbols, so ``.`` stays distinguishable from 0. Codes come from the
    ``Codering`` column (the ``WijkenEnBuurten`` key is replaced by a name in ``cbsodata``).

    Parameters
    ----------
    table_id
        StatLine table, e.g. ``84583NED`` (2019); see :data:`KWB_TABLES`.
    municipality
        CBS gemeentecode, e.g. ``GM0797``.
    level
        ``buurt``, ``wijk`` or ``gemeente``.
    year
        Reference year (default: looked up in :data:`KWB_TABLES`).

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
        year = {v: k for k, v in KWB_TABLES.items()}.get(table_id.upper())
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
