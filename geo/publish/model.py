"""What the publications say about a unit: read from the atlas GeoPackage only.

Enters: the atlas GeoPackage (``docs/atlas-gpkg.md``): ``atlas``, ``versions``,
``indicators``, ``wijkindeling_<id>`` and the long ``results`` table (every source and level,
layout ``geo.units.RESULT_COLUMNS``). Leaves: plain Python objects (:class:`Edition`,
:class:`UnitProfile`, :class:`Figure`) that the HTML pages, the book and the exports render.
Nothing here formats HTML; text from the data stays data.

The gemeente figure of an indicator is the ``level = "gemeente"`` row of the results when the
atlas has one; otherwise it is computed from the wijk rows by the indicator's kind (counts
summed, shares and means weighted by their denominator or weight, densities recomputed from
their count and the area), which for counts, shares and means equals the figure computed from
the inputs because reaggregation conserves totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from hashlib import sha1
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.catalog import THEMES
from geo.errors import WijkatlasError
from geo.hub import layers_of, read_table
from geo.maps.classes import format_nl
from geo.units import STATUS_LABELS

#: Statuses with a published value (the value of ``partial`` is the observed part only).
VALUE_STATUSES = ("observed", "partial")
#: A wijk differs "clearly" from the gemeente when the difference is larger than this share of
#: the gemeente figure ...
DEVIATION_RELATIVE = 0.10
#: ... and, for percentages, also at least this many percentage points.
DEVIATION_POINTS = 2.0
#: Deviation markers: symbol, Dutch text, CSS class. Not colour alone: a symbol and a word.
MARKERS = {
    "above": ("▲", "duidelijk hoger dan de gemeente", "hoger", "hoger"),
    "around": ("●", "rond het gemeentelijke cijfer", "rond", "rond"),
    "below": ("▼", "duidelijk lager dan de gemeente", "lager", "lager"),
}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def safe_file_stem(code: str) -> str:
    """A file name stem for a unit or version code from the data.

    Codes like ``W01`` or ``2020`` are used as they are; anything else (slashes, dots at the
    start, spaces, markup) becomes ``unit-<hash>`` so text from data never steers a path.
    """
    code = str(code)
    if SAFE_NAME.match(code) and ".." not in code:
        return code
    return "unit-" + sha1(code.encode("utf-8")).hexdigest()[:12]


@dataclass
class Point:
    """One year of a series: the value (or ``None``), its status and honesty marks."""

    year: int
    value: float | None
    status: str
    lower: float | None = None
    upper: float | None = None
    interpolated_share: float | None = None
    n: float | None = None
    significance: str = ""
    reason: str = ""
    source: str = ""
    approximate: bool = False


@dataclass
class Figure:
    """One indicator for one unit: the series, the gemeente series and what to say about it."""

    code: str
    label: str
    theme: str
    unit: str
    kind: str
    decimals: int
    source: str
    description: str
    years: list[int]
    own: list[Point]
    gemeente: list[Point]
    gemeente_label: str
    latest: Point | None = None
    latest_gemeente: Point | None = None
    previous: Point | None = None
    deviation: str = ""          # above | around | below | "" (not comparable)
    deviation_note: str = ""
    relative_deviation: float | None = None
    change: float | None = None
    relative_change: float | None = None
    share_of_gemeente: float | None = None
    marks: list[str] = field(default_factory=list)
    kern_name: str = ""          # the kern the wijk lies in (when the atlas has that level)
    latest_kern: Point | None = None

    @property
    def has_data(self) -> bool:
        return any(p.status != "missing" for p in self.own)

    @property
    def is_percentage(self) -> bool:
        return self.unit.strip() == "%"

    def fmt(self, value: float | None, extra: int = 0) -> str:
        """A value of this indicator the Dutch way, with its decimals."""
        return "" if value is None else format_nl(value, self.decimals + extra)

    def display(self, point: Point | None) -> str:
        """What a reader sees for a point: the value, or the Dutch status label."""
        if point is None:
            return STATUS_LABELS["missing"]
        if point.status in VALUE_STATUSES and point.value is not None:
            return self.fmt(point.value)
        return STATUS_LABELS.get(point.status, point.status)

    def change_text(self) -> str:
        """The change since the previous edition, in words and numbers."""
        if self.latest is None:
            return ""
        if self.previous is None:
            return "geen eerdere editie om mee te vergelijken"
        if self.change is None:
            return (f"niet te vergelijken met {self.previous.year} "
                    f"({STATUS_LABELS.get(self.latest.status, '')})".replace(" ()", ""))
        unit = "procentpunt" if self.is_percentage else self.unit
        shown = self.fmt(abs(self.change))
        zero = shown.strip("0,.") == ""
        sign = "±" if zero else ("+" if self.change > 0 else "−")
        text = f"{sign}{shown} {unit} sinds {self.previous.year}"
        if self.relative_change is not None and not self.is_percentage:
            text += f" ({'+' if self.relative_change >= 0 else '−'}" \
                    f"{format_nl(abs(self.relative_change) * 100, 1)} %)"
        return text


@dataclass
class UnitProfile:
    """Everything the profile of one unit shows."""

    code: str
    name: str
    file_stem: str
    area_ha: float
    figures: list[Figure]
    summary: list[str]
    locator: dict

    def themes(self) -> list[tuple[str, list[Figure]]]:
        """The eight themes in the atlas's order, each with its figures (possibly none)."""
        return [(t, [f for f in self.figures if f.theme == t]) for t in THEMES]


@dataclass
class Edition:
    """One version of the wijkindeling at one edition (the latest year shown)."""

    atlas_name: str
    credit: str
    synthetic: bool
    version: str
    version_name: str
    version_description: str
    valid_from: str
    edition: int
    years: list[int]
    indicators: pd.DataFrame
    units: list[UnitProfile]
    gemeente: UnitProfile
    gemeente_from_level: bool
    methods: dict[str, int]

    @property
    def version_stem(self) -> str:
        return safe_file_stem(self.version)


# --- reading ---------------------------------------------------------------------------------

#: The hub readers under the names this module uses.
_layers = layers_of
read_layer = read_table


def atlas_meta(atlas: Path) -> dict:
    """Name, credit line and synthetic flag from the atlas's own ``atlas`` table."""
    meta = {"name": "Wijkatlas", "credit": "Bron: CBS / PDOK", "synthetic": False}
    if "atlas" in _layers(atlas):
        row = read_layer(atlas, "atlas")
        if len(row):
            row = row.iloc[0]
            meta["name"] = str(row.get("name") or meta["name"])
            meta["credit"] = str(row.get("credit") or meta["credit"])
            meta["synthetic"] = bool(pd.to_numeric(pd.Series([row.get("synthetic")]),
                                                   errors="coerce").fillna(0).iloc[0])
    return meta


def read_results(atlas: Path, version: str) -> pd.DataFrame:
    """The results of one version, with every shared column present."""
    res = read_layer(atlas, "results", ("version", "unit_code", "year", "variable", "value",
                                        "status"))
    res["version"] = res["version"].astype(str)
    res = res[res["version"] == str(version)].copy()
    defaults = {"level": "wijk", "lower": np.nan, "upper": np.nan, "interpolated_share": np.nan,
                "approximate": 0, "source": "", "n": np.nan, "significance": "", "reason": "",
                "method": "", "unit_name": ""}
    for column, default in defaults.items():
        if column not in res:
            res[column] = default
    res["level"] = res["level"].fillna("wijk").replace("", "wijk").astype(str)
    for column in ("significance", "reason", "source", "method"):
        res[column] = res[column].fillna("").astype(str)
    res["year"] = pd.to_numeric(res["year"], errors="coerce")
    bad = res[res["year"].isna() | ~res["status"].isin(list(STATUS_LABELS))]
    if len(bad):
        row = bad.iloc[0]
        raise WijkatlasError(
            f"result row with year {row['year']!r} and status {row['status']!r}.", file=atlas,
            unit=f"results {row['unit_code']} {row['variable']}",
            fix=f"use a year and one of the statuses: {', '.join(STATUS_LABELS)}.")
    res["year"] = res["year"].astype(int)
    return res.reset_index(drop=True)


def read_indicators(atlas: Path) -> pd.DataFrame:
    """The indicator table in the atlas's order: by theme (the eight themes), then as listed."""
    inds = read_layer(atlas, "indicators", ("code", "label", "theme", "unit", "kind"))
    for column, default in (("decimals", 0), ("source", ""), ("description", ""),
                            ("denominator", ""), ("weight", ""), ("count", ""),
                            ("approximate", 0)):
        if column not in inds:
            inds[column] = default
    inds["decimals"] = pd.to_numeric(inds["decimals"], errors="coerce").fillna(0).astype(int)
    for column in ("source", "description", "denominator", "weight", "count", "unit", "label"):
        inds[column] = inds[column].fillna("").astype(str)
    order = {t: i for i, t in enumerate(THEMES)}
    unknown = inds[~inds["theme"].isin(order)]
    if len(unknown):
        row = unknown.iloc[0]
        raise WijkatlasError(f"unknown theme {row['theme']!r}.", file=atlas,
                             unit=f"indicators {row['code']}",
                             fix=f"use one of: {', '.join(THEMES)}.")
    inds = inds.assign(_order=inds["theme"].map(order), _pos=np.arange(len(inds)))
    return inds.sort_values(["_order", "_pos"]).drop(columns=["_order", "_pos"]) \
        .reset_index(drop=True)


# --- the gemeente figure ---------------------------------------------------------------------

def _gemeente_from_wijken(res: pd.DataFrame, inds: pd.DataFrame,
                          area_km2: pd.Series) -> pd.DataFrame:
    """Per (variable, year) the gemeente figure from the wijk rows, by kind.

    Notes
    -----
    count: :math:`G = \\sum_i v_i`; share: :math:`G = \\sum_i v_i d_i / \\sum_i d_i` with
    :math:`d` the denominator count; mean and median: the same with the weight count (for a
    median an approximation); density: :math:`G = \\sum_i c_i / \\sum_i A_i`. Only wijken with
    a value take part; when some wijk is not ``observed`` the gemeente figure is ``partial``
    (for counts: the sum of what is published) and without any value ``missing``.
    """
    wijk = res[res["level"] == "wijk"]
    has = wijk["status"].isin(VALUE_STATUSES) & wijk["value"].notna()
    wide = wijk[has].pivot_table(index=["unit_code", "year"], columns="variable",
                                 values="value", aggfunc="first")
    status_all = wijk.groupby(["variable", "year"])["status"].agg(
        lambda s: "observed" if (s == "observed").all() else
        ("missing" if (s == "missing").all() else "mixed"))
    rows = []
    for _, ind in inds.iterrows():
        code, kind = ind["code"], ind["kind"]
        if code not in wide.columns:
            continue
        v = wide[code]
        ref = {"share": ind["denominator"], "mean": ind["weight"], "median": ind["weight"],
               "density": ind["count"]}.get(kind, "")
        if kind == "count":
            g = v.groupby(level="year").sum(min_count=1)
        elif kind == "density" and ref in wide.columns:
            counts = wide[ref].dropna()
            areas = area_km2.reindex(counts.index.get_level_values("unit_code")).to_numpy()
            g = (counts.groupby(level="year").sum()
                 / pd.Series(areas, index=counts.index).groupby(level="year").sum())
        elif ref and ref in wide.columns:
            w = wide[ref].where(v.notna())
            g = (v * w).groupby(level="year").sum(min_count=1) / w.groupby(level="year").sum()
        else:
            g = v.groupby(level="year").mean()
        for year, value in g.items():
            state = status_all.get((code, year), "missing")
            status = "observed" if state == "observed" else ("partial" if np.isfinite(value)
                                                             else "missing")
            rows.append({"variable": code, "year": int(year),
                         "value": float(value) if np.isfinite(value) else np.nan,
                         "status": status})
    return pd.DataFrame(rows, columns=["variable", "year", "value", "status"])


def gemeente_table(res: pd.DataFrame, inds: pd.DataFrame,
                   area_km2: pd.Series) -> tuple[pd.DataFrame, bool]:
    """The gemeente rows: the atlas's own ``level = "gemeente"`` rows where it has them, the
    wijk rows combined by kind for every other (variable, year). Second value: whether any
    row came from the atlas's gemeente level."""
    own = res[res["level"] == "gemeente"]
    computed = _gemeente_from_wijken(res, inds, area_km2)
    if own.empty:
        return computed.assign(from_level=False), False
    own = own.assign(from_level=True)
    keys = set(zip(own["variable"], own["year"], strict=True))
    rest = computed[[k not in keys for k in zip(computed["variable"], computed["year"],
                                                strict=True)]]
    return pd.concat([own, rest.assign(from_level=False)], ignore_index=True), True


# --- one unit --------------------------------------------------------------------------------

def _num(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _point(row: dict | None, year: int) -> Point:
    if row is None:
        return Point(year=year, value=None, status="missing")
    status = str(row["status"])
    value = _num(row["value"]) if status in VALUE_STATUSES else None
    return Point(year=year, value=value, status=status, lower=_num(row.get("lower")),
                 upper=_num(row.get("upper")),
                 interpolated_share=_num(row.get("interpolated_share")), n=_num(row.get("n")),
                 significance=str(row.get("significance") or ""),
                 reason=str(row.get("reason") or ""), source=str(row.get("source") or ""),
                 approximate=bool(_num(row.get("approximate")) or 0))


def _deviation(fig: Figure) -> None:
    own, gem = fig.latest, fig.latest_gemeente
    if own is None or gem is None or own.value is None or gem.value is None:
        return
    if fig.kind == "count":
        if gem.value > 0:
            fig.share_of_gemeente = own.value / gem.value
        fig.deviation_note = "een aantal: vergeleken via het aandeel in de gemeente"
        return
    if own.status != "observed":
        fig.deviation_note = "niet te vergelijken: gedeeltelijk geheim"
        return
    diff = own.value - gem.value
    fig.relative_deviation = diff / abs(gem.value) if gem.value else None
    if own.source == "survey" and own.lower is not None and own.upper is not None:
        # The gemeente lies outside the wijk's 95 % interval: clearly different.
        fig.deviation = ("above" if gem.value < own.lower else
                         "below" if gem.value > own.upper else "around")
        fig.deviation_note = "gemeente buiten of binnen de marge van de wijk (95 %)"
        return
    threshold = DEVIATION_RELATIVE * abs(gem.value)
    if fig.is_percentage:
        threshold = max(threshold, DEVIATION_POINTS)
    fig.deviation = "above" if diff > threshold else "below" if diff < -threshold else "around"


def _marks(fig: Figure) -> list[str]:
    """Status and honesty marks of the latest figure, in Dutch."""
    p = fig.latest
    if p is None:
        return []
    marks = []
    if p.status == "partial":
        marks.append("gedeeltelijk geheim: het cijfer telt alleen de buurten die CBS "
                     "publiceerde")
    elif p.status == "suppressed":
        marks.append("geheim: CBS publiceert dit cijfer niet")
    elif p.status == "small":
        marks.append("< 5: een klein aantal, niet gepubliceerd")
    elif p.status == "too_few":
        marks.append("te weinig respons voor een betrouwbaar cijfer")
    elif p.status == "withheld":
        marks.append("afgeschermd: zou door aftrekken een klein aantal onthullen"
                     + (f" ({p.reason})" if p.reason else ""))
    elif p.status == "missing":
        marks.append("geen gegevens in " + str(p.year))
    if p.source == "survey" and p.n is not None:
        text = f"enquête: n = {format_nl(p.n, 0)}"
        if p.lower is not None and p.upper is not None and p.value is not None:
            text += f", marge {fig.fmt(p.lower)} – {fig.fmt(p.upper)} (95 %)"
        marks.append(text)
    elif p.value is not None and p.interpolated_share:
        text = f"{format_nl(max(p.interpolated_share * 100, 1), 0)} % geïnterpoleerd"
        if p.lower is not None and p.upper is not None and p.status == "observed":
            what = "grenzen" if fig.kind == "count" else "spreiding buurten"
            text += f", {what} {fig.fmt(p.lower)} – {fig.fmt(p.upper)}"
        marks.append(text)
    if p.significance:
        marks.append(p.significance)
    if p.approximate or fig.kind == "median":
        marks.append("benadering: niet exact op te tellen uit buurten")
    return marks


def build_figure(ind: dict, years: list[int], own_by_year: dict[int, dict],
                 gem_by_year: dict[int, dict], gemeente_label: str) -> Figure:
    """The :class:`Figure` of one indicator from the unit's rows and the gemeente rows (each
    a mapping year -> result row as a dict)."""
    fig = Figure(code=str(ind["code"]), label=str(ind["label"]), theme=str(ind["theme"]),
                 unit=str(ind["unit"]), kind=str(ind["kind"]), decimals=int(ind["decimals"]),
                 source=str(ind["source"]), description=str(ind["description"]), years=years,
                 own=[_point(own_by_year.get(y), y) for y in years],
                 gemeente=[_point(gem_by_year.get(y), y) for y in years],
                 gemeente_label=gemeente_label)
    # The latest edition of this indicator: the last year any unit has a row that is not
    # "missing" (a survey indicator's last survey), shown with this unit's status then.
    edition_years = [y for y in years if y in own_by_year or y in gem_by_year]
    rows_years = [p.year for p in fig.own if p.status != "missing"] + \
                 [p.year for p in fig.gemeente if p.status != "missing"]
    if not rows_years:
        return fig
    last = max(rows_years)
    fig.latest = fig.own[years.index(last)]
    fig.latest_gemeente = fig.gemeente[years.index(last)]
    earlier = [p for p in fig.own if p.year < last and p.year in edition_years
               and p.status != "missing"]
    if earlier:
        fig.previous = earlier[-1]
        a, b = fig.previous, fig.latest
        if a.status == b.status == "observed" and a.value is not None and b.value is not None:
            fig.change = b.value - a.value
            fig.relative_change = fig.change / abs(a.value) if a.value else None
    _deviation(fig)
    fig.marks = _marks(fig)
    return fig


def _summary(name: str, figures: list[Figure], gemeente_name: str) -> list[str]:
    """Two or three Dutch sentences on the largest deviations and changes."""
    comparable = [f for f in figures if f.deviation and f.relative_deviation is not None]
    clear = sorted([f for f in comparable if f.deviation != "around"],
                   key=lambda f: -abs(f.relative_deviation))
    sentences = []
    if comparable:
        up = sum(f.deviation == "above" for f in comparable)
        down = sum(f.deviation == "below" for f in comparable)
        sentences.append(
            f"Van de {len(comparable)} vergelijkbare indicatoren liggen er in {name} {up} "
            f"duidelijk boven en {down} duidelijk onder het cijfer van {gemeente_name}.")
    if clear:
        parts = [f"{f.label.lower()} ({f.fmt(f.latest.value)} {f.unit} tegen "
                 f"{f.fmt(f.latest_gemeente.value)} {f.unit}, "
                 f"{'hoger' if f.deviation == 'above' else 'lager'})" for f in clear[:3]]
        sentences.append("De grootste verschillen met de gemeente: " + _join(parts) + ".")
    changes = sorted([f for f in figures if f.relative_change is not None and f.change],
                     key=lambda f: -abs(f.relative_change))
    if changes:
        parts = [f"{f.label.lower()} ({f.change_text()})" for f in changes[:3]]
        sentences.append("Het sterkst veranderd sinds de vorige editie: " + _join(parts) + ".")
    secret = [f for f in figures if f.latest is not None and f.latest.status not in
              ("observed", "missing")]
    if secret:
        sentences.append(f"{len(secret)} cijfer(s) zijn geheim, gedeeltelijk geheim of "
                         "afgeschermd; zie de opmerkingen bij die indicatoren.")
    if not sentences:
        sentences.append(f"Voor {name} zijn nog geen cijfers beschikbaar.")
    return sentences


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " en " + parts[-1]


# --- the locator map -------------------------------------------------------------------------

def locator_paths(units: gpd.GeoDataFrame, size: float = 300.0) -> dict:
    """SVG path data of every unit, scaled into a ``size`` wide box (y down), for the small
    locator maps. Vectorised over the rings; coordinates rounded to 0.1 px."""
    import shapely

    geoms = units.geometry.simplify(5.0).values
    minx, miny, maxx, maxy = units.total_bounds
    scale = size / max(maxx - minx, 1.0)
    height = (maxy - miny) * scale
    _, coords, offsets = shapely.to_ragged_array(shapely.force_2d(geoms))
    if len(offsets) == 2:  # Polygons only: one polygon per unit
        ring_off, poly_off = offsets
        unit_off = np.arange(len(geoms) + 1)
    else:
        ring_off, poly_off, unit_off = offsets
    xs = np.round((coords[:, 0] - minx) * scale, 1)
    ys = np.round((maxy - coords[:, 1]) * scale, 1)
    pts = np.char.add(np.char.add(xs.astype(str), " "), ys.astype(str))
    starts = np.zeros(len(pts), dtype=bool)
    starts[ring_off[:-1]] = True
    cmd = np.where(starts, "M", "L")
    tokens = np.char.add(cmd, pts)
    ends = np.zeros(len(pts), dtype=bool)
    ends[ring_off[1:] - 1] = True
    tokens = np.where(ends, np.char.add(tokens, "Z"), tokens)
    # ring -> unit
    ring_unit = np.repeat(np.arange(len(unit_off) - 1), np.diff(unit_off))
    ring_unit = np.repeat(ring_unit, np.diff(poly_off))
    point_unit = np.repeat(ring_unit, np.diff(ring_off))
    bounds = np.searchsorted(point_unit, np.arange(len(unit_off)))
    paths = ["".join(tokens[bounds[i]:bounds[i + 1]]) for i in range(len(unit_off) - 1)]
    return {"width": size, "height": round(float(height), 1),
            "paths": dict(zip(units["code"].astype(str), paths, strict=True))}


# --- the whole edition -----------------------------------------------------------------------

def load_edition(atlas: str | Path, version: str, edition: int | None = None) -> Edition:
    """Read one version of the atlas at one edition (default: its latest year).

    Raises
    ------
    WijkatlasError
        When the atlas, the version or its results are missing, or the edition has no year.
    """
    atlas = Path(atlas)
    version = str(version)
    meta = atlas_meta(atlas)
    versions = read_layer(atlas, "versions", ("id", "name"))
    vrow = versions[versions["id"].astype(str) == version]
    if vrow.empty:
        raise WijkatlasError(f"version {version!r} is not in the atlas.", file=atlas,
                             unit=version, fix="name a version of the versions table: "
                             + ", ".join(versions["id"].astype(str)) + ".")
    vrow = vrow.iloc[0]
    units = read_layer(atlas, f"wijkindeling_{version}", ("code", "name"))
    units = units.reset_index(drop=True)
    inds = read_indicators(atlas)
    res = read_results(atlas, version)
    if res.empty:
        raise WijkatlasError(f"no results for version {version}.", file=atlas, unit=version,
                             fix="rebuild the atlas with `make atlas`.")
    all_years = sorted(res["year"].unique().tolist())
    if edition is None:
        edition = int(all_years[-1])
    if edition not in all_years:
        raise WijkatlasError(f"edition {edition} has no results for version {version}.",
                             file=atlas, unit=str(edition),
                             fix="choose one of the years " + ", ".join(map(str, all_years))
                             + ".")
    res = res[res["year"] <= edition]
    years = [int(y) for y in all_years if y <= edition]
    inds = inds[inds["code"].isin(set(res["variable"]))].reset_index(drop=True)
    area_ha = pd.Series(units.geometry.area.to_numpy() / 10_000.0,
                        index=units["code"].astype(str))
    gem, from_level = gemeente_table(res, inds, area_ha / 100.0)
    gem_by_var = _by_year(gem.to_dict("records"), ("variable",))
    wijk_by = _by_year(res[res["level"] == "wijk"].to_dict("records"),
                       ("unit_code", "variable"))
    empty: dict = {}
    ind_rows = inds.to_dict("records")
    kern_of = kern_lookup(atlas, version)
    kern_by = _by_year(res[res["level"] == "kern"].to_dict("records"), ("unit_code", "variable"))
    locator = locator_paths(units)
    gemeente_name = "de gemeente"
    gem_label = "gemeente"
    profiles = []
    for _, unit in units.iterrows():
        code = str(unit["code"])
        figures = [build_figure(ind, years, wijk_by.get((code, ind["code"]), empty),
                                gem_by_var.get((ind["code"],), empty), gem_label)
                   for ind in ind_rows]
        if code in kern_of:
            kern_code, kern_name = kern_of[code]
            for fig in figures:
                if fig.latest is not None:
                    rows = kern_by.get((kern_code, fig.code), empty)
                    fig.kern_name = kern_name
                    fig.latest_kern = _point(rows.get(fig.latest.year), fig.latest.year)
        profiles.append(UnitProfile(
            code=code, name=str(unit["name"]), file_stem=safe_file_stem(code),
            area_ha=float(area_ha[code]), figures=figures,
            summary=_summary(str(unit["name"]), figures, gemeente_name), locator=locator))
    gem_figures = [build_figure(ind, years, gem_by_var.get((ind["code"],), empty), empty,
                                gem_label) for ind in ind_rows]
    gemeente = UnitProfile(code="gemeente", name=meta["name"].replace("Wijkatlas ", "Gemeente ")
                           if meta["name"].startswith("Wijkatlas ") else "Gemeente",
                           file_stem="gemeente", area_ha=float(area_ha.sum()),
                           figures=gem_figures, summary=[], locator=locator)
    methods = res[res["level"] == "wijk"]["method"].replace("", np.nan).dropna() \
        .value_counts().to_dict()
    return Edition(
        atlas_name=meta["name"], credit=meta["credit"], synthetic=meta["synthetic"],
        version=version, version_name=str(vrow.get("name") or f"Wijkindeling {version}"),
        version_description=str(vrow.get("description") or ""),
        valid_from=str(vrow.get("valid_from") or ""), edition=int(edition), years=years,
        indicators=inds, units=profiles, gemeente=gemeente, gemeente_from_level=from_level,
        methods={str(k): int(v) for k, v in methods.items()})


def kern_lookup(atlas: Path, version: str) -> dict[str, tuple[str, str]]:
    """Per wijk code its kern (code, name) from the atlas's ``levels`` table; wijken that
    make up a kern on their own are left out (the kern figure would repeat the wijk's)."""
    if "levels" not in _layers(atlas):
        return {}
    levels = read_layer(atlas, "levels", ("version", "level", "wijk_code", "area_code",
                                          "area_name"))
    kern = levels[(levels["version"].astype(str) == str(version))
                  & (levels["level"] == "kern")]
    size = kern.groupby("area_code")["wijk_code"].transform("size")
    kern = kern[size > 1]
    return {str(w): (str(c), str(n)) for w, c, n in
            zip(kern["wijk_code"], kern["area_code"], kern["area_name"], strict=True)}


def _by_year(records: list[dict], keys: tuple[str, ...]) -> dict[tuple, dict[int, dict]]:
    out: dict[tuple, dict[int, dict]] = {}
    for rec in records:
        out.setdefault(tuple(str(rec[k]) for k in keys), {})[int(rec["year"])] = rec
    return out


def versions_of(atlas: str | Path) -> list[str]:
    """The version ids of the atlas, in the order of its versions table."""
    return read_layer(Path(atlas), "versions", ("id",))["id"].astype(str).tolist()


__all__ = [
    "Edition", "Figure", "MARKERS", "Point", "UnitProfile", "atlas_meta", "build_figure",
    "gemeente_table", "kern_lookup", "load_edition", "locator_paths", "read_indicators",
    "read_layer", "read_results", "safe_file_stem", "versions_of",
]
