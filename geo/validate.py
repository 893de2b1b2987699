"""Validation of a wijkindeling (or any polygon layer a user brings).

Rules: geometry valid and non-empty, codes and names present and unique, no overlaps beyond
a tolerance, no gaps beyond a tolerance (inside the layer and, when a reference area such as
the gemeente is given, against it). Slivers below the tolerances are reported as warnings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import WijkatlasError
from geo.units import DEFAULT_OUTLINE_TOLERANCE_M, DEFAULT_TOLERANCE_HA, SQM_PER_HA

#: Units within this distance (m) of a gap or an overlap are named as its neighbours.
NEIGHBOUR_DISTANCE_M = 1.0


@dataclass
class Issue:
    """One finding of a validation."""

    severity: str  # "error" or "warning"
    rule: str
    message: str
    fix: str
    unit: str | None = None
    area_ha: float | None = None
    x: float | None = None
    y: float | None = None
    neighbours: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """All findings for one layer, as data (``to_dict``/``to_json``) and as text."""

    source: str
    n_units: int
    issues: list[Issue] = field(default_factory=list)
    #: What the outer boundary was checked against (e.g. "gemeente outline of version 2020:
    #: CBS buurten 2016"), and with which tolerance for generalisation differences.
    outline: str | None = None
    outline_tolerance_m: float | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"source": self.source, "valid": self.valid, "n_units": self.n_units,
                "outline": self.outline, "outline_tolerance_m": self.outline_tolerance_m,
                "issues": [asdict(i) for i in self.issues]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        head = (f"{self.source}: {self.n_units} units, {len(self.errors)} error(s), "
                f"{len(self.issues) - len(self.errors)} warning(s)")
        lines = [head]
        if self.outline:
            lines.append(f"  outer boundary checked against {self.outline} (generalisation "
                         f"differences up to {self.outline_tolerance_m:g} m tolerated)")
        else:
            lines.append("  outer boundary not checked (no gemeente outline given; "
                         "use --gemeente FILE)")
        for i in self.issues:
            where = f" [{i.unit}]" if i.unit else ""
            lines.append(f"  {i.severity.upper()} {i.rule}{where}: {i.message}. Fix: {i.fix}")
        return "\n".join(lines)

    def raise_if_invalid(self) -> None:
        """Raise a :class:`WijkatlasError` naming the first error (and how many more)."""
        if self.valid:
            return
        first = self.errors[0]
        more = len(self.errors) - 1
        extra = f" ({more} more error(s); run `wijkatlas validate` for all)" if more else ""
        raise WijkatlasError(f"{first.message}{extra}.", file=self.source, unit=first.unit,
                             fix=first.fix)


def _label(codes: pd.Series, i: int) -> str:
    code = codes.iloc[i]
    return str(code) if pd.notna(code) and str(code) else f"row {i + 1}"


def _point(geom) -> tuple[float, float]:
    p = shapely.point_on_surface(geom)
    return float(shapely.get_x(p)), float(shapely.get_y(p))


def _check_attributes(units: gpd.GeoDataFrame, codes: pd.Series) -> list[Issue]:
    issues = []
    for column, what in (("code", "code"), ("name", "name")):
        values = units[column].astype("string").str.strip()
        blank = values.isna() | (values == "")
        for i in np.flatnonzero(blank.to_numpy()):
            issues.append(Issue("error", f"missing_{what}", f"unit has no {what}",
                                f"give every unit a {what}.", unit=_label(codes, i)))
        dup = values[~blank & values.duplicated(keep=False)]
        for value in dup.unique():
            rows = [str(r + 1) for r in np.flatnonzero((values == value).fillna(False).to_numpy())]
            issues.append(Issue("error", f"duplicate_{what}",
                                f"{what} {value!r} is used by rows {', '.join(rows)}",
                                f"give each unit its own {what}.", unit=str(value)))
    return issues


def _check_geometry(geoms: np.ndarray, codes: pd.Series) -> list[Issue]:
    issues = []
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(empty):
        issues.append(Issue("error", "empty_geometry", "unit has no geometry",
                            "draw its polygon or remove the unit.", unit=_label(codes, i)))
    ok = ~empty
    invalid = ok & ~shapely.is_valid(geoms)
    reasons = shapely.is_valid_reason(geoms[invalid])
    for i, reason in zip(np.flatnonzero(invalid), reasons, strict=True):
        x, y = _point(shapely.make_valid(geoms[i]))
        issues.append(Issue("error", "invalid_geometry", f"invalid geometry ({reason})",
                            "repair it (wijkatlas validate --repair OUT, or QGIS Fix "
                            "Geometries) and check the result.", unit=_label(codes, i), x=x, y=y))
    zero = ok & (shapely.area(geoms) <= 0)
    for i in np.flatnonzero(zero):
        issues.append(Issue("error", "zero_area", "unit has zero area",
                            "redraw the polygon; a unit must cover land.", unit=_label(codes, i)))
    return issues


def _neighbours(pieces: np.ndarray, units: np.ndarray, codes: pd.Series) -> list[list[str]]:
    """Per piece the codes of the units within NEIGHBOUR_DISTANCE_M of it (sorted)."""
    out: list[list[str]] = [[] for _ in range(len(pieces))]
    if len(pieces) == 0 or len(units) == 0:
        return out
    tree = shapely.STRtree(units)
    p_idx, u_idx = tree.query(pieces, predicate="dwithin", distance=NEIGHBOUR_DISTANCE_M)
    for p, u in zip(p_idx, u_idx, strict=True):
        out[p].append(_label(codes, u))
    return [sorted(set(n)) for n in out]


def _where(x: float, y: float) -> str:
    return f"at RD ({x:.0f}, {y:.0f})"


def _pieces(geom, tolerance_ha: float, rule: str, what: str, fix: str,
            unit: str | None = None, units: np.ndarray | None = None,
            codes: pd.Series | None = None) -> list[Issue]:
    """One issue per polygonal part of ``geom``: its size, location (RD) and neighbours.

    Parts under 1 m2 are floating-point noise; parts up to ``tolerance_ha`` are slivers
    (warnings), larger ones errors.
    """
    if geom is None or shapely.is_empty(geom):
        return []
    parts = shapely.get_parts(shapely.make_valid(geom))
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    ha = shapely.area(parts) / SQM_PER_HA
    parts, ha = parts[ha >= 1e-4], ha[ha >= 1e-4]
    if len(parts) == 0:
        return []
    points = shapely.point_on_surface(parts)
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    near = _neighbours(parts, units, codes) if units is not None else [[] for _ in parts]
    issues = []
    for k in np.argsort(-ha, kind="stable"):
        size = float(ha[k])
        severity = "error" if size > tolerance_ha else "warning"
        label = rule if severity == "error" else f"{rule}_sliver"
        units_text = ", ".join(near[k]) if near[k] else "no unit"
        # placeholders filled by replace, never str.format: codes are data, not templates
        text = what.replace("{units}", units_text).replace("{size}", _size(size))
        issues.append(Issue(severity, label, f"{text} {_where(xs[k], ys[k])}", fix,
                            unit=unit, area_ha=round(size, 4), x=float(xs[k]), y=float(ys[k]),
                            neighbours=near[k]))
    return issues


def _size(ha: float) -> str:
    """An area in words a user can check: hectares, or m2 below 0.1 ha."""
    return f"{ha:.1f} ha" if ha >= 0.1 else f"{ha * SQM_PER_HA:.0f} m2"


def validate_units(
    units: gpd.GeoDataFrame,
    *,
    source: str = "layer",
    reference: shapely.Geometry | None = None,
    tolerance_ha: float = DEFAULT_TOLERANCE_HA,
    reference_name: str | None = None,
    reference_tolerance_m: float = DEFAULT_OUTLINE_TOLERANCE_M,
) -> ValidationReport:
    """Check a layer of units (``code``, ``name``, ``geometry``) and report every problem.

    Parameters
    ----------
    units
        Units in a projected CRS (EPSG:28992).
    source
        File or version name used in the report.
    reference
        Area the units should cover (e.g. the gemeente, or the union of the parent version).
        Without it only gaps *inside* the layer are found.
    tolerance_ha
        Overlaps and gaps up to this area are slivers (warnings), larger ones are errors.
    reference_name
        What ``reference`` is, for the report (e.g. "CBS buurten 2016").
    reference_tolerance_m
        Generalisation differences between the units and the reference up to this distance
        (m) are tolerated: only land more than this far outside the reference, or reference
        land more than this far from every unit, is reported.

    Notes
    -----
    A gap is land enclosed by the units but covered by none: the holes of the union minus the
    units themselves (a unit shrunk inside its neighbours leaves a ring-shaped gap, not a gap
    of its whole area). Each gap and overlap is reported with its area, a point inside it (RD
    coordinates) and the units next to it.

    Returns
    -------
    ValidationReport
    """
    report = ValidationReport(source=source, n_units=len(units))
    if len(units) == 0:
        report.issues.append(Issue("error", "empty_layer", "the layer has no units",
                                   "give a layer with at least one polygon."))
        return report
    if units.crs is None or not units.crs.is_projected:
        report.issues.append(Issue("error", "no_crs" if units.crs is None else "geographic_crs",
                                   f"the layer's CRS ({units.crs}) is not projected",
                                   "load it through wijkatlas, which reprojects to EPSG:28992."))
        return report
    codes = units["code"].astype("string").reset_index(drop=True)
    geoms = units.geometry.values.to_numpy() if hasattr(units.geometry.values, "to_numpy") \
        else np.asarray(units.geometry.values)
    report.issues += _check_attributes(units.reset_index(drop=True), codes)
    report.issues += _check_geometry(geoms, codes)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    usable &= shapely.is_valid(geoms)
    good = geoms[usable]
    good_codes = codes[usable].reset_index(drop=True)
    if len(good) == 0:
        return report
    # Overlaps: every pair whose intersection has area.
    tree = shapely.STRtree(good)
    left, right = tree.query(good, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    inter = shapely.intersection(good[left], good[right])
    for a, b, geom in zip(left, right, inter, strict=True):
        a_code, b_code = _label(good_codes, a), _label(good_codes, b)
        unit = f"{a_code}/{b_code}"
        report.issues += _pieces(geom, tolerance_ha, "overlap",
                                 "overlap of {size} between units " + f"{a_code} and {b_code}",
                                 "remove the overlap so each place belongs to one unit "
                                 "(QGIS: snapping + Topology Checker).",
                                 unit=unit)
    union = shapely.union_all(good)
    # Gaps inside the layer: what the filled union has that the units do not cover.
    filled = _filled(union)
    inner = shapely.difference(filled, union)
    report.issues += _pieces(inner, tolerance_ha, "gap", "gap of {size} between units {units}",
                             "assign the gap to a unit (extend a neighbouring polygon).",
                             units=good, codes=good_codes)
    if reference is not None:
        report.outline = reference_name or "the given gemeente outline"
        report.outline_tolerance_m = float(reference_tolerance_m)
        band = float(reference_tolerance_m)
        inside = shapely.buffer(reference, -band) if band > 0 else reference
        outer = shapely.difference(shapely.difference(inside, filled), inner)
        first = len(report.issues)
        report.issues += _pieces(outer, tolerance_ha, "gap",
                                 "part of the gemeente of {size} not covered by any unit (next to "
                                 "{units})",
                                 "extend the units to the gemeente boundary.",
                                 units=good, codes=good_codes)
        around = shapely.buffer(reference, band) if band > 0 else reference
        outside = shapely.difference(union, around)
        differ = (float(shapely.area(outer)) + float(shapely.area(outside))) / SQM_PER_HA
        whole = float(shapely.area(reference)) / SQM_PER_HA
        if whole > 0 and differ > 0.01 * whole:
            report.issues.insert(first, Issue(
                "warning", "outline_mismatch",
                f"the units and the outline differ by {differ:,.1f} ha ({differ / whole:.1%} of "
                "the outline) along the boundary: the outline is probably another "
                "generalisation than the units' boundaries",
                "check a version against its own outline (wijkatlas versions validate ID), or "
                "state the generalisation difference with --outline-tolerance-m."))
        report.issues += _pieces(outside, tolerance_ha, "outside",
                                 "{size} of unit(s) {units} outside the gemeente",
                                 "clip the units to the gemeente boundary, or check that the "
                                 "outline is the right one for this version.",
                                 units=good, codes=good_codes)
    return report


def _filled(union):
    """The union with every hole filled (vectorised over its parts)."""
    parts = shapely.get_parts(union)
    return shapely.union_all(shapely.polygons(shapely.get_exterior_ring(parts)))


def parse_iso_date(text: str | None, *, what: str = "valid_from", file: str | None = None
                   ) -> str:
    """Check that ``text`` is an ISO calendar date (``YYYY-MM-DD``) and return it.

    ``01-01-2030``, ``2030-1-1`` and ``2030-02-30`` are refused with the fix (the same date
    written the ISO way, when it can be read as day-month-year).
    """
    import datetime as dt
    import re

    value = "" if text is None else str(text).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    hint = "write the date as YYYY-MM-DD, e.g. 2030-01-01."
    dmy = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
    if dmy:
        try:
            iso = dt.date(int(dmy[3]), int(dmy[2]), int(dmy[1])).isoformat()
            hint = f"write it as YYYY-MM-DD: {iso}."
        except ValueError:
            pass
    raise WijkatlasError(f"{what} {value!r} is not a date in the ISO form YYYY-MM-DD.",
                         file=file, fix=hint, rule="bad_date")


def repair_geometries(units: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair invalid geometries with ``make_valid``, keeping only their polygonal parts.

    Returns the repaired copy and the codes of the units that were changed, so the caller can
    say what was repaired (repair is never silent).
    """
    geoms = np.asarray(units.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    fixed = shapely.make_valid(geoms[bad])
    polygonal = []
    for geom in fixed:
        parts = shapely.get_parts(geom)
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        polygonal.append(shapely.union_all(parts) if len(parts) else shapely.Polygon())
    out = units.copy()
    new = geoms.copy()
    new[bad] = polygonal
    out = out.set_geometry(gpd.GeoSeries(new, index=units.index, crs=units.crs))
    return out, [str(c) for c in units["code"][bad]]
