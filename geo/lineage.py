"""How the units of one version relate to those of another: lineage and diff.

Both come from one overlay of the two versions (:func:`geo.overlay.overlay_areas`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.overlay import overlay_areas

SQM_PER_HA = 10_000.0
#: A unit is unchanged when less than this area (ha), or 0.1 % of it, changed hands.
DEFAULT_TOLERANCE_HA = 0.01


def _overlap_table(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    pairs = overlay_areas(np.asarray(new.geometry.values), np.asarray(old.geometry.values))
    return pd.DataFrame({
        "new": new["code"].to_numpy()[pairs["source_index"]],
        "old": old["code"].to_numpy()[pairs["target_index"]],
        "ha": pairs["area"].to_numpy() / SQM_PER_HA,
    })


def diff_units(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_ha: float = DEFAULT_TOLERANCE_HA
) -> pd.DataFrame:
    """Compare two versions unit by unit.

    Parameters
    ----------
    old, new
        Units (``code``, ``name``, ``geometry``) of the parent and the new version, EPSG:28992.
    tolerance_ha
        Changes below this area (or 0.1 % of the unit) count as slivers, not changes.

    Returns
    -------
    DataFrame with per unit ``code``, ``name``, ``change`` (``unchanged``, ``reshaped``,
    ``split``, ``merged``, ``renamed``, ``new``, and ``removed`` for old units that are gone),
    ``parents`` (list of old codes the unit's area came from), ``area_old_ha``,
    ``area_new_ha``, ``area_gained_ha``, ``area_lost_ha`` and ``area_moved_ha``
    (gained + lost).
    """
    table = _overlap_table(old, new)
    area_old = dict(zip(old["code"], shapely.area(old.geometry.values) / SQM_PER_HA, strict=True))
    area_new = dict(zip(new["code"], shapely.area(new.geometry.values) / SQM_PER_HA, strict=True))
    same = table[table["new"] == table["old"]].set_index("new")["ha"]
    new_codes = set(new["code"])
    rows = []
    for code, name in zip(new["code"], new["name"], strict=True):
        a_new = area_new[code]
        tol = max(tolerance_ha, 0.001 * a_new)
        sources = table[(table["new"] == code) & (table["ha"] > tol)]
        if code in area_old:
            kept = float(same.get(code, 0.0))
            gained, lost = a_new - kept, area_old[code] - kept
            change = "unchanged" if gained + lost <= tol else "reshaped"
            parents = [code] + sorted(set(sources["old"]) - {code}) if change == "reshaped" \
                else [code]
            a_old = area_old[code]
        else:
            gained, lost, a_old = a_new, 0.0, float("nan")
            parents = sorted(sources["old"])
            continuing = [p for p in parents if p in new_codes]
            if not parents:
                change = "new"
            elif continuing:
                change = "split"
            elif len(parents) == 1:
                change = "renamed"
            else:
                change = "merged"
        rows.append({"code": code, "name": name, "change": change, "parents": parents,
                     "area_old_ha": a_old, "area_new_ha": a_new, "area_gained_ha": gained,
                     "area_lost_ha": lost, "area_moved_ha": gained + lost})
    for code, name in zip(old["code"], old["name"], strict=True):
        if code in new_codes:
            continue
        heirs = sorted(table[(table["old"] == code) & (table["ha"] > tolerance_ha)]["new"])
        rows.append({"code": code, "name": name, "change": "removed", "parents": heirs,
                     "area_old_ha": area_old[code], "area_new_ha": 0.0, "area_gained_ha": 0.0,
                     "area_lost_ha": area_old[code], "area_moved_ha": area_old[code]})
    return pd.DataFrame(rows)


def lineage_of(diff: pd.DataFrame) -> pd.DataFrame:
    """Per new unit its lineage (``split_from`` etc.) and parent codes, from a diff."""
    rows = diff[diff["change"] != "removed"]
    suffix = {"split": "split_from", "merged": "merged_from", "renamed": "renamed_from"}
    return pd.DataFrame({
        "code": rows["code"],
        "lineage": rows["change"].map(lambda c: suffix.get(c, c)),
        "parents": rows["parents"],
    }).reset_index(drop=True)


def changed_areas(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_ha: float = DEFAULT_TOLERANCE_HA
) -> gpd.GeoDataFrame:
    """The pieces of land that moved from one unit to another, as a polygon layer.

    Columns ``from_code``, ``from_name``, ``to_code``, ``to_name``, ``area_ha``.
    """
    pairs = overlay_areas(np.asarray(new.geometry.values), np.asarray(old.geometry.values))
    to_code = new["code"].to_numpy()[pairs["source_index"]]
    from_code = old["code"].to_numpy()[pairs["target_index"]]
    moved = (to_code != from_code) & (pairs["area"].to_numpy() / SQM_PER_HA > tolerance_ha)
    src = pairs["source_index"].to_numpy()[moved]
    tgt = pairs["target_index"].to_numpy()[moved]
    geoms = shapely.intersection(np.asarray(new.geometry.values)[src],
                                 np.asarray(old.geometry.values)[tgt])
    return gpd.GeoDataFrame({
        "from_code": from_code[moved], "from_name": old["name"].to_numpy()[tgt],
        "to_code": to_code[moved], "to_name": new["name"].to_numpy()[src],
        "area_ha": shapely.area(geoms) / SQM_PER_HA,
    }, geometry=geoms, crs=new.crs)
