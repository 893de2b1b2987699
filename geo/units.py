"""One home for the facts every module shares: CRS, units of measure, tolerances, statuses and
the layout of the long result table.

Import these names instead of repeating the numbers or strings; the README and
``docs/atlas-gpkg.md`` describe the same vocabulary for users.
"""

from __future__ import annotations

#: The one CRS inside the engine (RD New); web maps are emitted in WEB_CRS.
CRS = "EPSG:28992"
WEB_CRS = "EPSG:4326"

#: Where RD New coordinates of Dutch data can lie (x/y min, x/y max, in metres): the RD
#: validity area (x -7,000..300,000; y 289,000..629,000) with a margin for the sea and the
#: border. A layer reprojected to RD New outside it is in the wrong CRS or has swapped axes.
NL_BOUNDS_RD: tuple[float, float, float, float] = (-50_000.0, 250_000.0, 350_000.0, 700_000.0)

SQM_PER_HA = 10_000.0
#: Boundary versions are stored on this grid (metres): CBS coordinates are millimetres.
STORAGE_GRID_M = 0.001
#: Overlaps and gaps up to this many hectares are slivers (warnings, not errors).
DEFAULT_TOLERANCE_HA = 0.01
#: Generalisation differences between a version's units and the gemeente outline it is checked
#: against, up to this distance (m), are tolerated. A version's own outline is the union of the
#: CBS buurten it was built from, so 1 m (coordinates are kept to the mm) suffices; checking
#: against another CBS product (e.g. the buurten of another year) needs more, stated with
#: ``wijkatlas validate --outline-tolerance-m``.
DEFAULT_OUTLINE_TOLERANCE_M = 1.0

#: Status of a published figure, with the Dutch label users read (legend, tooltip, exports).
#: ``observed``   a value (possibly interpolated)
#: ``partial``    some contributing CBS source was withheld: the value is the observed part
#: ``suppressed`` every contributing CBS source was withheld by CBS ("geheim")
#: ``missing``    no data
#: ``too_few``    survey: fewer valid answers than the minimum, no figure
#: ``small``      records: a count (or the numerator of a rate) of 1..threshold-1 ("< 5")
#: ``withheld``   records: withheld because subtracting it from another published figure would
#:                reveal a small count (secondary suppression); ``reason`` says why
STATUS_LABELS: dict[str, str] = {
    "observed": "waargenomen",
    "partial": "gedeeltelijk geheim",
    "suppressed": "geheim",
    "missing": "geen gegevens",
    "too_few": "te weinig respons",
    "small": "< 5",
    "withheld": "afgeschermd",
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
#: Statuses a cell of a source table can have (CBS Kerncijfers, any values table).
CELL_STATUSES: tuple[str, ...] = ("observed", "suppressed", "missing")
#: Statuses a reaggregated CBS figure can have (in this order: the reaggregation's codes).
REAGGREGATED_STATUSES: tuple[str, ...] = ("observed", "partial", "suppressed", "missing")
#: Statuses whose value is published and may be classified on a map.
VALUE_STATUSES: tuple[str, ...] = ("observed", "partial")

#: The long result table (``results`` in the atlas), shared by every source (CBS, survey,
#: records) and level. Columns a source does not fill stay empty (NaN / "").
#: ``source``       cbs | survey | records
#: ``level``        wijk (the units of the version) or a higher level (kern, wijkteam, gemeente)
#: ``n``            survey: unweighted respondents with a valid answer
#: ``significance`` survey: change since the previous edition, in Dutch
#:                  ("significant gestegen", "significant gedaald",
#:                  "geen significante verandering")
#: ``reason``       why a figure is not published (e.g. ``primary``, ``secondary``)
#: ``numerator``    shares, means, medians, densities: what was divided (persons with the
#:                  characteristic; sum of value x weight; the count of a density)
#: ``denominator``  its denominator or weight (for densities the area in km2), so that
#:                  value = numerator / denominator (x ``per`` of the indicator); empty for
#:                  counts and where no value is published. Levels and exports aggregate these.
RESULT_COLUMNS: tuple[str, ...] = (
    "version", "level", "unit_code", "unit_name", "year", "variable", "value", "lower",
    "upper", "status", "interpolated_share", "method", "approximate", "source", "n",
    "significance", "reason", "numerator", "denominator",
)

__all__ = [
    "CELL_STATUSES", "CRS", "DEFAULT_OUTLINE_TOLERANCE_M", "DEFAULT_TOLERANCE_HA", "NL_BOUNDS_RD",
    "REAGGREGATED_STATUSES", "RESULT_COLUMNS", "SQM_PER_HA", "STATUSES", "STORAGE_GRID_M",
    "STATUS_LABELS", "VALUE_STATUSES", "WEB_CRS",
]
