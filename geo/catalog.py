"""The indicator catalog: what each variable is and how it may be aggregated.

The catalog is data: the default one ships with the package (``geo/data/indicators.toml``,
the single home of the wijkatlas indicators); an atlas may name its own in
``layers/atlas.toml`` (``catalog = "layers/my_indicators.toml"``). This module reads and checks
it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import WijkatlasError
from geo.files import read_toml
from geo.kinds import KINDS as KIND_REGISTRY
from geo.kinds import Kind

THEMES = (
    "woningvoorraad",
    "bevolkingssamenstelling",
    "werk en inkomen",
    "voorzieningen",
    "gezondheid",
    "verenigingsleven en sociale netwerken",
    "leefbaarheid",
    "veiligheid",
)
#: The kinds the catalog accepts: the registry's (:mod:`geo.kinds`).
KINDS = tuple(KIND_REGISTRY)
#: Every catalog field that names another indicator, over all kinds.
REF_FIELDS = tuple(dict.fromkeys(f for k in KIND_REGISTRY.values() for f in k.refs))
#: The wijkatlas catalog, shipped as package data (works from an installed wheel).
DEFAULT_CATALOG = Path(__file__).resolve().parent / "data" / "indicators.toml"


@dataclass(frozen=True)
class Indicator:
    """One variable of the catalog.

    ``kind`` says how it aggregates; what each kind needs and how it aggregates is in the
    registry of kinds (:mod:`geo.kinds`): ``count`` is summed; ``share`` is
    ``numerator / denominator * per`` where the numerator is recovered from the source share
    and the named ``denominator`` count; ``mean`` is weighted by the named ``weight`` count;
    ``median`` is approximated by a ``weight``-weighted mean of source medians and flagged;
    ``density`` is recomputed as the named ``count`` per km2 of target area.
    ``approximate`` is true when the value cannot be aggregated exactly (medians always,
    incomes by choice of the catalog); the atlas flags such results. :attr:`title` is the
    display title, the unit shown once.
    """

    code: str
    label: str
    theme: str
    unit: str
    kind: str
    source: str
    denominator: str = ""
    weight: str = ""
    count: str = ""
    numerator: str = ""
    per: float = 100.0
    decimals: int = 0
    description: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    approximate: bool = False

    @property
    def spec(self) -> Kind:
        """This indicator's kind in the registry (:mod:`geo.kinds`)."""
        return KIND_REGISTRY[self.kind]

    def ref(self, field_name: str) -> str:
        """The code of the indicator named in a reference field (``denominator`` ...)."""
        return getattr(self, field_name) if field_name else ""

    @property
    def refs(self) -> tuple[str, ...]:
        """Codes of the count indicators this one is computed from (per its kind)."""
        return tuple(self.ref(f) for f in self.spec.refs)

    @property
    def title(self) -> str:
        """Display title: ``label (unit)``, the unit shown once (not when the label already
        says it, as in "Misdrijven per 1.000 inwoners", nor for a bare count of persons)."""
        return display_title(self.label, self.unit)


def display_title(label: str, unit: str) -> str:
    """``label (unit)`` with the unit shown once: left out when empty, when the label already
    contains it, or when it only repeats what a count label says (``personen``)."""
    label, unit = str(label).strip(), str(unit or "").strip()
    if not unit or unit.lower() in label.lower() or unit.lower() in ("aantal", "personen"):
        return label
    return f"{label} ({unit})"


@dataclass(frozen=True)
class Catalog:
    """All indicators by code, with a lookup from any CBS column name or alias."""

    indicators: dict[str, Indicator]
    path: Path

    def __getitem__(self, code: str) -> Indicator:
        return self.indicators[code]

    def __iter__(self):
        return iter(self.indicators.values())

    def __len__(self) -> int:
        return len(self.indicators)

    def resolve(self, column: str) -> str | None:
        """Return the catalog code a table column stands for, or ``None``."""
        key = column.strip().lower()
        for ind in self.indicators.values():
            if key == ind.code.lower() or key in (a.lower() for a in ind.aliases):
                return ind.code
        return None

    def by_theme(self) -> dict[str, list[Indicator]]:
        groups: dict[str, list[Indicator]] = {t: [] for t in THEMES}
        for ind in self.indicators.values():
            groups[ind.theme].append(ind)
        return {t: inds for t, inds in groups.items() if inds}


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read and check an indicator catalog (TOML with ``[[indicator]]`` tables).

    Raises
    ------
    WijkatlasError
        When the file is missing or an indicator is incomplete, has an unknown kind or theme,
        or names a denominator, weight or count that is not a count in the catalog.
    """
    path = Path(path) if path else DEFAULT_CATALOG
    if not path.exists():
        raise WijkatlasError("indicator catalog not found.", file=path,
                             fix="pass --catalog with the path of an indicators.toml.")
    raw = read_toml(path, what="indicator catalog",
                    fix="correct the TOML syntax at the line named.")
    indicators: dict[str, Indicator] = {}
    entries = raw.get("indicator", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise WijkatlasError("indicator is not a list of tables.", file=path,
                             fix="write every indicator as an [[indicator]] table.")
    for i, entry in enumerate(entries, start=1):
        code = str(entry.get("code", "")).strip()
        where = code or f"indicator #{i}"
        required = ("code", "label", "theme", "unit", "kind", "source")
        missing = [k for k in required if not entry.get(k)]
        if missing:
            raise WijkatlasError(f"missing field(s) {', '.join(missing)}.", file=path, unit=where,
                                 fix=f"give every [[indicator]] a {', '.join(required)}.")
        if entry["kind"] not in KINDS:
            raise WijkatlasError(f"unknown kind {entry['kind']!r}.", file=path, unit=where,
                                 fix=f"use one of: {', '.join(KINDS)}.")
        if entry["theme"] not in THEMES:
            raise WijkatlasError(f"unknown theme {entry['theme']!r}.", file=path, unit=where,
                                 fix=f"use one of: {', '.join(THEMES)}.")
        if code in indicators:
            raise WijkatlasError("code appears twice.", file=path, unit=code,
                                 fix="give each indicator its own code.")
        indicators[code] = Indicator(
            code=code, label=entry["label"], theme=entry["theme"], unit=entry["unit"],
            kind=entry["kind"], source=entry["source"],
            **{f: str(entry.get(f, "")) for f in REF_FIELDS},
            per=float(entry.get("per", 100.0)),
            decimals=int(entry.get("decimals", 0)), description=entry.get("description", ""),
            aliases=tuple(entry.get("aliases", ())),
            approximate=bool(entry.get("approximate", KIND_REGISTRY[entry["kind"]].approximate)),
        )
    if not indicators:
        raise WijkatlasError("the catalog has no [[indicator]] entries.", file=path,
                             fix="add at least one indicator.")
    seen: dict[str, str] = {}
    for ind in indicators.values():
        for name in (ind.code, *ind.aliases):
            other = seen.setdefault(name.strip().lower(), ind.code)
            if other != ind.code:
                raise WijkatlasError(
                    f"the name {name!r} is used by both {other} and {ind.code}.",
                    file=path, unit=ind.code,
                    fix="give every code and alias to one indicator only.")
    for ind in indicators.values():
        for ref_field in ind.spec.refs:
            ref = ind.ref(ref_field)
            if not ref or ref not in indicators or indicators[ref].kind != "count":
                raise WijkatlasError(
                    f"a {ind.kind} needs a {ref_field} that is a count in the catalog "
                    f"(got {ref!r}).", file=path, unit=ind.code,
                    fix=f"set {ref_field} = \"<code of a count indicator>\" for this "
                        "indicator.")
    return Catalog(indicators=indicators, path=path)
