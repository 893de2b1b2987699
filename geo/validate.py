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

SQM_PER_HA = 10_000.0
DEFAULT_TOLERANCE_HA = 0.01


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


@dataclass
class ValidationReport:
    """All findings for one layer, as data (``to_dict``/``to_json``) and as text."""

    source: str
    n_units: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"source": self.source, "valid": self.valid, "n_units": self.n_units,
                "issues": [asdict(i) for i in self.issues]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        head = (f"{self.source}: {self.n_units} units, {len(self.errors)} error(s), "
                f"{len(self.issues) - len(self.errors)} warning(s)")
        lines = [head]
        for i in self.issues:
            where = f" [{i.unit}]" if i.unit else ""
            at = f" at ({i.x:.0f}, {i.y:.0f})" if i.x is not None else ""
            lines.append(f"  {i.severity.upper()} {i.rule}{where}: {i.message}{at}. Fix: {i.fix}")
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


def _pieces(geom, tolerance_ha: float, rule: str, what: str, fix: str,
            unit: str | None = None) -> list[Issue]:
    parts = shapely.get_parts(shapely.make_valid(geom))
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    issues = []
    for part in parts:
        ha = float(shapely.area(part)) / SQM_PER_HA
        if ha < 1e-4:  # under 1 m2: floating-point noise, not a sliver
            continue
        x, y = _point(part)
        severity = "error" if ha > tolerance_ha else "warning"
        label = rule if severity == "error" else f"{rule}_sliver"
        issues.append(Issue(severity, label, f"{what} of {ha:.4g} ha", fix, unit=unit,
                            area_ha=round(ha, 4), x=x, y=y))
    return issues


def validate_units(
    units: gpd.GeoDataFrame,
    *,
    source: str = "layer",
    reference: shapely.Geometry | None = None,
    tolerance_ha: float = DEFAULT_TOLERANCE_HA,
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
        unit = f"{_label(good_codes, a)}/{_label(good_codes, b)}"
        report.issues += _pieces(geom, tolerance_ha, "overlap",
                                 f"units {unit} overlap", "remove the overlap so each place "
                                 "belongs to one unit (QGIS: snapping + Topology Checker).",
                                 unit=unit)
    union = shapely.union_all(good)
    # Gaps inside the layer: holes of the union.
    holes = _holes(union)
    for hole in holes:
        report.issues += _pieces(hole, tolerance_ha, "gap", "gap between units",
                                 "assign the gap to a unit (extend the neighbouring polygon).")
    if reference is not None:
        outer = shapely.difference(shapely.Polygon(shapely.get_exterior_ring(reference))
                                   if reference.geom_type == "Polygon" else reference, union)
        outer = shapely.difference(outer, shapely.union_all(holes)) if holes else outer
        report.issues += _pieces(outer, tolerance_ha, "gap",
                                 "part of the gemeente not covered by any unit",
                                 "extend the units to the gemeente boundary.")
        outside = shapely.difference(union, reference)
        report.issues += _pieces(outside, tolerance_ha, "outside",
                                 "area outside the gemeente",
                                 "clip the units to the gemeente boundary.")
    return report


def _holes(union) -> list:
    holes = []
    for poly in shapely.get_parts(union):
        n = shapely.get_num_interior_rings(poly)
        holes += [shapely.Polygon(shapely.get_interior_ring(poly, k)) for k in range(n)]
    return holes


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
