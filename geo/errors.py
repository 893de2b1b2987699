"""One error type for everything a user can get wrong.

Every refusal names the file, the unit (row, buurt or wijk) and the fix, so the command line
can print one clear line and exit non-zero.
"""

from __future__ import annotations

import warnings
from pathlib import Path

#: Longest piece of user data (a cell, a name, a column list) quoted in a message.
QUOTE_LIMIT = 80
#: Longest part of a message (problem or fix); longer text is cut with an ellipsis.
PART_LIMIT = 400


def shorten(text: object, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as one line of at most ``limit`` characters (cut in the middle with "...").

    Use it for every value from a data file that goes into a message: a cell of 2 GB or a
    list of 5,000 column names must not become a 2 GB error line.
    """
    one = " ".join(str(text).split()) if len(str(text)) < 100 * limit else \
        " ".join(str(text)[: 2 * limit].split())
    if len(one) <= limit:
        return one
    suffix = f"... ({len(str(text)):,} chars)"
    return one[:max(limit - len(suffix), 1)] + suffix


def listing(items, limit: int = 10) -> str:
    """The first ``limit`` items, comma separated, with how many more there are."""
    items = [shorten(i, 40) for i in items]
    text = ", ".join(items[:limit])
    return text + (f" ... (+{len(items) - limit} more)" if len(items) > limit else "")


class WijkatlasNotice(UserWarning):
    """Something the user should know that does not stop the work (one plain line).

    Raised with :func:`notice` through :mod:`warnings`, so the Python API can filter or
    record it; the command line prints it as ``notice: <text>`` on stderr.
    """


def notice(text: str, category: type[WijkatlasNotice] = WijkatlasNotice) -> None:
    """Tell the user something that does not stop the work (see :class:`WijkatlasNotice`)."""
    warnings.warn(shorten(text, PART_LIMIT), category, stacklevel=2)


class WijkatlasError(Exception):
    """Bad input or a refused action, with where it happened and what to do about it.

    Parameters
    ----------
    problem
        What is wrong, in one sentence.
    file
        The file (or layer) the problem is in, if any.
    unit
        The unit, row or code the problem is about, if any.
    fix
        What the user should do instead.
    rule
        Short machine-readable name of the problem (e.g. ``no_crs``), for JSON reports.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        unit: str | None = None,
        fix: str | None = None,
        rule: str | None = None,
    ) -> None:
        self.problem = shorten(problem, PART_LIMIT)
        self.file = shorten(file, 200) if file is not None else None
        self.unit = shorten(unit) if unit is not None else None
        self.fix = shorten(fix, PART_LIMIT) if fix is not None else None
        self.rule = rule
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.unit:
            parts.append(f"unit {self.unit}")
        where = ": ".join(parts)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.fix:
            text += f" Fix: {self.fix}"
        return text
