"""Reading record files (CSV, Excel, GeoPackage/GeoJSON) into one checked table.

Every record keeps where it came from (``file``, ``row`` as a spreadsheet shows it: the
header is row 1) so an unplaced record can be found again; nothing else of the record leaves
this package except the counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import WijkatlasError
from geo.records.source import RecordSource

PC6 = re.compile(r"^[1-9][0-9]{3}[A-Z]{2}$")
PC4 = re.compile(r"^[1-9][0-9]{3}$")
#: Share of records with coordinates outside the declared CRS's area above which the whole
#: file is refused as being in another CRS (below it, those records are listed unplaced).
WRONG_CRS_SHARE = 0.5

__all__ = ["prepare_records", "read_record_file", "read_records"]


def _sniff_separator(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        first = handle.readline()
    counts = {sep: first.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def read_record_file(path: str | Path) -> pd.DataFrame:
    """Read one record file as text columns (CSV with , ; or tab, Excel, or a vector layer:
    a point layer gets ``x`` and ``y`` columns and keeps its CRS in ``attrs['crs']``)."""
    path = Path(path)
    if not path.exists():
        raise WijkatlasError("record file not found.", file=path, fix="check the path.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = pd.read_csv(path, sep=_sniff_separator(path), dtype=str,
                                keep_default_na=False, encoding="utf-8-sig")
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        elif suffix in (".gpkg", ".geojson", ".json", ".shp", ".fgb"):
            import pyogrio

            gdf = pyogrio.read_dataframe(path)
            frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name, errors="ignore"))
            frame = frame.astype(str).replace({"None": "", "nan": "", "NaT": ""})
            if getattr(gdf, "crs", None) is not None and len(gdf):
                frame["x"] = gdf.geometry.x.to_numpy().astype(str)
                frame["y"] = gdf.geometry.y.to_numpy().astype(str)
                frame.attrs["crs"] = gdf.crs.to_string()
        else:
            raise WijkatlasError(f"unknown file type {suffix!r}.", file=path,
                                 fix="give records as CSV, Excel (.xlsx) or a GeoPackage.")
    except WijkatlasError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise WijkatlasError("the file is empty.", file=path,
                             fix="give a file with a header and at least one record.",
                             rule="empty_file") from exc
    except Exception as exc:  # parsers raise many types for broken files
        raise WijkatlasError(f"cannot be read ({exc}).", file=path,
                             fix="save it as UTF-8 CSV or .xlsx with a header row.") from exc
    if len(frame) == 0:
        raise WijkatlasError("the file has no records (only a header, or nothing).", file=path,
                             fix="give a file with at least one record.", rule="empty_file")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _numbers(values: pd.Series, what: str, path: Path, rows: np.ndarray) -> np.ndarray:
    """Numbers as written (decimal comma accepted); empty is NaN; anything else refused."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
            values.dtype):
        number = values.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(number).any():
            i = int(np.flatnonzero(np.isinf(number))[0])
            raise WijkatlasError(f"{what} is infinite.", file=path, unit=f"row {rows[i]}",
                                 fix=f"write the {what} as a finite number.")
        return number
    text = values.astype("string").fillna("").str.strip()
    comma = ~text.str.contains(".", regex=False)
    text = text.where(~comma, text.str.replace(",", ".", regex=False))
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(number) & (text != "").to_numpy()
    bad |= np.isinf(number)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WijkatlasError(f"{what} {text.iloc[i]!r} is not a number.", file=path,
                             unit=f"row {rows[i]}", fix=f"write the {what} as a number, "
                             "e.g. 141234.5, or leave it empty.")
    return number


@lru_cache(maxsize=16)
def _transformers(crs: str):
    """(CRS, area of use in that CRS or None, transformer to RD New or None); cached."""
    from pyproj import CRS, Transformer

    src = CRS.from_user_input(crs)
    bounds = None
    if src.area_of_use is not None:
        a = src.area_of_use
        to_src = Transformer.from_crs("EPSG:4326", src, always_xy=True)
        bounds = to_src.transform_bounds(a.west, a.south, a.east, a.north)
    to_rd = None
    if not src.equals(CRS.from_epsg(28992)):
        to_rd = Transformer.from_crs(src, "EPSG:28992", always_xy=True)
    return src, bounds, to_rd


def _check_crs(x: np.ndarray, y: np.ndarray, crs: str, path: Path, rows: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reproject to EPSG:28992; flag records outside the declared CRS's area, and refuse the
    file when most of them are (the coordinates are in another CRS than declared)."""
    src, bounds, to_rd = _transformers(str(crs))
    has = np.isfinite(x) & np.isfinite(y)
    outside = np.zeros(len(x), dtype=bool)
    if bounds is not None and has.any():
        xmin, ymin, xmax, ymax = bounds
        # the area of use is approximate (onshore); a margin keeps coasts and borders in,
        # while another CRS (degrees for metres) is still far outside
        mx, my = 0.1 * (xmax - xmin), 0.1 * (ymax - ymin)
        xmin, xmax, ymin, ymax = xmin - mx, xmax + mx, ymin - my, ymax + my
        outside = has & ~((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
        if outside.sum() > WRONG_CRS_SHARE * has.sum():
            i = int(np.flatnonzero(outside)[0])
            raise WijkatlasError(
                f"{outside.sum():,} of {has.sum():,} coordinates (e.g. x={x[i]:.6g}, "
                f"y={y[i]:.6g}) lie outside the area of the declared CRS {src.name}: they are "
                "in another CRS.", file=path, unit=f"row {rows[i]}",
                fix="declare the CRS the coordinates are in ([location] crs = \"EPSG:...\"), "
                    "e.g. EPSG:4326 for longitude/latitude.", rule="wrong_crs")
    if to_rd is not None:
        x, y = to_rd.transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x = np.where(outside, np.nan, x)
    y = np.where(outside, np.nan, y)
    return x, y, outside


def prepare_records(frame: pd.DataFrame, source: RecordSource, file: str | Path = "records",
                    *, first_row: int = 2) -> pd.DataFrame:
    """Check and normalise a table of records for ``source``.

    Parameters
    ----------
    frame
        The records as read (text columns are fine).
    source
        The record source that says which columns mean what.
    file
        Name used in messages and in the ``file`` column.
    first_row
        Row number of the first record as a spreadsheet shows it (2: below the header).

    Returns
    -------
    DataFrame
        ``file, row, id, year, status`` plus the location (``x, y`` in EPSG:28992;
        ``postcode``, ``huisnummer``, ``toevoeging``, ``bag_id``), ``in_<code>`` (does the
        record count for the indicator) and ``value_<code>`` (its value, for value sums).
        ``status`` is ``ok`` or the reason a record cannot be placed (``no_date``,
        ``no_location``, ``bad_postcode``, ``outside_crs``).

    Raises
    ------
    WijkatlasError
        Empty table, a column the source names that is not in the file, a date that is not a
        date, a coordinate or value that is not a number, coordinates in another CRS.
    """
    path = Path(str(file))
    if len(frame) == 0:
        raise WijkatlasError("the file has no records.", file=path,
                             fix="give a file with at least one record.", rule="empty_file")
    missing = [c for c in source.columns_needed() if c not in frame.columns]
    if missing:
        raise WijkatlasError(
            f"column(s) {', '.join(map(repr, missing))} named in {source.path.name} are not in "
            f"the file (columns: {', '.join(map(str, frame.columns))}).", file=path,
            fix=f"rename the column in the file or correct {source.path.name}.",
            rule="unknown_column")
    n = len(frame)
    rows = np.arange(first_row, first_row + n)
    out = pd.DataFrame({"file": str(file), "row": rows})
    out["id"] = (frame[source.id].astype("string").str.strip().to_numpy() if source.id
                 else pd.array([pd.NA] * n, dtype="string"))
    status = np.full(n, "ok", dtype=object)

    column = frame[source.date]
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        dates, bad = column, np.zeros(n, dtype=bool)
    else:
        text = _as_text(column)
        fmt = source.date_format or "ISO8601"
        dates = pd.to_datetime(text.where(text != "", None), format=fmt, errors="coerce")
        bad = dates.isna().to_numpy() & (text != "").to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WijkatlasError(
            f"date {text.iloc[i]!r} in column {source.date!r} is not a date"
            + (f" in the format {source.date_format!r}." if source.date_format else "."),
            file=path, unit=f"row {rows[i]}", rule="bad_date",
            fix="write dates as 2021-03-15 (or set date_format in the source, e.g. "
                "\"%d-%m-%Y\").")
    year = dates.dt.year.astype("Int64")
    out["year"] = year.array
    status[year.isna().to_numpy()] = "no_date"

    loc = source.location
    cols = loc.columns
    if loc.method == "xy":
        x = _numbers(frame[cols["x"]], "x", path, rows)
        y = _numbers(frame[cols["y"]], "y", path, rows)
        crs = frame.attrs.get("crs") if cols["x"] == "x" and "crs" in frame.attrs else loc.crs
        x, y, outside = _check_crs(x, y, crs, path, rows)
        out["x"], out["y"] = x, y
        none = (np.isnan(x) | np.isnan(y)) & ~outside
        status[(status == "ok") & none] = "no_location"
        status[(status == "ok") & outside] = "outside_crs"
    elif loc.method in ("pc6", "pc4", "pc6_huisnummer"):
        pc = per_distinct(frame[cols["postcode"]], normal_postcode)
        empty = (pc == "").to_numpy()
        if loc.method == "pc4":
            pc = per_distinct(pc, lambda u: u.str[:4])
            valid = per_distinct(pc, lambda u: u.str.fullmatch(PC4.pattern).fillna(False)
                                 ).to_numpy(dtype=bool)
        else:
            valid = per_distinct(pc, lambda u: u.str.fullmatch(PC6.pattern).fillna(False)
                                 ).to_numpy(dtype=bool)
        out["postcode"] = pc.to_numpy()
        status[(status == "ok") & empty] = "no_location"
        status[(status == "ok") & ~empty & ~valid] = "bad_postcode"
        if loc.method == "pc6_huisnummer":
            raw_nr = frame[cols["huisnummer"]]
            if pd.api.types.is_integer_dtype(raw_nr.dtype):
                number = raw_nr.astype("Int64")
                rest = pd.Series("", index=frame.index, dtype="string")
            else:
                number = per_distinct(raw_nr, lambda u: pd.to_numeric(
                    u.str.strip().str.extract(r"^(\d+)")[0], errors="coerce")).astype("Int64")
                rest = per_distinct(raw_nr, lambda u: u.str.strip().str.extract(
                    r"^\d+\s*[-/ ]?\s*(.*)$")[0].fillna("")).astype("string")
            toev = (per_distinct(frame[cols["toevoeging"]], lambda u: u.str.strip())
                    if "toevoeging" in cols else pd.Series("", index=frame.index))
            toev = toev.astype("string").fillna("")
            toev = toev.where(toev != "", rest)
            out["huisnummer"] = number.to_numpy()
            out["toevoeging"] = per_distinct(toev, _toevoeging).to_numpy()
            # a postcode without a usable number is still placeable by its postcode
            out["no_number"] = number.isna().to_numpy()
    elif loc.method == "bag":
        bag = per_distinct(frame[cols["bag_id"]], normal_bag_id)
        out["bag_id"] = bag.to_numpy()
        status[(status == "ok") & (bag == "").to_numpy()] = "no_location"

    for ind in source.counts:
        keep = np.ones(n, dtype=bool)
        for column, values in ind.where.items():
            # compare the distinct values once (fast for millions of records)
            codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
            norm = pd.Series(uniques).astype("string").fillna("").str.strip().str.lower()
            match = norm.isin([v.lower() for v in values]).to_numpy()
            keep &= np.where(codes >= 0, match[np.clip(codes, 0, None)], False)
        out[f"in_{ind.code}"] = keep
        if ind.value:
            value = _numbers(frame[ind.value], ind.value, path, rows)
            if (value[np.isfinite(value)] < 0).any():
                i = int(np.flatnonzero(np.isfinite(value) & (value < 0))[0])
                raise WijkatlasError(f"{ind.value} {value[i]} is negative.", file=path,
                                     unit=f"row {rows[i]}",
                                     fix=f"give {ind.value} as a count of 0 or more.")
            out[f"value_{ind.code}"] = np.nan_to_num(value, nan=0.0)
    out["status"] = status
    return out


def per_distinct(values: pd.Series, func) -> pd.Series:
    """``func`` applied to the distinct values of a column only (as text, missing as ""),
    mapped back to every row: string work on millions of records costs what the distinct
    postcodes cost."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(np.asarray(uniques, dtype=object)).astype("string").fillna("")
    done = func(text.reset_index(drop=True))
    done = pd.Series(np.asarray(done, dtype=object)).reset_index(drop=True)
    empty = func(pd.Series([""], dtype="string"))
    filler = np.asarray(empty, dtype=object)[0] if len(empty) else ""
    lookup = np.append(done.to_numpy(dtype=object), filler)
    return pd.Series(lookup[np.where(codes >= 0, codes, len(done))], index=values.index)


def normal_postcode(values: pd.Series) -> pd.Series:
    """``5251 eb`` -> ``5251EB``."""
    return values.str.upper().str.replace(r"\s+", "", regex=True)


def normal_bag_id(values: pd.Series) -> pd.Series:
    """A BAG id as 16 digits (leading zeros restored; ``.0`` of a spreadsheet removed)."""
    bag = values.str.strip().str.replace(r"\.0$", "", regex=True)
    digits = bag.str.fullmatch(r"\d{1,16}").fillna(False)
    return bag.where(~digits, bag.str.zfill(16))


def _as_text(values: pd.Series) -> pd.Series:
    """Text of a column, stripped, empty for missing (distinct values converted once)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(uniques).astype("string").fillna("").str.strip().to_numpy(dtype=object)
    out = np.where(codes >= 0, text[np.clip(codes, 0, None)] if len(text) else "", "")
    return pd.Series(out, index=values.index, dtype="string")


def _toevoeging(values: pd.Series) -> pd.Series:
    """Huisletter + toevoeging as one comparable key: upper case, no spaces or dashes."""
    return values.astype("string").fillna("").str.upper().str.replace(r"[\s\-/]+", "",
                                                                       regex=True)


def read_records(source: RecordSource, files: Sequence[str | Path] | None = None
                 ) -> pd.DataFrame:
    """Read and check every record file of ``source`` (its pattern, or ``files``)."""
    paths = [Path(f) for f in files] if files else source.file_paths()
    if not paths:
        raise WijkatlasError(f"no record files match {source.files!r}.", file=source.path,
                             fix="put the files next to the source TOML or pass --records.")
    frames = [prepare_records(read_record_file(p), source, p) for p in paths]
    return pd.concat(frames, ignore_index=True)
