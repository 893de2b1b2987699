"""The partner registers in the atlas: one call from :func:`geo.atlas.build_atlas`.

What enters: the record sources named in ``layers/atlas.toml`` (``records = [...]``), the
units of every version built, the address points and the CBS results (the population of each
unit and year). What leaves: protected result rows (``source = "records"``, levels ``wijk``
and ``gemeente``), the indicator entries of the sources (for the ``indicators`` table and the
trend tables) and the placement report per source (``records_report``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.catalog import Catalog, Indicator
from geo.errors import WijkatlasError
from geo.records import records_results
from geo.records.source import RecordSource, load_record_source

__all__ = ["AtlasRecords", "atlas_records", "record_indicators", "small_labels"]


@dataclass
class AtlasRecords:
    results: pd.DataFrame
    indicators: list[Indicator]
    thresholds: dict[str, float]
    small_labels: dict[str, str]
    report: pd.DataFrame
    sources: list[RecordSource]


def record_indicators(source: RecordSource) -> list[Indicator]:
    """The source's indicators as catalog entries: counts as ``count``, rates as ``ratio``
    of two counts (numerator / denominator x per, :mod:`geo.kinds`)."""
    out = []
    label = source.label + (" (voorbeeldcijfers synthetisch)" if source.synthetic else "")
    for ind in source.indicators:
        out.append(Indicator(
            code=ind.code, label=ind.label, theme=ind.theme, unit=ind.unit,
            kind="count" if ind.kind == "count" else "ratio", source=label,
            denominator=ind.denominator if ind.kind == "rate" else "",
            numerator=ind.count if ind.kind == "rate" else "", per=ind.per,
            decimals=ind.decimals, description=ind.description or _describe(ind, source)))
    return out


def small_labels(source: RecordSource) -> dict[str, str]:
    """What a small figure reads as (tooltip, legend): ``< 5 registraties`` for a count,
    ``niet getoond: < 3 vestigingen`` for a sum of values over fewer than 3 records,
    ``niet getoond: teller < 5`` for a rate."""
    t = source.rule.label
    values = {i.code for i in source.counts if i.value}
    out = {}
    for ind in source.indicators:
        if ind.kind == "rate":
            out[ind.code] = f"niet getoond: teller {t}"
        elif ind.code in values:
            out[ind.code] = f"niet getoond: {t} {source.record_label}"
        else:
            out[ind.code] = f"{t} {ind.unit}"
    return out


def _describe(ind, source: RecordSource) -> str:
    t = source.rule.label
    what = ", ".join(f"{k} = {' of '.join(v)}" for k, v in ind.where.items()) or "alle records"
    if ind.kind == "rate":
        return (f"{ind.count} per {ind.per:,.0f} ({ind.denominator}) van dezelfde wijk en "
                f"hetzelfde jaar; geen cijfer bij teller {t} of minder dan "
                f"{source.rule.min_population:,.0f} inwoners.").replace(",", ".")
    return f"Geteld uit registraties ({what}); aantallen {t} worden niet getoond."


def atlas_records(
    paths: Sequence[Path],
    targets: Mapping[str, gpd.GeoDataFrame],
    *,
    catalog: Catalog,
    addresses: gpd.GeoDataFrame | None,
    populations: pd.DataFrame,
    gemeente: tuple[str, str],
    levels: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    level_names: Mapping[str, str] | None = None,
) -> AtlasRecords:
    """Count every record source on every version, protected together per source.

    ``levels`` (``{(version, level): {wijk code: area code}}``, from ``geo.levels``) adds the
    higher levels of each version (kernen, wijkteams, ...), counted and protected together
    with the wijken; ``level_names`` names their areas."""
    from geo.records.locate import address_units

    sources = [load_record_source(p, catalog=catalog) for p in paths]
    codes: dict[str, Path] = {}
    for src in sources:
        for ind in src.indicators:
            if ind.code in codes:
                raise WijkatlasError(f"indicator code {ind.code} is used by two record "
                                     f"sources ({codes[ind.code].name}).", file=src.path,
                                     unit=ind.code, fix="give each indicator its own code.")
            codes[ind.code] = src.path
    adr = None
    if addresses is not None and any(s.location.method != "xy" for s in sources):
        adr = address_units(addresses, targets)  # placed once for every source
    results, reports, inds, thresholds, small = [], [], [], {}, {}
    for src in sources:
        res, placement = records_results(src, targets, addresses=adr, populations=populations,
                                         gemeente=gemeente, levels=levels,
                                         level_names=level_names)
        results.append(res)
        report = placement.report()
        report.insert(0, "source", src.name)
        reports.append(report)
        inds += record_indicators(src)
        thresholds.update({i.code: src.rule.threshold for i in src.indicators})
        small.update(small_labels(src))
    empty = pd.DataFrame()
    return AtlasRecords(
        results=pd.concat(results, ignore_index=True) if results else empty,
        indicators=inds, thresholds=thresholds, small_labels=small,
        report=pd.concat(reports, ignore_index=True) if reports else empty, sources=sources)
