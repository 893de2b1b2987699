"""Record sources declared as data: a TOML file per register (police, Wmo, GGD, jobs).

A source says where its files are, how a record is located, which column holds its date,
which records count for which indicator, and how its figures are protected. Example
(``layers/records/politie_punten.toml``)::

    name = "politie_punten"
    label = "Politie, geregistreerde incidenten"
    files = "politie_punten_*.csv"        # relative to this TOML file
    date = "datum"                         # ISO dates (or set date_format, e.g. "%d-%m-%Y")
    id = "registratienummer"               # optional: named in the unplaced report
    record_label = "registraties"          # what one record is (for "< 3 vestigingen")

    [location]
    method = "xy"                          # xy | pc6 | pc6_huisnummer | bag | pc4
    x = "x"
    y = "y"
    crs = "EPSG:28992"

    [disclosure]
    threshold = 5                          # counts 1..4 are shown as "< 5"
    min_population = 50                    # no rates for units with fewer inhabitants

    [[indicator]]
    code = "R_WONINGINBR"
    label = "Woninginbraken (registraties)"
    theme = "veiligheid"
    unit = "registraties"
    where = { soort = "woninginbraak" }     # column = value, or a list of values

    [[indicator]]
    code = "R_WONINGINBR_1K"
    label = "Woninginbraken per 1.000 woningen"
    theme = "veiligheid"
    unit = "per 1.000 woningen"
    kind = "rate"
    count = "R_WONINGINBR"                 # the count indicator of this source
    denominator = "WONINGEN"               # a count of the indicator catalog
    per = 1000
    decimals = 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geo.disclosure import DisclosureRule
from geo.errors import WijkatlasError
from geo.files import read_toml

#: How records can be located, and the columns each method needs.
METHODS: dict[str, tuple[str, ...]] = {
    "xy": ("x", "y"),
    "pc6": ("postcode",),
    "pc6_huisnummer": ("postcode", "huisnummer"),
    "bag": ("bag_id",),
    "pc4": ("postcode",),
}
OPTIONAL_LOCATION = {"pc6_huisnummer": ("toevoeging",)}
KINDS = ("count", "rate")
#: Which address points split a postcode over units.
ADDRESS_SETS = ("all", "residential")

__all__ = ["ADDRESS_SETS", "KINDS", "METHODS", "Location", "RecordIndicator", "RecordSource",
           "load_record_source"]


@dataclass(frozen=True)
class Location:
    """How the records of a source are located."""

    method: str
    columns: dict[str, str]
    crs: str = "EPSG:28992"
    apportion: bool = False
    addresses: str = "all"
    fallback_pc6: bool = True


@dataclass(frozen=True)
class RecordIndicator:
    """One figure made from the records: a count (or sum of ``value``) of the records that
    match ``where``, or a rate of such a count per ``per`` of a catalog count."""

    code: str
    label: str
    theme: str
    unit: str
    kind: str = "count"
    where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    value: str = ""
    count: str = ""
    denominator: str = ""
    per: float = 1000.0
    decimals: int = 0
    description: str = ""


@dataclass(frozen=True)
class RecordSource:
    """A register: where its files are, how records are located, what is counted."""

    name: str
    label: str
    path: Path
    files: str
    date: str
    location: Location
    indicators: tuple[RecordIndicator, ...]
    rule: DisclosureRule
    date_format: str = ""
    id: str = ""
    synthetic: bool = False
    description: str = ""
    record_label: str = "registraties"

    @property
    def counts(self) -> tuple[RecordIndicator, ...]:
        return tuple(i for i in self.indicators if i.kind == "count")

    @property
    def rates(self) -> tuple[RecordIndicator, ...]:
        return tuple(i for i in self.indicators if i.kind == "rate")

    def file_paths(self) -> list[Path]:
        """The record files the pattern matches (relative to the TOML file), sorted."""
        pattern = Path(self.files)
        base = self.path.parent
        if pattern.is_absolute():
            base, pattern = Path(pattern.anchor), pattern.relative_to(pattern.anchor)
        return sorted(p for p in base.glob(str(pattern)) if p.is_file())

    def columns_needed(self) -> list[str]:
        cols = [self.date, *self.location.columns.values()]
        if self.id:
            cols.append(self.id)
        for ind in self.counts:
            cols += list(ind.where)
            if ind.value:
                cols.append(ind.value)
        return list(dict.fromkeys(cols))


def _text(entry: dict, key: str, path: Path, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise WijkatlasError(f"missing field {key!r}.", file=path, unit=where,
                             fix=f"give {where} a {key} = \"...\".")
    if not isinstance(value, str):
        raise WijkatlasError(f"field {key!r} must be text, not {value!r}.", file=path,
                             unit=where, fix=f"write {key} = \"...\".")
    return value.strip()


def _number(entry: dict, key: str, default: float, path: Path, where: str) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WijkatlasError(f"field {key!r} must be a number, not {value!r}.", file=path,
                             unit=where, fix=f"write {key} = {default}.")
    return float(value)


def load_record_source(path: str | Path, *, catalog=None) -> RecordSource:
    """Read and check a record source TOML.

    Parameters
    ----------
    path
        The TOML file.
    catalog
        The indicator catalog (:class:`geo.catalog.Catalog`): rate denominators must be counts
        in it and record indicator codes must not clash with it. Default: the package's.

    Raises
    ------
    WijkatlasError
        Missing file or field, unknown location method, theme or kind, a rate whose count
        or denominator is unknown, a threshold below 1.
    """
    from geo.catalog import THEMES, load_catalog

    path = Path(path)
    if not path.exists():
        raise WijkatlasError("record source not found.", file=path,
                             fix="pass --source with the path of a record source TOML.")
    raw = read_toml(path, what="record source",
                    fix="correct the TOML syntax at the line named.")
    name = _text(raw, "name", path, "the source")
    loc = raw.get("location")
    if not isinstance(loc, dict):
        raise WijkatlasError("no [location] table.", file=path, unit=name,
                             fix="add [location] with method = \"xy\" (or pc6, "
                                 "pc6_huisnummer, bag, pc4) and its columns.")
    method = _text(loc, "method", path, "[location]")
    if method not in METHODS:
        raise WijkatlasError(f"unknown location method {method!r}.", file=path,
                             unit="[location]", fix=f"use one of: {', '.join(METHODS)}.")
    columns = {key: _text(loc, key, path, "[location]") for key in METHODS[method]}
    for key in OPTIONAL_LOCATION.get(method, ()):
        if loc.get(key):
            columns[key] = _text(loc, key, path, "[location]")
    addresses = loc.get("addresses", "all")
    if addresses not in ADDRESS_SETS:
        raise WijkatlasError(f"unknown addresses {addresses!r}.", file=path, unit="[location]",
                             fix=f"use one of: {', '.join(ADDRESS_SETS)}.")
    location = Location(method=method, columns=columns,
                        crs=str(loc.get("crs", "EPSG:28992")),
                        apportion=bool(loc.get("apportion", False)), addresses=addresses,
                        fallback_pc6=bool(loc.get("fallback_pc6", True)))
    if method == "xy":
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(location.crs)
        except CRSError as exc:
            raise WijkatlasError(f"unknown CRS {location.crs!r}.", file=path, unit="[location]",
                                 fix="write crs = \"EPSG:28992\" (RD New) or another EPSG "
                                     "code.") from exc
    disc = raw.get("disclosure", {})
    rule = DisclosureRule(threshold=_number(disc, "threshold", 5, path, "[disclosure]"),
                          min_population=_number(disc, "min_population", 50, path,
                                                 "[disclosure]"),
                          secondary=bool(disc.get("secondary", True)))
    catalog = catalog or load_catalog()
    indicators: list[RecordIndicator] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("indicator", []), start=1):
        code = _text(entry, "code", path, f"indicator #{i}")
        where = code
        kind = entry.get("kind", "count")
        if kind not in KINDS:
            raise WijkatlasError(f"unknown kind {kind!r}.", file=path, unit=where,
                                 fix=f"use one of: {', '.join(KINDS)}.")
        theme = _text(entry, "theme", path, where)
        if theme not in THEMES:
            raise WijkatlasError(f"unknown theme {theme!r}.", file=path, unit=where,
                                 fix=f"use one of: {', '.join(THEMES)}.")
        if code in seen or code in catalog.indicators:
            raise WijkatlasError("code already used (in this source or the catalog).",
                                 file=path, unit=code, fix="give the indicator its own code.")
        seen.add(code)
        cond = entry.get("where", {})
        if not isinstance(cond, dict):
            raise WijkatlasError("where must be a table, e.g. where = { soort = \"geweld\" }.",
                                 file=path, unit=where, fix="write where = { column = value }.")
        cond = {str(k): tuple(str(v).strip() for v in (vals if isinstance(vals, list)
                                                       else [vals]))
                for k, vals in cond.items()}
        ind = RecordIndicator(
            code=code, label=_text(entry, "label", path, where), theme=theme,
            unit=_text(entry, "unit", path, where, "registraties"), kind=kind, where=cond,
            value=str(entry.get("value", "")).strip(), count=str(entry.get("count", "")),
            denominator=str(entry.get("denominator", "")),
            per=_number(entry, "per", 1000, path, where),
            decimals=int(_number(entry, "decimals", 1 if kind == "rate" or method in ("pc6", "pc4")
                                 else 0, path, where)),
            description=str(entry.get("description", "")))
        indicators.append(ind)
    if not indicators:
        raise WijkatlasError("the source has no [[indicator]] entries.", file=path, unit=name,
                             fix="add at least one [[indicator]] with code, label and theme.")
    counts = {i.code for i in indicators if i.kind == "count"}
    for ind in indicators:
        if ind.kind != "rate":
            continue
        if ind.count not in counts:
            raise WijkatlasError(f"a rate needs count = the code of a count of this source "
                                 f"(got {ind.count!r}).", file=path, unit=ind.code,
                                 fix=f"use one of: {', '.join(sorted(counts))}.")
        den = ind.denominator
        if den not in catalog.indicators or catalog[den].kind != "count":
            raise WijkatlasError(f"the denominator {den!r} is not a count of the indicator "
                                 "catalog.", file=path, unit=ind.code,
                                 fix="use e.g. AANT_INW (inwoners), AANTAL_HH (huishoudens) or "
                                     "WONINGEN (woningen).")
        if ind.per <= 0:
            raise WijkatlasError("per must be positive.", file=path, unit=ind.code,
                                 fix="write per = 1000.")
    return RecordSource(
        name=name, label=str(raw.get("label", name)), path=path.resolve(),
        files=str(raw.get("files", "")), date=_text(raw, "date", path, name),
        location=location, indicators=tuple(indicators), rule=rule,
        date_format=str(raw.get("date_format", "")), id=str(raw.get("id", "")).strip(),
        synthetic=bool(raw.get("synthetic", False)),
        description=str(raw.get("description", "")),
        record_label=str(raw.get("record_label", "registraties")))
