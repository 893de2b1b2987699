"""The questionnaire of one survey edition, as a reviewable TOML file.

What enters: ``vragenlijst_<year>.toml`` with one ``[[question]]`` table per question and an
optional ``[respondents]`` table naming the columns of the respondent file. What leaves: a
:class:`Questionnaire` that knows, per question, which answer codes count as an answer, which
count as "yes" (shares) and which are declared non-response.

Example::

    edition = 2019
    title = "Bewonersenquête 2019"

    [respondents]          # optional: column names when they differ from the defaults
    id = "respondent_id"
    age = "leeftijd"
    sex = "geslacht"

    [[question]]
    code = "P_VRIJWIL"     # the column in the respondent file; the same code in several
    label = "Doet vrijwilligerswerk"   # editions is one trend series
    theme = "verenigingsleven en sociale netwerken"
    kind = "share"         # share: % of the valid answers that are in `yes`
    yes = [1]
    valid = [1, 2]         # every other code or an empty cell is item non-response
    missing = [9]          # optional: declared non-response; any other code is an error
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.catalog import THEMES
from geo.errors import WijkatlasError
from geo.files import read_toml

KINDS = ("share", "mean")

__all__ = ["KINDS", "Question", "Questionnaire", "answer_matrix", "load_questionnaire"]


@dataclass(frozen=True)
class Question:
    """One question: its column, Dutch label, theme and how its answers are counted."""

    code: str
    label: str
    theme: str
    kind: str
    valid: tuple
    yes: tuple = ()
    missing: tuple | None = None
    unit: str = "%"
    decimals: int = 1
    description: str = ""


@dataclass(frozen=True)
class Questionnaire:
    """The questions of one edition, and the respondent file's column names."""

    path: Path
    edition: int | None
    title: str
    questions: tuple[Question, ...]
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        return [q.code for q in self.questions]

    def __getitem__(self, code: str) -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(code)

    def column(self, role: str) -> str:
        """Column of ``role`` (id, age, sex, x, y, address_id, postcode, huisnummer,
        toevoeging) in the respondent file."""
        return self.columns.get(role, DEFAULT_COLUMNS[role])


DEFAULT_COLUMNS = {
    "id": "respondent_id", "age": "leeftijd", "sex": "geslacht", "x": "x", "y": "y",
    "address_id": "address_id", "postcode": "postcode", "huisnummer": "huisnummer",
    "toevoeging": "toevoeging",
}


def _codes(value, *, path: Path, where: str, key: str) -> tuple:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value or any(
            isinstance(v, bool) or not isinstance(v, (str, int, float)) for v in value):
        raise WijkatlasError(f"`{key}` must be a non-empty list of answer codes.", file=path,
                             unit=where, fix=f'write e.g. {key} = [1, 2] or {key} = ["ja"].')
    return tuple(_norm_code(v) for v in value)


def _norm_code(value) -> object:
    """Answer codes compare as numbers when they are numbers (1 == 1.0 == "1")."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text.replace(",", "."))
        except ValueError:
            return text.lower()
    return float(value)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Read and check a questionnaire TOML file.

    Raises
    ------
    WijkatlasError
        When the file is missing or not TOML, a question lacks a key, has an unknown kind or
        theme, a code occurs twice, or ``yes`` is not part of ``valid``.
    """
    path = Path(path)
    if not path.exists():
        raise WijkatlasError("questionnaire not found.", file=path,
                             fix="give the path of the vragenlijst TOML file.")
    raw = read_toml(path, what="questionnaire", fix="save the questionnaire as UTF-8 TOML.")
    entries = raw.get("question")
    if not isinstance(entries, list) or not entries:
        raise WijkatlasError("no [[question]] tables.", file=path,
                             fix="add one [[question]] table per question.")
    questions, seen = [], set()
    for i, entry in enumerate(entries, start=1):
        where = f"question {i}" + (f" ({entry.get('code')})" if entry.get("code") else "")
        for key in ("code", "label", "theme", "kind", "valid"):
            if key not in entry:
                raise WijkatlasError(f"`{key}` is missing.", file=path, unit=where,
                                     fix=f"give every question a `{key}`.")
        code = str(entry["code"]).strip()
        if not code:
            raise WijkatlasError("empty `code`.", file=path, unit=where,
                                 fix="name the column of the respondent file.")
        if code in seen:
            raise WijkatlasError(f"question code {code!r} occurs twice.", file=path, unit=where,
                                 fix="give every question its own code.")
        seen.add(code)
        kind = entry["kind"]
        if kind not in KINDS:
            raise WijkatlasError(f"unknown kind {kind!r}.", file=path, unit=where,
                                 fix="use kind = \"share\" or kind = \"mean\".")
        if entry["theme"] not in THEMES:
            raise WijkatlasError(f"unknown theme {entry['theme']!r}.", file=path, unit=where,
                                 fix=f"use one of: {', '.join(THEMES)}.")
        valid = _codes(entry["valid"], path=path, where=where, key="valid")
        yes = ()
        if kind == "share":
            if "yes" not in entry:
                raise WijkatlasError("a share needs `yes` (the codes counted).", file=path,
                                     unit=where, fix="add e.g. yes = [1].")
            yes = _codes(entry["yes"], path=path, where=where, key="yes")
            if not set(yes) <= set(valid):
                raise WijkatlasError("`yes` has codes that are not in `valid`.", file=path,
                                     unit=where, fix="list every yes code in valid too.")
        elif any(isinstance(v, str) for v in valid):
            raise WijkatlasError("a mean needs numeric `valid` codes.", file=path, unit=where,
                                 fix="list the numeric answers, e.g. valid = [1, 2, ..., 10].")
        missing = None
        if "missing" in entry:
            missing = _codes(entry["missing"], path=path, where=where, key="missing")
            both = set(missing) & set(valid)
            if both:
                raise WijkatlasError(f"code(s) {sorted(map(str, both))} in both `valid` and "
                                     "`missing`.", file=path, unit=where,
                                     fix="a code is an answer or non-response, not both.")
        questions.append(Question(
            code=code, label=str(entry["label"]), theme=entry["theme"], kind=kind,
            valid=valid, yes=yes, missing=missing,
            unit=str(entry.get("unit", "%" if kind == "share" else "gemiddelde")),
            decimals=int(entry.get("decimals", 1)),
            description=str(entry.get("description", ""))))
    columns = raw.get("respondents", {})
    if not isinstance(columns, dict) or not set(columns) <= set(DEFAULT_COLUMNS):
        raise WijkatlasError("unknown key in [respondents].", file=path,
                             fix=f"use keys from: {', '.join(DEFAULT_COLUMNS)}.")
    edition = raw.get("edition")
    return Questionnaire(path=path, edition=int(edition) if edition is not None else None,
                         title=str(raw.get("title", "")), questions=tuple(questions),
                         columns={k: str(v) for k, v in columns.items()})


def _normalised(series: pd.Series) -> pd.Series:
    """Answer cells as comparable codes: numbers as float, text lower-case, empty as NaN."""
    numeric = pd.to_numeric(series, errors="coerce")
    if series.dtype.kind in "iufb":
        return numeric.astype(float).astype(object)
    text = series.astype("string").str.strip()
    as_num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    out = text.str.lower().astype(object)
    out[as_num.notna().to_numpy()] = as_num[as_num.notna()].astype(float)
    out[(text.isna() | (text == "")).to_numpy()] = np.nan
    return out


def answer_matrix(frame: pd.DataFrame, questionnaire: Questionnaire, *, file: str | Path,
                  id_column: str = "respondent_id") -> pd.DataFrame:
    """The analysis value of every question for every respondent.

    Shares become 1.0 (a ``yes`` code), 0.0 (another ``valid`` code) or NaN (item
    non-response); means become the numeric answer or NaN.

    Raises
    ------
    WijkatlasError
        When a question code is not a column, or (for questions with a declared ``missing``
        list) a code is in neither list: the message lists the codes with their counts.
    """
    absent = [q.code for q in questionnaire.questions if q.code not in frame.columns]
    if absent:
        raise WijkatlasError(f"question code(s) {', '.join(absent)} not a column of the "
                             "respondent file.", file=file, unit=absent[0],
                             fix=f"check the codes in {questionnaire.path.name} against the "
                                 "file's header.")
    out = {}
    for q in questionnaire.questions:
        codes = _normalised(frame[q.code])
        present = codes.notna().to_numpy()
        is_valid = codes.isin(q.valid).to_numpy()
        if q.missing is not None:
            bad = present & ~is_valid & ~codes.isin(q.missing).to_numpy()
            if bad.any():
                counts = codes[bad].map(_show).value_counts()
                listed = ", ".join(f"{c} ({k}x)" for c, k in counts.items())
                first = frame[id_column].iloc[int(np.flatnonzero(bad)[0])] \
                    if id_column in frame else int(np.flatnonzero(bad)[0]) + 1
                raise WijkatlasError(
                    f"question {q.code}: answer code(s) in neither `valid` nor `missing`: "
                    f"{listed}.", file=file, unit=f"respondent {first}",
                    fix=f"add the code(s) to `valid` or `missing` of {q.code} in "
                        f"{questionnaire.path.name}, or correct the file.")
        if q.kind == "share":
            value = np.where(is_valid, codes.isin(q.yes).to_numpy().astype(float), np.nan)
        else:
            value = np.where(is_valid, pd.to_numeric(codes.where(is_valid), errors="coerce"),
                             np.nan).astype(float)
        out[q.code] = value
    return pd.DataFrame(out, index=frame.index)


def _show(code) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)
