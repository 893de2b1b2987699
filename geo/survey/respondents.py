"""Respondent files as municipalities receive them from a research agency.

What enters: CSV (comma or semicolon, UTF-8 or Latin-1/Windows-1252), Excel (``.xlsx``) or
SPSS (``.sav``, read with pyreadstat; value labels of the sex column are applied), one row per
respondent with an id, a location, age in years, sex and the answers. What leaves: a
:class:`pandas.DataFrame` with the standard columns ``respondent_id``, ``leeftijd``,
``geslacht`` (``man``/``vrouw``), the location columns that were present (``x``, ``y``,
``address_id``, ``postcode``, ``huisnummer``, ``toevoeging``) and one analysis column per
question (see :func:`geo.survey.questionnaire.answer_matrix`).

Every problem is refused with one line naming the file, the respondent and the fix.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import WijkatlasError
from geo.survey.questionnaire import Questionnaire, answer_matrix

__all__ = ["SEX_CODES", "normalise_sex", "read_respondents", "read_table_file"]

#: Accepted spellings of sex (after lower-casing); SPSS value labels are applied first.
SEX_CODES = {
    "man": "man", "m": "man", "1": "man", "1.0": "man", "male": "man", "mannen": "man",
    "vrouw": "vrouw", "v": "vrouw", "2": "vrouw", "2.0": "vrouw", "female": "vrouw",
    "f": "vrouw", "vrouwen": "vrouw",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_BYTES = 2_000_000_000


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise WijkatlasError(f"cannot be read as {encoding} ({exc}).", file=path,
                                 fix="give the right --encoding, or save the file as UTF-8."
                                 ) from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:65536]:
        raise WijkatlasError("unreadable encoding (UTF-16 or a binary file, not text CSV).",
                             file=path, fix="save the file as CSV in UTF-8 (or Latin-1).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise WijkatlasError("unreadable encoding (neither UTF-8 nor Latin-1).", file=path,
                                 fix="save the file as CSV in UTF-8.") from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise WijkatlasError(f"unreadable encoding: control character {bad.group()!r} on line "
                             f"{line}.", file=path, fix="save the file as CSV in UTF-8.")
    return text


def read_table_file(path: str | Path, *, encoding: str | None = None,
                    sheet: str | int | None = None) -> tuple[pd.DataFrame, dict]:
    """Read a CSV, Excel or SPSS file as text cells; returns the frame and SPSS value labels
    per column (empty for other formats)."""
    path = Path(path)
    if not path.exists():
        raise WijkatlasError("file not found.", file=path, fix="check the path.")
    if path.stat().st_size > MAX_BYTES:
        raise WijkatlasError("file too large for a respondent file (over 2 GB).", file=path,
                             fix="split it per edition.")
    suffix = path.suffix.lower()
    labels: dict = {}
    if suffix == ".sav" or suffix == ".zsav":
        import pyreadstat

        try:
            frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
        except Exception as exc:  # pyreadstat raises its own ReadstatError and others
            raise WijkatlasError(f"not a readable SPSS file ({exc}).", file=path,
                                 fix="export the file again from SPSS as .sav.") from None
        labels = dict(meta.variable_value_labels)
    elif suffix in (".xlsx", ".xlsm"):
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=object)
        except Exception as exc:  # openpyxl: BadZipFile, KeyError, ValueError ...
            raise WijkatlasError(f"not a readable Excel file ({exc}).", file=path,
                                 fix="save it as .xlsx, or export CSV.") from None
    else:
        text = _decode(path.read_bytes(), path, encoding)
        first = text.split("\n", 1)[0]
        sep = max((";", ",", "\t"), key=first.count)
        if first.count(sep) == 0:
            raise WijkatlasError("no column separator in the header line.", file=path,
                                 fix="write CSV with comma or semicolon between columns.")
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                quoting=csv.QUOTE_MINIMAL)
        except (pd.errors.ParserError, ValueError) as exc:
            raise WijkatlasError(f"not a readable CSV file ({exc}).", file=path,
                                 fix="check quotes and the number of columns per row."
                                 ) from None
        frame = frame.replace("", np.nan)
        frame.attrs["decimal_comma"] = sep == ";"
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, labels


def _numbers(series: pd.Series, *, decimal_comma: bool) -> pd.Series:
    if series.dtype.kind in "iuf":
        return series.astype(float)
    text = series.astype("string").str.strip()
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype(float)


def normalise_sex(series: pd.Series, labels: dict | None = None) -> pd.Series:
    """``man``/``vrouw`` from man/vrouw, m/v, 1/2 (or SPSS value labels); unknown as NaN."""
    values = series
    if labels:
        mapped = series.map(lambda v: labels.get(v, labels.get(_as_number(v), v)))
        values = mapped
    text = values.astype("string").str.strip().str.lower()
    return text.map(lambda t: SEX_CODES.get(t) if isinstance(t, str) else None)


def _as_number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def read_respondents(path: str | Path, questionnaire: Questionnaire, *,
                     encoding: str | None = None, sheet: str | int | None = None
                     ) -> pd.DataFrame:
    """Read and check one edition's respondent file.

    Returns
    -------
    pandas.DataFrame
        ``respondent_id`` (text), ``leeftijd`` (years), ``geslacht`` (``man``/``vrouw``),
        the location columns present (``x``, ``y`` in RD New; ``address_id``; ``postcode``,
        ``huisnummer``, ``toevoeging``) and one column per question code with the analysis
        value (1/0 for shares, the number for means, NaN for item non-response).

    Raises
    ------
    WijkatlasError
        Unreadable file or encoding, a missing id/age/sex column, an empty or duplicate id,
        an age outside 0-120, an unknown sex code, a question code that is not a column, an
        answer code outside ``valid`` and a declared ``missing`` list.
    """
    path = Path(path)
    frame, labels = read_table_file(path, encoding=encoding, sheet=sheet)
    decimal_comma = bool(frame.attrs.get("decimal_comma"))
    q = questionnaire
    id_col, age_col, sex_col = q.column("id"), q.column("age"), q.column("sex")
    for role, col in (("id", id_col), ("age", age_col), ("sex", sex_col)):
        if col not in frame.columns:
            raise WijkatlasError(f"column {col!r} ({role}) not found.", file=path,
                                 fix=f"name the {role} column in [respondents] of "
                                     f"{q.path.name} (e.g. {role} = \"...\").")
    ids = frame[id_col]
    if ids.dtype.kind == "f" and np.all(np.isnan(ids) | (ids == np.round(ids))):
        ids = ids.astype("Int64")
    ids = ids.astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise WijkatlasError(f"{int(empty.sum())} respondent(s) without an id.", file=path,
                             unit=f"row {int(np.flatnonzero(empty)[0]) + 2}",
                             fix=f"give every row a {id_col}.")
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        raise WijkatlasError(f"duplicate respondent id(s): {', '.join(dup.unique()[:5])} "
                             f"({len(dup)} rows).", file=path, unit=f"respondent {dup.iloc[0]}",
                             fix="give every respondent a unique id.")
    age = _numbers(frame[age_col], decimal_comma=decimal_comma)
    bad_age = age.isna() | (age < 0) | (age > 120)
    if bad_age.any():
        i = int(np.flatnonzero(bad_age)[0])
        shown = frame[age_col].iloc[i]
        raise WijkatlasError(f"age {shown!r} outside 0-120 or not a number "
                             f"({int(bad_age.sum())} respondents).", file=path,
                             unit=f"respondent {ids.iloc[i]}",
                             fix=f"give {age_col} in whole years (0-120) for every respondent.")
    sex = normalise_sex(frame[sex_col], labels.get(sex_col))
    if sex.isna().any():
        bad = frame[sex_col][sex.isna()].astype("string").fillna("(leeg)")
        counts = ", ".join(f"{k!r} ({v}x)" for k, v in bad.value_counts().items())
        raise WijkatlasError(f"unknown sex code(s): {counts}.", file=path,
                             unit=f"respondent {ids[sex.isna()].iloc[0]}",
                             fix="use man/vrouw, m/v or 1/2 (1 = man, 2 = vrouw).")
    out = pd.DataFrame({"respondent_id": ids.to_numpy(), "leeftijd": age.to_numpy(),
                        "geslacht": sex.to_numpy()})
    if q.column("x") in frame.columns and q.column("y") in frame.columns:
        out["x"] = _numbers(frame[q.column("x")], decimal_comma=decimal_comma).to_numpy()
        out["y"] = _numbers(frame[q.column("y")], decimal_comma=decimal_comma).to_numpy()
    if q.column("address_id") in frame.columns:
        out["address_id"] = _text_ids(frame[q.column("address_id")]).to_numpy()
    if q.column("postcode") in frame.columns and q.column("huisnummer") in frame.columns:
        out["postcode"] = frame[q.column("postcode")].astype("string").str.upper() \
            .str.replace(r"\s+", "", regex=True).to_numpy()
        out["huisnummer"] = _numbers(frame[q.column("huisnummer")],
                                     decimal_comma=False).to_numpy()
        toev = frame[q.column("toevoeging")] if q.column("toevoeging") in frame.columns \
            else pd.Series(pd.NA, index=frame.index)
        out["toevoeging"] = toev.astype("string").str.strip().str.upper().fillna("").to_numpy()
    if not {"x", "address_id", "postcode"} & set(out.columns):
        raise WijkatlasError("no location columns (x/y, address_id or postcode + huisnummer).",
                             file=path, fix="add the respondents' location, or name the "
                                            "columns in [respondents] of the questionnaire.")
    answers = answer_matrix(frame.assign(**{id_col: ids}), q, file=path, id_column=id_col)
    for code in answers.columns:
        out[code] = answers[code].to_numpy()
    out.attrs["file"] = str(path)
    return out


def _text_ids(series: pd.Series) -> pd.Series:
    if series.dtype.kind == "f":
        return series.map(lambda v: "" if pd.isna(v) else f"{v:.0f}").astype("string")
    return series.astype("string").str.strip().fillna("")
