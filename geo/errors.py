"""One error type for everything a user can get wrong.

Every refusal names the file, the unit (row, buurt or wijk) and the fix, so the command line
can print one clear line and exit non-zero.
"""

from __future__ import annotations

from pathlib import Path


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
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.unit = unit
        self.fix = fix
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
