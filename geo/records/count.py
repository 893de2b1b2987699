"""Counting placed records per unit and year, rates, and disclosure control.

What enters: a :class:`~geo.records.locate.Placement` (records with fragments in the units of
one or more boundary versions), the source's indicators and disclosure rule, optional higher
levels (kern, wijkteam: unions of the wijken of a version) and the reaggregated population
per unit and year. What leaves: result rows in the shared layout (``geo.units.RESULT_COLUMNS``)
in which every small count and everything that would reveal one by subtraction is withheld
(value empty, status ``small`` / ``withheld``, reason ``primary`` / ``secondary``).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.disclosure import protect_labels
from geo.records.locate import Placement
from geo.records.source import RecordIndicator, RecordSource

#: The level of the units of a version itself.
WIJK = "wijk"
#: Population variable whose size decides whether a unit gets rates.
POPULATION = "AANT_INW"

__all__ = ["POPULATION", "WIJK", "count_records", "level_populations"]


def _partitions(targets: Mapping[str, gpd.GeoDataFrame],
                levels: Mapping[tuple[str, str], Mapping[str, str]],
                ) -> list[tuple[str, str, np.ndarray, list[str]]]:
    """Per (version, level): the level code of every unit of the version (by unit index;
    ``""`` for a unit outside the level) and all codes of the level."""
    out = []
    for vid, units in targets.items():
        codes = units["code"].astype(str).to_numpy()
        out.append((str(vid), WIJK, codes, list(codes)))
        for (lv_version, level), mapping in levels.items():
            if str(lv_version) != str(vid):
                continue
            mapped = np.array([str(mapping.get(c, "")) for c in codes], dtype=object)
            out.append((str(vid), level, mapped, sorted({m for m in mapped if m})))
    return out


def level_populations(populations: pd.DataFrame,
                      targets: Mapping[str, gpd.GeoDataFrame],
                      levels: Mapping[tuple[str, str], Mapping[str, str]]) -> pd.DataFrame:
    """Counts (inhabitants, households, dwellings) of the wijken summed to each level: a
    level unit gets a value only when all its wijken have an observed one."""
    pop = populations.copy()
    pop["version"] = pop["version"].astype(str)
    if "level" not in pop:
        pop["level"] = WIJK
    wijk = pop[pop["level"] == WIJK]
    frames = [wijk]
    for (vid, level), mapping in levels.items():
        sub = wijk[wijk["version"] == str(vid)].copy()
        sub["unit_code"] = sub["unit_code"].astype(str).map(lambda c, m=mapping: m.get(c, ""))
        sub = sub[sub["unit_code"] != ""]
        sub["ok"] = sub["status"] == "observed"
        agg = sub.groupby(["unit_code", "year", "variable"]).agg(
            value=("value", "sum"), ok=("ok", "all")).reset_index()
        agg["value"] = agg["value"].where(agg["ok"])
        agg["status"] = np.where(agg["ok"], "observed", "partial")
        agg["version"], agg["level"] = str(vid), level
        frames.append(agg.drop(columns="ok"))
    return pd.concat(frames, ignore_index=True)


def count_records(
    placement: Placement,
    source: RecordSource,
    targets: Mapping[str, gpd.GeoDataFrame],
    *,
    levels: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    gemeente: tuple[str, str] | None = ("gemeente", "Gemeente"),
    level_names: Mapping[str, str] | None = None,
    populations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count the records of every indicator per unit and year on every version and level,
    with rates, and apply disclosure control over all of them together.

    Parameters
    ----------
    placement
        From :func:`geo.records.locate.locate_records` with the same ``targets``.
    source
        The record source (indicators, disclosure rule).
    targets
        Per version id its units (``code``, ``name``).
    levels
        ``{(version, level): {wijk code: level unit code}}``: higher levels of a version as
        unions of its wijken (kernen, wijkteams). Published and protected together with the
        wijken.
    gemeente
        ``(code, name)`` of the whole area as one more level (``gemeente``) on every version;
        ``None`` for none.
    level_names
        Names of level unit codes.
    populations
        Long table ``version, [level,] unit_code, year, variable, value, status`` holding the
        rates' denominators (e.g. the CBS results of the atlas). Without it rates are
        ``missing``.

    Returns
    -------
    DataFrame
        ``version, level, unit_code, unit_name, year, variable, value, status, reason,
        method, source, approximate``. Published values only: where ``status`` is ``small``
        or ``withheld`` the value is empty.

    Notes
    -----
    A count is :math:`\\sum_r w_r` over the record fragments in the unit (weights 1 for points
    and addresses, the address share for split postcodes) or, with a value column,
    :math:`\\sum_r w_r v_r`. A rate is :math:`\\text{count} / D \\times \\text{per}` with
    :math:`D` the reaggregated denominator (inhabitants, households, dwellings) of the same
    unit and year. Disclosure (:func:`geo.disclosure.protect`) runs per year over every
    (indicator, version, level) at once, so no subtraction across versions, levels or
    indicators reveals a small count; a rate follows its count's status, and a unit with
    fewer than ``min_population`` inhabitants gets no rate (``withheld``, reason
    ``min_population``).
    """
    levels = dict(levels or {})
    if gemeente is not None:
        for vid, units in targets.items():
            levels.setdefault((str(vid), "gemeente"),
                              {str(c): gemeente[0] for c in units["code"]})
    names: dict[tuple[str, str], str] = {}
    for vid, units in targets.items():
        names.update({(str(vid), str(c)): str(n) for c, n in zip(
            units["code"], units["name"].astype("string").fillna(""), strict=True)})
    level_names = {**({gemeente[0]: gemeente[1]} if gemeente else {}), **(level_names or {})}
    parts = _partitions(targets, levels)
    versions = placement.versions
    counts = source.counts
    rec = placement.records
    frag = placement.fragments
    r = frag["rec"].to_numpy(dtype=np.int64)
    atoms = pd.DataFrame({"year": rec["year"].to_numpy(dtype=float, na_value=np.nan)[r]})
    cls = np.zeros(len(frag), dtype=np.int64)
    for i, ind in enumerate(counts):
        cls |= rec[f"in_{ind.code}"].to_numpy(dtype=bool)[r].astype(np.int64) << i
    atoms["cls"] = cls
    for vid in versions:
        atoms[f"u_{vid}"] = frag[f"u_{vid}"].to_numpy(dtype=np.int64)
    w = frag["weight"].to_numpy(dtype=float)
    atoms["n"] = w
    # Records split over units by their addresses (a postcode spanning units, an unknown
    # house number): the part of a count they make up is reported as interpolated_share.
    atoms["split"] = np.where(w < 1.0, w, 0.0)
    for ind in counts:
        if ind.value:
            atoms[f"v_{ind.code}"] = w * rec[f"value_{ind.code}"].to_numpy(dtype=float)[r]
    atoms = atoms[atoms["cls"] != 0]
    keys = ["year", "cls", *[f"u_{v}" for v in versions]]
    atoms = atoms.groupby(keys, sort=False).sum().reset_index()
    years = sorted(int(y) for y in pd.unique(rec["year"].dropna()))
    method = f"records:{source.location.method}"

    # per partition: the level cell of every unit of its version (-1 outside the level)
    level_of_unit = []
    for vid, level, mapped, all_codes in parts:
        index = pd.Index(all_codes)
        level_of_unit.append((vid, level, index.get_indexer(mapped.astype(object)),
                              np.asarray(all_codes, dtype=object)))
    rows = []
    for year in years:
        a = atoms[atoms["year"] == year]
        bits = a["cls"].to_numpy(dtype=np.int64)
        keys: list[tuple[RecordIndicator, str, str, np.ndarray]] = []
        labels = np.full((len(a), len(counts) * len(parts)), -1, dtype=np.int64)
        j = 0
        for i, ind in enumerate(counts):
            member = (bits >> i) & 1 == 1
            for vid, level, lookup, all_codes in level_of_unit:
                u = a[f"u_{vid}"].to_numpy(dtype=np.int64)
                ok = member & (u >= 0)
                labels[ok, j] = lookup[u[ok]] if len(lookup) else -1
                keys.append((ind, vid, level, all_codes))
                j += 1
        n = a["n"].to_numpy(dtype=float)
        cell_n, primary, secondary = protect_labels(labels, [len(k[3]) for k in keys], n,
                                                    source.rule)
        split = a["split"].to_numpy(dtype=float)
        for j, (ind, vid, level, all_codes) in enumerate(keys):
            value = cell_n[j]
            lab = labels[:, j]
            inside = lab >= 0
            part = np.bincount(lab[inside], weights=split[inside], minlength=len(all_codes))
            share = np.divide(part, cell_n[j], out=np.zeros(len(all_codes)),
                              where=cell_n[j] > 0)
            if ind.value:
                value = np.bincount(lab[inside], weights=a[f"v_{ind.code}"].to_numpy()[inside],
                                    minlength=len(all_codes))
            status = np.where(primary[j], "small", np.where(secondary[j], "withheld",
                                                            "observed"))
            reason = np.where(primary[j], "primary", np.where(secondary[j], "secondary", ""))
            rows.append(pd.DataFrame({
                "version": vid, "level": level, "unit_code": all_codes, "year": year,
                "variable": ind.code, "value": value, "status": status, "reason": reason,
                "interpolated_share": share}))
    if rows:
        out = pd.concat(rows, ignore_index=True)
    else:
        out = pd.DataFrame(columns=["version", "level", "unit_code", "year", "variable",
                                    "value", "status", "reason", "interpolated_share"])
    out["value"] = out["value"].where(out["status"] == "observed")
    out["interpolated_share"] = out["interpolated_share"].where(out["status"] == "observed")
    out = pd.concat([out, _rates(out, source, targets, levels, populations)],
                    ignore_index=True)
    # names: distinct (version, level, code) once, then mapped back
    key = out[["version", "level", "unit_code"]].astype(str)
    distinct = key.drop_duplicates()
    distinct["unit_name"] = [names.get((v, c), level_names.get(c, c)) if lv == WIJK
                             else level_names.get(c, c) for v, lv, c in distinct.itertuples(
                                 index=False)]
    out["unit_name"] = key.merge(distinct, how="left", on=["version", "level", "unit_code"]
                                 )["unit_name"].to_numpy()
    out["method"] = method
    out["source"] = "records"
    out["approximate"] = 0
    order = ["version", "level", "unit_code", "unit_name", "year", "variable", "value",
             "status", "reason", "interpolated_share", "method", "source", "approximate"]
    return out[order].reset_index(drop=True)


def _rates(counts: pd.DataFrame, source: RecordSource, targets, levels,
           populations: pd.DataFrame | None) -> pd.DataFrame:
    frames = []
    pop = None
    if populations is not None and len(populations):
        pop = level_populations(populations, targets, levels)
        pop = pop[pop["status"] == "observed"]
        pop = pop.set_index(["version", "level", "unit_code", "year", "variable"])["value"]
        pop = pop[~pop.index.duplicated()]
    for ind in source.rates:
        base = counts[counts["variable"] == ind.count].copy()
        base["variable"] = ind.code
        key = list(zip(base["version"].astype(str), base["level"], base["unit_code"],
                       base["year"].astype(int), strict=True))
        if pop is not None:
            den = pop.reindex([(*k, ind.denominator) for k in key]).to_numpy(dtype=float)
            inh = pop.reindex([(*k, POPULATION) for k in key]).to_numpy(dtype=float)
            inh = np.where(np.isnan(inh), den, inh)
        else:
            den = inh = np.full(len(base), np.nan)
        observed = (base["status"] == "observed").to_numpy()
        no_pop = observed & (np.isnan(den) | (den <= 0))
        too_few = observed & ~no_pop & (inh < source.rule.min_population)
        ok = observed & ~no_pop & ~too_few
        with np.errstate(invalid="ignore", divide="ignore"):
            base["value"] = np.where(ok, base["value"].to_numpy(dtype=float) / den * ind.per,
                                     np.nan)
        base["status"] = np.where(no_pop, "missing", np.where(too_few, "withheld",
                                                              base["status"]))
        base["reason"] = np.where(no_pop, "no_population",
                                  np.where(too_few, "min_population", base["reason"]))
        frames.append(base)
    return pd.concat(frames, ignore_index=True) if frames else counts.iloc[0:0]
