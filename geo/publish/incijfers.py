"""The incijfers (Swing, ABF Research) bulk-upload export of one boundary version, and its checker.

What enters: the atlas GeoPackage only (``results`` with every level of the version,
``indicators``, ``levels``). What leaves: two semicolon-separated UTF-8 files in one folder,

``data.csv``
    ``period;geolevel;geoitem;<indicator>;...``: one row per period (year) and area of every
    level (wijk, kern, wijkteam, gemeente, ...); ``geolevel`` is the level's Swing code from
    ``levels.toml`` (default ``<level><version>``, e.g. ``kern2020``), ``geoitem`` the area
    code. Values with a decimal point; percentages as 0-100; ``-99997`` where a figure is
    withheld (CBS secrecy, too few survey answers, a small or derivable register count) and
    ``-99999`` where there is no figure.
``metadata.csv``
    ``Onderwerpcode;Naam;Beschrijving;Eenheid;Bron``: one row per indicator column.

For every share, mean, median and density the export carries what was divided as indicators
of their own: ``<code>_teller`` and ``<code>_noemer`` (shares, densities) or
``<code>_gewicht`` (means, medians), so a platform that aggregates areas further sums those
and divides again instead of averaging percentages. Indicator codes are the catalog codes in
lower case: at most 50 characters from ``a-z``, ``0-9`` and ``_`` (Swing's rule for indicator
codes).

:func:`check_export` validates a folder against these rules; ``wijkatlas export check DIR``
runs it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from geo.atomic import write_text
from geo.errors import WijkatlasError
from geo.untrusted import csv_safe_text

__all__ = [
    "DATA_FILE", "METADATA_FILE", "MISSING", "SUPPRESSED", "check_export", "export_tables",
    "indicator_code", "write_incijfers",
]

DATA_FILE = "data.csv"
METADATA_FILE = "metadata.csv"
DATA_KEYS = ("period", "geolevel", "geoitem")
METADATA_COLUMNS = ("Onderwerpcode", "Naam", "Beschrijving", "Eenheid", "Bron")
#: Swing's codes for a withheld figure and for no figure.
SUPPRESSED = -99997
MISSING = -99999
SPECIAL = (SUPPRESSED, MISSING)
WITHHELD_STATUSES = ("suppressed", "too_few", "small", "withheld")
VALUE_STATUSES = ("observed", "partial")
CODE = re.compile(r"[a-z0-9_]{1,50}")
PERIOD = re.compile(r"(19|20)\d\d")
PERCENT_UNITS = ("%", "procent", "percentage")
#: Rounding of exported values (decimals); the checker tolerates this.
DECIMALS = 6
PART_SUFFIXES = {"share": ("teller", "noemer"), "density": ("teller", "noemer"),
                 "ratio": ("teller", "noemer"), "mean": ("teller", "gewicht"),
                 "median": ("teller", "gewicht")}


def indicator_code(code: str) -> str:
    """The Swing code of a catalog code: lower case, at most 50 characters of a-z0-9_."""
    out = re.sub(r"[^a-z0-9_]", "_", str(code).strip().lower())
    return out[:50]


def _clean_text(text) -> str:
    """Metadata text: one line, no control characters, never read as a spreadsheet formula
    (:func:`geo.untrusted.csv_safe_text`)."""
    value = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return csv_safe_text(re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", value).strip())


def _number(value: float) -> str:
    """A value as Swing reads it: decimal point, no exponent, no trailing zeros."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{round(value, DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _read(atlas: Path, layer: str) -> pd.DataFrame:
    try:
        return pyogrio.read_dataframe(atlas, layer=layer)
    except Exception as exc:  # noqa: BLE001 - any reading error is one line for the user
        raise WijkatlasError(f"layer {layer!r} cannot be read ({exc}).", file=atlas,
                             unit=layer, fix="rebuild the atlas with `make atlas`.") from exc


@dataclass(frozen=True)
class _Column:
    code: str  # Swing code
    variable: str  # results variable
    part: str  # "value", "numerator" or "denominator"
    name: str
    description: str
    unit: str
    source: str


def _columns(indicators: pd.DataFrame, variables: list[str]) -> list[_Column]:
    ind = indicators.set_index("code")
    label = ind["label"].astype(str).to_dict()
    unit = ind["unit"].astype(str).to_dict()
    cols: list[_Column] = []
    for var in variables:
        row = ind.loc[var] if var in ind.index else None
        kind = str(row["kind"]) if row is not None else "count"
        lab = label.get(var, var)
        src = _clean_text(row["source"]) if row is not None else ""
        desc = _clean_text(row.get("description", "")) if row is not None else ""
        code = indicator_code(var)
        parts = PART_SUFFIXES.get(kind)
        how = ""
        if parts:
            num, den = f"{code}_{parts[0]}", f"{code}_{parts[1]}"
            if kind in ("share", "ratio"):
                raw_per = pd.to_numeric(row.get("per", 100), errors="coerce") \
                    if row is not None else 100
                per = f"{raw_per:g}" if pd.notna(raw_per) else "per"
                how = (f" Waarde = {num} / {den} x {per}; bij optellen van gebieden "
                       f"{num} en {den} optellen en opnieuw delen.")
            else:
                how = (f" Waarde = {num} / {den}; bij optellen van gebieden {num} en {den} "
                       "optellen en opnieuw delen.")
        cols.append(_Column(code, var, "value", _clean_text(lab),
                            _clean_text(f"{desc}{how}".strip()), _clean_text(unit.get(var, "")),
                            src))
        if not parts:
            continue
        ref = ""
        if row is not None:
            ref = str(row.get({"share": "denominator", "density": "count",
                               "ratio": "denominator"}.get(kind, "weight")) or "")
        ref_label = label.get(ref, ref)
        ref_unit = unit.get(ref, "")
        if kind == "share":
            num_unit, den_unit = ref_unit, ref_unit
            num_desc = f"Aantal ({ref_label.lower()}) met het kenmerk van {code}."
            den_desc = f"Noemer van {code}: {ref_label}."
        elif kind == "ratio":
            top = str(row.get("numerator") or "") if row is not None else ""
            num_unit, den_unit = unit.get(top, ""), ref_unit
            num_desc = f"Teller van {code}: {label.get(top, top)}."
            den_desc = f"Noemer van {code}: {ref_label}."
        elif kind == "density":
            num_unit, den_unit = ref_unit, "km2"
            num_desc = f"Teller van {code}: {ref_label}."
            den_desc = f"Noemer van {code}: oppervlakte in km2."
        else:
            num_unit, den_unit = f"{unit.get(var, '')} x {ref_unit}", ref_unit
            num_desc = f"Teller van {code}: som van waarde x gewicht ({ref_label.lower()})."
            den_desc = f"Gewicht van {code}: {ref_label}."
        cols.append(_Column(f"{code}_{parts[0]}", var, "numerator",
                            _clean_text(f"{lab} (teller)"), _clean_text(num_desc),
                            _clean_text(num_unit), src))
        cols.append(_Column(f"{code}_{parts[1]}", var, "denominator",
                            _clean_text(f"{lab} ({parts[1]})"), _clean_text(den_desc),
                            _clean_text(den_unit), src))
    seen: dict[str, str] = {}
    for col in cols:
        if not CODE.fullmatch(col.code):
            raise WijkatlasError(f"indicator {col.variable} gives no valid Swing code "
                                 f"({col.code!r}).", unit=col.variable,
                                 fix="use catalog codes of letters, digits and _.")
        other = seen.setdefault(col.code, col.variable)
        if other != col.variable:
            raise WijkatlasError(f"indicators {other} and {col.variable} both become the Swing "
                                 f"code {col.code}.", unit=col.variable,
                                 fix="give them codes that differ in more than case.")
    return cols


def export_tables(atlas: str | Path, version: str, *, results: pd.DataFrame | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data and metadata tables of the incijfers export of ``version`` (as text cells);
    ``results`` is the atlas's ``results`` table when the caller has read it already.

    Raises
    ------
    WijkatlasError
        When the atlas has no results for the version.
    """
    atlas = Path(atlas)
    results = _read(atlas, "results") if results is None else results.copy()
    results["version"] = results["version"].astype(str)
    res = results[results["version"] == str(version)].copy()
    if res.empty:
        known = ", ".join(sorted(results["version"].unique())) or "none"
        raise WijkatlasError(f"the atlas has no results for version {version!r} "
                             f"(versions: {known}).", file=atlas, unit=str(version),
                             fix="pass --version with one of the versions listed.")
    indicators = _read(atlas, "indicators")
    names = {str(n) for n in pyogrio.list_layers(atlas)[:, 0]}
    geolevels = {"wijk": f"wijk{version}"}
    if "levels" in names:
        lk = _read(atlas, "levels")
        lk = lk[lk["version"].astype(str) == str(version)]
        geolevels.update(dict(zip(lk["level"].astype(str), lk["geolevel"].astype(str),
                                  strict=True)))
    if "level" not in res:
        res["level"] = "wijk"
    res["level"] = res["level"].fillna("wijk").astype(str)
    order = list(indicators["code"].astype(str))
    present = set(res["variable"].astype(str))
    variables = [c for c in order if c in present] + sorted(present - set(order))
    cols = _columns(indicators, variables)

    for level in pd.unique(res["level"]):
        # a level a source adds on its own (the registers' and survey's gemeente total of a
        # version without levels.toml): "gemeente" stays "gemeente", others get the version
        geolevels.setdefault(level, level if level == "gemeente" else f"{level}{version}")
    res["geolevel"] = res["level"].map(geolevels)
    bad = [g for g in set(geolevels.values()) if not CODE.fullmatch(g)]
    if bad:
        raise WijkatlasError(f"geolevel {bad[0]!r} is not a code of a-z, 0-9 and _.",
                             file=atlas, unit=bad[0],
                             fix="give the level a geolevel of a-z, 0-9 and _ in levels.toml.")
    level_order = {lv: i for i, lv in enumerate(dict.fromkeys(geolevels))}
    keys = (res[["year", "level", "geolevel", "unit_code"]].drop_duplicates()
            .assign(o=lambda d: d["level"].map(level_order))
            .sort_values(["year", "o", "unit_code"]).reset_index(drop=True))
    row_of = pd.MultiIndex.from_frame(keys[["year", "level", "unit_code"]])
    ri = row_of.get_indexer(pd.MultiIndex.from_frame(res[["year", "level", "unit_code"]]))
    status = res["status"].astype(str).to_numpy()
    var_pos = {v: i for i, v in enumerate(variables)}
    vi = res["variable"].map(var_pos).to_numpy()
    data = {"period": keys["year"].astype(int).astype(str),
            "geolevel": keys["geolevel"], "geoitem": keys["unit_code"].astype(str)}
    for col in cols:
        grid = np.full(len(keys), float(MISSING))
        mine = vi == var_pos[col.variable]
        source = {"value": "value", "numerator": "numerator",
                  "denominator": "denominator"}[col.part]
        vals = (pd.to_numeric(res[source], errors="coerce").to_numpy(dtype=float)
                if source in res else np.full(len(res), np.nan))
        shown = mine & np.isin(status, VALUE_STATUSES) & np.isfinite(vals)
        withheld = mine & np.isin(status, WITHHELD_STATUSES)
        grid[ri[shown]] = vals[shown]
        grid[ri[withheld]] = float(SUPPRESSED)
        data[col.code] = [_number(v) for v in grid]
    meta = pd.DataFrame([{"Onderwerpcode": c.code, "Naam": c.name, "Beschrijving": c.description,
                          "Eenheid": c.unit, "Bron": c.source} for c in cols],
                        columns=list(METADATA_COLUMNS))
    return pd.DataFrame(data), meta


def _csv_text(frame: pd.DataFrame) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(frame.columns)
    writer.writerows(frame.itertuples(index=False, name=None))
    return buf.getvalue()


def write_incijfers(atlas: str | Path, version: str, out_dir: str | Path, *,
                    results: pd.DataFrame | None = None) -> list[Path]:
    """Write ``data.csv`` and ``metadata.csv`` for ``version`` into ``out_dir``.

    Both files are built in memory, checked with :func:`check_export` and written atomically,
    so a refused export leaves the folder as it was.
    """
    data, meta = export_tables(atlas, version, results=results)
    data_text, meta_text = _csv_text(data), _csv_text(meta)
    problems = check_texts(data_text, meta_text)
    if problems:
        raise WijkatlasError(f"the export would break Swing's rules: {problems[0]}",
                             file=atlas, unit=str(version),
                             fix="report this as a bug in wijkatlas with the atlas.")
    out_dir = Path(out_dir)
    return [write_text(out_dir / DATA_FILE, data_text),
            write_text(out_dir / METADATA_FILE, meta_text)]


# --- the checker --------------------------------------------------------------------------------

def _rows(text: str, name: str, problems: list[str]) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    if ";" not in first and ("," in first or "\t" in first):
        problems.append(f"{name}: the header is not separated by semicolons ({first[:60]!r}). "
                        "Fix: write the file with ; between columns.")
        return []
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def check_texts(data_text: str, meta_text: str, *, limit: int = 50) -> list[str]:
    """The rule violations of an export given as the texts of its two files."""
    problems: list[str] = []
    meta_rows = _rows(meta_text, METADATA_FILE, problems)
    units: dict[str, str] = {}
    if meta_rows:
        header = [h.strip() for h in meta_rows[0]]
        if tuple(header) != METADATA_COLUMNS:
            problems.append(f"{METADATA_FILE}: the header is {';'.join(header)!r}, not "
                            f"{';'.join(METADATA_COLUMNS)!r}. Fix: use exactly these columns.")
        for n, row in enumerate(meta_rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(METADATA_COLUMNS):
                problems.append(f"{METADATA_FILE}: line {n} has {len(row)} fields instead of "
                                f"{len(METADATA_COLUMNS)}. Fix: quote text that holds a ;.")
                continue
            code = row[0]
            if not CODE.fullmatch(code):
                problems.append(f"{METADATA_FILE}: line {n}: Onderwerpcode {code!r} "
                                f"{_code_problem(code)}. Fix: use at most 50 characters "
                                "from a-z, 0-9 and _.")
            if code in units:
                problems.append(f"{METADATA_FILE}: line {n}: Onderwerpcode {code} is "
                                "described twice. Fix: keep one row per indicator.")
            if not row[1].strip():
                problems.append(f"{METADATA_FILE}: line {n}: indicator {code} has no Naam. "
                                "Fix: give every indicator a name.")
            units[code] = row[3].strip().lower()
    rows = _rows(data_text, DATA_FILE, problems)
    if not rows:
        if not problems:
            problems.append(f"{DATA_FILE}: the file is empty. Fix: export again.")
        return problems[:limit]
    header = rows[0]
    if tuple(h.strip() for h in header[:3]) != DATA_KEYS:
        problems.append(f"{DATA_FILE}: the first columns are {';'.join(header[:3])!r}, not "
                        "'period;geolevel;geoitem'. Fix: start the header with "
                        "period;geolevel;geoitem.")
        return problems[:limit]
    codes = header[3:]
    if not codes:
        problems.append(f"{DATA_FILE}: no indicator columns after period;geolevel;geoitem. "
                        "Fix: export at least one indicator.")
    seen: set[str] = set()
    for j, code in enumerate(codes, start=4):
        if not CODE.fullmatch(code):
            problems.append(f"{DATA_FILE}: header column {j}: indicator code {code!r} "
                            f"{_code_problem(code)}. Fix: use at most 50 characters from "
                            "a-z, 0-9 and _ (e.g. {0!r}).".format(indicator_code(code)))
        if code in seen:
            problems.append(f"{DATA_FILE}: header column {j}: indicator {code} occurs twice. "
                            "Fix: keep one column per indicator.")
        seen.add(code)
        if meta_rows and code not in units:
            problems.append(f"{DATA_FILE}: indicator {code} is not in {METADATA_FILE}. "
                            "Fix: add a row Onderwerpcode;Naam;Beschrijving;Eenheid;Bron.")
    for code in units:
        if code not in seen:
            problems.append(f"{METADATA_FILE}: indicator {code} has no column in {DATA_FILE}. "
                            "Fix: remove the row or export the indicator.")
    for code in codes:
        if code.endswith("_teller"):
            base = code[: -len("_teller")]
            if f"{base}_noemer" not in seen and f"{base}_gewicht" not in seen:
                problems.append(f"{DATA_FILE}: {code} has no {base}_noemer or "
                                f"{base}_gewicht. Fix: export numerator and denominator "
                                "together.")
    percent = {c for c in codes if units.get(c) in PERCENT_UNITS}
    for code in percent:
        if f"{code}_teller" not in seen or f"{code}_noemer" not in seen:
            problems.append(f"{DATA_FILE}: percentage {code} has no {code}_teller and "
                            f"{code}_noemer. Fix: export the numerator and denominator of "
                            "every share so areas can be added up.")
    pos = {c: i for i, c in enumerate(header)}
    keys: dict[tuple[str, str, str], int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(problems) >= limit:
            break
        if len(row) != len(header):
            problems.append(f"{DATA_FILE}: line {n} has {len(row)} fields instead of "
                            f"{len(header)}. Fix: one value per header column.")
            continue
        period, geolevel, geoitem = (cell.strip() for cell in row[:3])
        where = f"{DATA_FILE}: line {n} ({period or '?'} {geolevel or '?'} {geoitem or '?'})"
        if not PERIOD.fullmatch(period):
            problems.append(f"{where}: period {period!r} is not a year. Fix: write the year "
                            "with four digits, e.g. 2020.")
        if not geolevel:
            problems.append(f"{where}: the geolevel is missing. Fix: name the area level, "
                            "e.g. wijk2020 or gemeente.")
        elif not CODE.fullmatch(geolevel):
            problems.append(f"{where}: geolevel {geolevel!r} {_code_problem(geolevel)}. Fix: "
                            "use a-z, 0-9 and _.")
        if not geoitem:
            problems.append(f"{where}: the geoitem (area code) is missing. Fix: give the "
                            "area's code.")
        key = (period, geolevel, geoitem)
        if key in keys:
            problems.append(f"{where}: the same period and area as line {keys[key]}. Fix: "
                            "one row per period and area.")
        keys.setdefault(key, n)
        for code, cell in zip(codes, row[3:], strict=True):
            cell = cell.strip()
            if not cell:
                continue
            if not _is_number(cell):
                problems.append(f"{where}: {code} = {cell!r} is not a number. Fix: write "
                                "numbers with a decimal point, -99997 (geheim) or -99999 "
                                "(ontbreekt).")
                continue
            value = float(cell)
            if value in SPECIAL:
                continue
            if value <= -99990:
                problems.append(f"{where}: {code} = {cell} looks like a missing-value code "
                                "Swing does not know. Fix: use -99997 (geheim) or -99999 "
                                "(ontbreekt).")
            elif code in percent and not 0 <= value <= 100:
                problems.append(f"{where}: {code} = {cell} is a percentage outside 0-100. "
                                "Fix: write percentages as 0-100 (not 0-1, not over 100).")
        for code in percent:
            if f"{code}_teller" in pos and f"{code}_noemer" in pos:
                cells = [row[pos[c]].strip() for c in (code, f"{code}_teller",
                                                         f"{code}_noemer")]
                if all(_is_number(c) for c in cells):
                    v, t, d = (float(c) for c in cells)
                    if not any(x in SPECIAL for x in (v, t, d)) and d > 0 and \
                            abs(v - t / d * 100.0) > 1e-4 * max(1.0, abs(v)):
                        problems.append(f"{where}: {code} = {v} but {code}_teller / "
                                        f"{code}_noemer x 100 = {t / d * 100.0:.4f}. Fix: "
                                        "export value, numerator and denominator of the same "
                                        "figure.")
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and more problems after these {limit}."]
    return problems


def _code_problem(code: str) -> str:
    if not code:
        return "is empty"
    if len(code) > 50:
        return f"is longer than 50 characters ({len(code)})"
    if any(ch.isupper() for ch in code):
        return "has a capital letter"
    if any(ch.isspace() for ch in code):
        return "has a space"
    return "has a character outside a-z, 0-9 and _"


def check_export(folder: str | Path) -> list[str]:
    """Check an incijfers export folder (``data.csv`` + ``metadata.csv``) against Swing's rules.

    Returns
    -------
    One line per problem (file, line, area and column, and the fix); empty when the export
    passes.

    Raises
    ------
    WijkatlasError
        When a file is missing or is not UTF-8 text.
    """
    folder = Path(folder)
    texts = []
    for name in (DATA_FILE, METADATA_FILE):
        path = folder / name
        if not path.is_file():
            raise WijkatlasError(f"{name} not found.", file=folder, unit=name,
                                 fix="point at the folder written by `wijkatlas export "
                                     "incijfers`.")
        try:
            texts.append(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise WijkatlasError(f"not UTF-8 text ({exc.reason}).", file=path,
                                 fix="save the file as UTF-8.") from exc
    return check_texts(*texts)
