"""wijkatlas engine: versioned wijkindelingen, crosswalks and reaggregation of CBS data.

The public API; the command line (``wijkatlas``, :mod:`geo.cli`) is a thin layer over it.
"""

import importlib

__version__ = "0.1.0"

#: Public name -> the module that defines it. Imported on first use (PEP 562), so the
#: command line starts without loading every capability (``wijkatlas --help``, or a
#: reaggregation, need none of the survey, publishing or map code).
_EXPORTS = {
    "build_atlas": "geo.atlas",
    "build_crosswalk": "geo.crosswalk",
    "Catalog": "geo.catalog",
    "changed_areas": "geo.lineage",
    "check_codes": "geo.kerncijfers",
    "count_records": "geo.records",
    "CrosswalkMatrix": "geo.reaggregate",
    "diff_units": "geo.lineage",
    "DisclosureRule": "geo.disclosure",
    "draft_version": "geo.register",
    "fetch_cbs": "geo.fetch",
    "harmonise": "geo.series",
    "import_units": "geo.register",
    "Indicator": "geo.catalog",
    "init_atlas": "geo.fetch",
    "Kind": "geo.kinds",
    "KINDS": "geo.kinds",
    "list_versions": "geo.register",
    "load_catalog": "geo.catalog",
    "load_cbs_buurten": "geo.sources",
    "load_questionnaire": "geo.survey",
    "load_record_source": "geo.records",
    "load_version": "geo.register",
    "locate_records": "geo.records",
    "population_from_counts": "geo.survey",
    "protect": "geo.disclosure",
    "publish_version": "geo.register",
    "raster_points": "geo.crosswalk",
    "read_population": "geo.survey",
    "read_records": "geo.records",
    "read_respondents": "geo.survey",
    "read_statline": "geo.kerncijfers",
    "read_units": "geo.sources",
    "read_values": "geo.kerncijfers",
    "reaggregate": "geo.reaggregate",
    "reaggregate_files": "geo.pipeline",
    "reaggregate_layers": "geo.pipeline",
    "reassign_buurten": "geo.register",
    "records_results": "geo.records",
    "repair_geometries": "geo.validate",
    "survey_editions": "geo.survey",
    "survey_results": "geo.survey",
    "trend_table": "geo.series",
    "validate_units": "geo.validate",
    "validate_version": "geo.register",
    "WijkatlasError": "geo.errors",
    "WijkatlasNotice": "geo.errors",
}

__all__ = [
    "build_atlas", "build_crosswalk", "Catalog", "changed_areas", "check_codes", "count_records",
    "CrosswalkMatrix", "diff_units", "DisclosureRule", "draft_version", "fetch_cbs", "harmonise",
    "import_units", "Indicator", "init_atlas", "Kind", "KINDS", "list_versions", "load_catalog",
    "load_cbs_buurten", "load_questionnaire", "load_record_source", "load_version",
    "locate_records", "population_from_counts", "protect", "publish_version", "raster_points",
    "read_population", "read_records", "read_respondents", "read_statline", "read_units",
    "read_values", "reaggregate", "reaggregate_files", "reaggregate_layers", "reassign_buurten",
    "records_results", "repair_geometries", "survey_editions", "survey_results", "trend_table",
    "validate_units", "validate_version", "WijkatlasError", "WijkatlasNotice",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

