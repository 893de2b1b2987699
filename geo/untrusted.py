"""Untrusted text (names, labels, codes from data files) stays data.

Three places where text from a GeoPackage, GeoJSON, CSV or TOML could become something else:

* **control characters** (``\\x00``-``\\x1f``, ``\\x7f``, the C1 range ``\\x80``-``\\x9f``,
  and U+FFFE, U+FFFF and lone surrogates) cannot be stored in an Excel file and hide in names; they
  are refused at import (:func:`check_text`) and removed from exports
  (:func:`strip_control`).
* **spreadsheet formulas**: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or
  carriage return before one of them) is run as a formula by Excel and LibreOffice when a CSV
  is opened, and ``=...`` text becomes a formula in an ``.xlsx`` written naively. CSV text
  cells get a leading apostrophe (:func:`csv_safe`, the OWASP advice); Excel cells are written
  as text cells marked "quote prefix", so the name shows unchanged and is never evaluated
  (:func:`excel_safe_workbook`).
* **templates and paths**: see :mod:`geo.maps.slots` and :mod:`geo.paths`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo.errors import WijkatlasError

__all__ = ["CONTROL", "FORMULA_START", "check_text", "check_texts", "csv_safe", "excel_clean",
           "csv_safe_text", "excel_safe_workbook", "strip_control"]

#: Control characters: C0 (tab, newline and carriage return included), DEL and C1; and what
#: XML (so Excel) cannot hold at all: the non-characters U+FFFE, U+FFFF and lone surrogates.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
#: First characters that make Excel or LibreOffice read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check_text(text: object, *, file: object = None, unit: str | None = None,
               what: str = "name") -> str:
    """Return ``text`` when it holds no control character; refuse it otherwise.

    Raises
    ------
    WijkatlasError
        Naming the file, the unit, the character and the fix.
    """
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    found = CONTROL.search(value)
    if found:
        raise WijkatlasError(
            f"the {what} {value!r} contains the control character {_describe(found.group())}.",
            file=file, unit=unit, rule="control_character",
            fix=f"remove the control character from the {what} (e.g. in QGIS's attribute "
                "table) and try again.")
    return value


def check_texts(values: Iterable, codes: Iterable | None = None, *, file: object = None,
                what: str = "name") -> None:
    """:func:`check_text` over a column; the unit named in an error is the row's code."""
    values = list(values)
    codes = list(codes) if codes is not None else [None] * len(values)
    for value, code in zip(values, codes, strict=True):
        if isinstance(value, str) and CONTROL.search(value):
            check_text(value, file=file, unit=None if code is None else str(code), what=what)


def strip_control(text: str) -> str:
    """``text`` without control characters (for outputs that cannot hold them)."""
    return CONTROL.sub("", text)


def csv_safe_text(text: str) -> str:
    """A text cell for a CSV that a spreadsheet will open: no control characters, and a
    leading apostrophe when it would otherwise start a formula."""
    text = strip_control(text) if CONTROL.search(text) else text
    return "'" + text if text.startswith(FORMULA_START) else text


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns
            if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]


def _map_text(values: pd.Series, func) -> pd.Series:
    """``func`` applied to the text cells of a column, once per distinct value (codes and
    names repeat over years and variables); other cells unchanged."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([func(u) if isinstance(u, str) else u for u in uniques], dtype=object)
    out = values.to_numpy(dtype=object, copy=True)
    found = codes >= 0
    out[found] = mapped[codes[found]]
    return pd.Series(out, index=values.index, name=values.name)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are :func:`csv_safe_text`.

    Numbers stay numbers (a negative number is not text and is not touched)."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = _map_text(out[column], csv_safe_text)
    out.columns = [csv_safe_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def excel_clean(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with control characters removed from text cells (openpyxl
    refuses them), ready for :func:`excel_safe_workbook`."""
    out = frame.copy()
    for column in _text_columns(out):
        out[column] = _map_text(out[column], strip_control)
    out.columns = [strip_control(c) if isinstance(c, str) else c for c in out.columns]
    return out


def excel_safe_workbook(workbook) -> int:
    """Make every formula cell of an openpyxl workbook a text cell; return how many.

    openpyxl turns any string starting with ``=`` into a formula. wijkatlas writes no
    formulas, so every such cell is data: it becomes a string cell with Excel's "quote prefix"
    (the text shows as written and stays text when edited). Text cells that start with
    another formula character get the quote prefix too.
    """
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    changed += 1
                elif cell.data_type == "s" and isinstance(cell.value, str) and \
                        cell.value.startswith(FORMULA_START):
                    cell.quotePrefix = True
    return changed
