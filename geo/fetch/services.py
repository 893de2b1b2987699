"""The CBS/PDOK service addresses and StatLine table ids per year, read from
``cbs_services.toml`` (data shipped with the package, editable without code changes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from geo.errors import WijkatlasError
from geo.files import read_toml

SERVICES_FILE = Path(__file__).resolve().parent / "cbs_services.toml"
GEMEENTE_CODE = re.compile(r"GM\d{4}")
_GEOMETRY_KEYS = ("kind", "url", "layer", "code", "name", "gemeente", "water", "generalised",
                  "download")


@dataclass(frozen=True)
class GeometryService:
    """Where one year's buurt polygons are served (see ``cbs_services.toml``)."""

    year: int
    kind: str
    url: str
    layer: str
    code: str
    name: str
    gemeente: str
    water: str
    generalised: bool
    download: str

    @property
    def label(self) -> str:
        """How the service is named in messages: ``PDOK WFS <url> (layer)``."""
        what = "OGC API Features" if self.kind == "ogcapi" else "WFS"
        return f"PDOK {what} {self.url} ({self.layer})"


@dataclass(frozen=True)
class StatlineTable:
    """The StatLine table with the Kerncijfers wijken en buurten of one year."""

    year: int
    table: str
    period: str = ""

    @property
    def url(self) -> str:
        return f"https://opendata.cbs.nl/ODataFeed/odata/{self.table}"

    @property
    def label(self) -> str:
        return f"CBS StatLine {self.table} ({self.url})"


@dataclass(frozen=True)
class YearServices:
    year: int
    geometry: GeometryService
    statline: StatlineTable


@dataclass(frozen=True)
class Services:
    credit: str
    licence: str
    years: dict[int, YearServices]

    def __getitem__(self, year: int) -> YearServices:
        if year not in self.years:
            known = sorted(self.years)
            raise WijkatlasError(
                f"no CBS services are known for {year} (known: {known[0]}-{known[-1]}).",
                file=SERVICES_FILE, unit=str(year),
                fix="choose a year CBS has published, or add the year's StatLine table and "
                    "PDOK service to cbs_services.toml.")
        return self.years[year]


def load_services(path: str | Path | None = None) -> Services:
    """Read the per-year service table.

    Raises
    ------
    WijkatlasError
        When the file is not valid TOML or an entry misses a key.
    """
    path = Path(path) if path else SERVICES_FILE
    raw = read_toml(path, what="CBS service table",
                    fix="restore the file from the wijkatlas package.")
    templates = raw.get("templates", {})
    years: dict[int, YearServices] = {}
    for key, entry in raw.get("year", {}).items():
        year = int(key)
        geo = dict(entry.get("geometry", {}))
        base = dict(templates.get(geo.pop("template", ""), {}))
        base.update(geo)
        missing = [k for k in _GEOMETRY_KEYS if k not in base]
        table = entry.get("statline", {}).get("table", "")
        if missing or not table:
            raise WijkatlasError(
                f"year {year} misses {', '.join(missing) or 'statline.table'}.", file=path,
                unit=str(year), fix="give every year a statline table and a geometry service.")
        if base["kind"] not in ("ogcapi", "wfs"):
            raise WijkatlasError(f"unknown geometry kind {base['kind']!r}.", file=path,
                                 unit=str(year), fix="use ogcapi or wfs.")
        geometry = GeometryService(
            year=year, **{k: (v.format(year=year) if isinstance(v, str) else v)
                          for k, v in base.items() if k in _GEOMETRY_KEYS})
        statline = StatlineTable(year=year, table=table,
                                 period=entry["statline"].get("period", ""))
        years[year] = YearServices(year=year, geometry=geometry, statline=statline)
    return Services(credit=raw.get("credit", "Bron: CBS / PDOK"),
                    licence=raw.get("licence", "CC BY 4.0"), years=dict(sorted(years.items())))


def parse_years(text: str) -> list[int]:
    """``2023`` -> [2023]; ``2021-2023`` -> [2021, 2022, 2023]; ``2019,2021`` -> [2019, 2021]."""
    years: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
        if not match:
            raise WijkatlasError(f"{text!r} is not a year or a range of years.", unit=part,
                                 fix="write e.g. 2023, 2021-2023 or 2019,2021.")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise WijkatlasError(f"the range {part} runs backwards.", unit=part,
                                 fix=f"write {last}-{first}.")
        years.extend(range(first, last + 1))
    return sorted(set(years))


def check_gemeente(code: str) -> str:
    """Normalise and check a CBS gemeentecode (``gm0809`` -> ``GM0809``)."""
    code = str(code).strip().upper()
    if not GEMEENTE_CODE.fullmatch(code):
        raise WijkatlasError(f"{code!r} is not a CBS gemeentecode.", unit=code,
                             fix="write GM followed by four digits, e.g. GM0797 (Heusden).")
    return code
