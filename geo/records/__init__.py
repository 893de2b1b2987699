"""Partner registers (police, Wmo, GGD, work locations) counted per unit of any version.

What enters: a record source (TOML, :mod:`geo.records.source`), its record files (CSV, Excel
or a point layer: one row per registration, client or work location, with a date and a
location), the units of one or more boundary versions, the address points (for postcodes,
addresses and BAG ids) and the reaggregated population (for rates). What leaves: result rows
in the shared layout with disclosure control applied (:mod:`geo.disclosure`), and the report
of where every record went (placed, or unplaced with its reason; the counts add up).

Stages: :func:`read_records` -> :func:`locate_records` -> :func:`count_records`;
:func:`records_results` runs them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import WijkatlasError
from geo.records.count import count_records, level_populations
from geo.records.locate import REASONS, Placement, address_units, locate_records, point_units
from geo.records.read import prepare_records, read_record_file, read_records
from geo.records.source import RecordIndicator, RecordSource, load_record_source

__all__ = [
    "REASONS", "Placement", "RecordIndicator", "RecordSource", "address_units",
    "count_records", "level_populations", "load_record_source", "locate_records",
    "point_units", "prepare_records", "read_record_file", "read_records", "records_results",
]


def records_results(
    source: RecordSource,
    targets: Mapping[str, gpd.GeoDataFrame],
    *,
    files: Sequence[str | Path] | None = None,
    addresses: gpd.GeoDataFrame | None = None,
    populations: pd.DataFrame | None = None,
    levels: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    gemeente: tuple[str, str] | None = ("gemeente", "Gemeente"),
    apportion: bool | None = None,
    level_names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, Placement]:
    """Read, locate and count the records of one source on every target version.

    Returns the protected result rows (see :func:`count_records`) and the placement (its
    :meth:`~Placement.report` and :meth:`~Placement.unplaced` say where every record went).

    Raises
    ------
    WijkatlasError
        Bad input (see the stages), or records that do not add up (a bug).
    """
    records = read_records(source, files)
    placement = locate_records(records, source, targets, addresses, apportion=apportion)
    report = placement.report()
    if not report["balanced"].all():  # pragma: no cover - guards the invariant
        row = report[~report["balanced"]].iloc[0]
        raise WijkatlasError(f"records do not add up in {row['year']} on {row['version']}.",
                             file=source.path, fix="report this as a bug in wijkatlas.")
    results = count_records(placement, source, targets, levels=levels, gemeente=gemeente,
                            populations=populations, level_names=level_names)
    return results, placement
