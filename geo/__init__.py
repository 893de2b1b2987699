"""wijkatlas engine: versioned wijkindelingen, crosswalks and reaggregation of CBS data.

The public API; the command line (``wijkatlas``, :mod:`geo.cli`) is a thin layer over it.
"""

from geo.atlas import build_atlas
from geo.catalog import Catalog, Indicator, load_catalog
from geo.crosswalk import build_crosswalk, raster_points
from geo.disclosure import DisclosureRule, protect
from geo.errors import WijkatlasError, WijkatlasNotice
from geo.fetch import fetch_cbs, init_atlas
from geo.kerncijfers import check_codes, read_statline, read_values
from geo.kinds import KINDS, Kind
from geo.lineage import changed_areas, diff_units
from geo.pipeline import reaggregate_files, reaggregate_layers
from geo.reaggregate import CrosswalkMatrix, reaggregate
from geo.records import (
    count_records,
    load_record_source,
    locate_records,
    read_records,
    records_results,
)
from geo.register import (
    draft_version,
    import_units,
    list_versions,
    load_version,
    publish_version,
    reassign_buurten,
    validate_version,
)
from geo.series import harmonise, trend_table
from geo.sources import load_cbs_buurten, read_units
from geo.survey import (
    load_questionnaire,
    population_from_counts,
    read_population,
    read_respondents,
    survey_editions,
    survey_results,
)
from geo.validate import repair_geometries, validate_units

__version__ = "0.1.0"

__all__ = [
    "KINDS", "Catalog", "CrosswalkMatrix", "DisclosureRule", "Indicator", "Kind",
    "WijkatlasError", "WijkatlasNotice", "build_atlas", "count_records", "load_record_source",
    "locate_records", "protect", "read_records", "reaggregate_files", "reaggregate_layers",
    "records_results",
    "build_crosswalk", "changed_areas", "check_codes", "diff_units", "draft_version",
    "fetch_cbs", "harmonise", "import_units", "init_atlas", "list_versions",
    "load_cbs_buurten", "load_catalog", "load_questionnaire", "load_version",
    "population_from_counts", "publish_version", "raster_points", "read_population",
    "read_respondents", "read_statline", "read_units", "read_values", "reaggregate",
    "reassign_buurten", "repair_geometries", "survey_editions", "survey_results",
    "trend_table", "validate_units", "validate_version",
]
