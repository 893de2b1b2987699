"""How the units of one version relate to those of another: lineage, diff and its wording.

Everything comes from one overlay of the two versions (:func:`geo.overlay.overlay_areas`):
the area of every (old unit, new unit) piece. From it:

* **identity**: an old unit continues as the new unit with the same code, or, when its code is
  gone, as the one new unit that took most of its land and whose land came mostly from it (a
  code change, e.g. W14 -> W20); every other old unit whose code is gone was removed (split
  up or merged into others);
* **moves**: a piece of land moved when the unit it lies in now is not the continuation of the
  unit it lay in before; per unit the diff lists from where it received land and to where it
  gave land, with hectares;
* **change** per unit: ``unchanged``, ``renamed`` (same land, new name or new code),
  ``reshaped`` (land moved in or out), ``merged`` (it took all or most of one or more removed
  units), ``split`` (a new unit carved out of others), ``new`` (land that was in no unit) and
  ``removed``.

:func:`diff_units` gives it as data, :func:`diff_text` as lines for the command line (English)
and :func:`lineage_text` as the sentence per unit the atlas and the boundary map show (Dutch).
The register stores the short form (:func:`lineage_of`), the changes layer the moved pieces
(:func:`changed_areas`): all from the same analysis, so they cannot disagree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.overlay import overlay_areas
from geo.units import DEFAULT_TOLERANCE_HA, SQM_PER_HA

__all__ = ["changed_areas", "diff_text", "diff_units", "lineage_of", "lineage_text"]

#: A removed unit counts as merged into a unit that took at least this share of its land.
MERGE_SHARE = 0.5


def _pairs(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.DataFrame:
    pairs = overlay_areas(np.asarray(new.geometry.values), np.asarray(old.geometry.values))
    return pd.DataFrame({
        "new_i": pairs["source_index"].to_numpy(), "old_i": pairs["target_index"].to_numpy(),
        "new": new["code"].astype(str).to_numpy()[pairs["source_index"]],
        "old": old["code"].astype(str).to_numpy()[pairs["target_index"]],
        "ha": pairs["area"].to_numpy() / SQM_PER_HA,
    })


def _analyse(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_ha: float):
    """Overlap pieces above the tolerance, areas, and the identity of each old unit."""
    table = _pairs(old, new)
    area_old = dict(zip(old["code"].astype(str), shapely.area(old.geometry.values) / SQM_PER_HA,
                        strict=True))
    area_new = dict(zip(new["code"].astype(str), shapely.area(new.geometry.values) / SQM_PER_HA,
                        strict=True))
    # A piece counts when it exceeds the tolerance and 0.1 % of both units it belongs to.
    floor = np.maximum(tolerance_ha, 0.001 * np.minimum(table["old"].map(area_old),
                                                        table["new"].map(area_new)))
    sig = table[table["ha"] > floor].reset_index(drop=True)
    old_codes, new_codes = set(area_old), set(area_new)
    ident = {c: c for c in old_codes & new_codes}
    gone = old_codes - new_codes
    fresh = new_codes - old_codes
    share_of_old = sig["ha"] / sig["old"].map(area_old)
    share_of_new = sig["ha"] / sig["new"].map(area_new)
    # Removed units taken mostly by one fresh unit: a merge when that unit took two or more.
    mostly = sig[sig["old"].isin(gone) & sig["new"].isin(fresh) & (share_of_old >= MERGE_SHARE)]
    takers = mostly.groupby("new")["old"].nunique()
    claimed: set[str] = set()
    for row in mostly.sort_values("ha", ascending=False).itertuples(index=False):
        if takers[row.new] > 1 or row.new in claimed or row.old in ident:
            continue
        fresh_takers = sig[(sig["old"] == row.old) & sig["new"].isin(fresh)]
        main = share_of_new[(sig["old"] == row.old) & (sig["new"] == row.new)].iloc[0]
        if len(fresh_takers) == 1 and main >= MERGE_SHARE:
            ident[row.old] = row.new  # a code change (possibly reshaped as well)
            claimed.add(row.new)
    return sig, area_old, area_new, ident


def diff_units(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_ha: float = DEFAULT_TOLERANCE_HA
) -> pd.DataFrame:
    """Compare two versions unit by unit.

    Parameters
    ----------
    old, new
        Units (``code``, ``name``, ``geometry``) of the parent and the new version, EPSG:28992.
    tolerance_ha
        Pieces below this area (or 0.1 % of the units they belong to) are slivers, not moves.

    Returns
    -------
    DataFrame with per new unit, then per removed old unit: ``code``, ``name``, ``change``
    (``unchanged``, ``renamed``, ``reshaped``, ``merged``, ``split``, ``new``, ``removed``),
    ``parents`` (old codes the unit's land came from, its own predecessor first),
    ``old_code`` and ``old_name`` (the predecessor, when the unit continues one), ``recoded``
    and ``renamed`` (code or name differ from the predecessor), ``received`` and ``gave``
    (lists of ``[code, name, ha]``: land received from old units and, for a continuing or
    removed unit, land given to new units), ``area_old_ha``, ``area_new_ha``,
    ``area_gained_ha``, ``area_lost_ha`` and ``area_moved_ha`` (gained + lost).

    Notes
    -----
    With :math:`A_{ij}` the area of old unit :math:`i` inside new unit :math:`j` and
    :math:`c(i)` the continuation of :math:`i` (same code, or the one fresh code that took
    at least half of it and got at least half its land from it), land moved from :math:`i` to
    :math:`j` iff :math:`c(i) \\neq j`; unit :math:`j` gained
    :math:`\\sum_{i: c(i) \\neq j} A_{ij}` and its predecessor :math:`p` lost
    :math:`\\sum_{j \\neq c(p)} A_{pj}`.
    """
    sig, area_old, area_new, ident = _analyse(old, new, tolerance_ha)
    old_name = dict(zip(old["code"].astype(str), old["name"].astype(str), strict=True))
    new_name = dict(zip(new["code"].astype(str), new["name"].astype(str), strict=True))
    pred_of = {v: k for k, v in ident.items()}
    gone = {c for c in area_old if c not in ident}
    rows = []
    for code in new["code"].astype(str):
        into = sig[sig["new"] == code]
        received = [[o, old_name[o], float(h)] for o, h in
                    into[into["old"].map(ident) != code].sort_values("ha", ascending=False)
                    [["old", "ha"]].itertuples(index=False)]
        pred = pred_of.get(code)
        gave = []
        if pred is not None:
            out = sig[(sig["old"] == pred) & (sig["new"] != code)]
            gave = [[n, new_name[n], float(h)] for n, h in
                    out.sort_values("ha", ascending=False)[["new", "ha"]]
                    .itertuples(index=False)]
        gained = sum(r[2] for r in received)
        lost = sum(g[2] for g in gave)
        absorbed = [r[0] for r in received
                    if r[0] in gone and r[2] >= MERGE_SHARE * area_old[r[0]]]
        sources = [r[0] for r in received]
        if pred is not None:
            if absorbed:
                change = "merged"
            elif gained + lost > 0:
                change = "reshaped"
            elif pred != code or old_name[pred] != new_name[code]:
                change = "renamed"
            else:
                change = "unchanged"
            parents = [pred] + [s for s in sources if s != pred]
        else:
            parents = sources
            if not sources:
                change = "new"
            elif len(absorbed) >= 2:
                change = "merged"
            else:
                change = "split"
        rows.append({
            "code": code, "name": new_name[code], "change": change, "parents": parents,
            "old_code": pred or "", "old_name": old_name.get(pred, "") if pred else "",
            "recoded": bool(pred is not None and pred != code),
            "renamed": bool(pred is not None and old_name[pred] != new_name[code]),
            "received": received, "gave": gave,
            "area_old_ha": area_old[pred] if pred is not None else float("nan"),
            "area_new_ha": area_new[code],
            "area_gained_ha": gained if pred is not None else area_new[code],
            "area_lost_ha": lost,
            "area_moved_ha": (gained if pred is not None else area_new[code]) + lost,
        })
    for code in old["code"].astype(str):
        if code in ident:
            continue
        out = sig[sig["old"] == code].sort_values("ha", ascending=False)
        gave = [[n, new_name[n], float(h)] for n, h in out[["new", "ha"]].itertuples(index=False)]
        rows.append({
            "code": code, "name": old_name[code], "change": "removed",
            "parents": [g[0] for g in gave], "old_code": code, "old_name": old_name[code],
            "recoded": False, "renamed": False, "received": [], "gave": gave,
            "area_old_ha": area_old[code], "area_new_ha": 0.0, "area_gained_ha": 0.0,
            "area_lost_ha": area_old[code], "area_moved_ha": area_old[code],
        })
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


def _ha(value: float, comma: bool = False) -> str:
    text = f"{value:,.1f}"
    if comma:
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text + " ha"


def _who(code: str, name: str) -> str:
    return f"{code} {name}"


def describe(row, *, dutch: bool = False) -> str:
    """One sentence for one row of :func:`diff_units`: what happened to the unit, from where
    to where land moved and how much (English, or Dutch with ``dutch=True``)."""
    nl = dutch
    was = []
    if row["recoded"]:
        was.append(f"code changed from {row['old_code']}" if not nl else
                   f"code gewijzigd, was {row['old_code']}")
    if row["renamed"]:
        was.append(f"renamed from \"{row['old_name']}\"" if not nl else
                   f"hernoemd, was \"{row['old_name']}\"")
    received = [f"{_ha(h, nl)} {'uit' if nl else 'from'} {_who(c, n)}"
                for c, n, h in row["received"]]
    gave = [f"{_ha(h, nl)} {'naar' if nl else 'to'} {_who(c, n)}" for c, n, h in row["gave"]]
    change = row["change"]
    if change == "unchanged":
        return "ongewijzigd" if nl else "unchanged"
    if change == "renamed":
        head = ", ".join(was)
        return head + ("; zelfde gebied" if nl else "; same area, no land moved")
    if change == "removed":
        takers = [g[0] for g in row["gave"]]
        if nl:
            how = "opgeheven"
            if len(takers) == 1:
                how += f", opgegaan in {_who(*row['gave'][0][:2])}"
            elif takers:
                how += ", verdeeld over " + ", ".join(_who(c, n) for c, n, _ in row["gave"])
            return how + (": " + "; ".join(gave) if gave else "")
        how = "removed"
        if len(takers) == 1:
            how += f", merged into {_who(*row['gave'][0][:2])}"
        elif takers:
            how += ", split up among " + ", ".join(_who(c, n) for c, n, _ in row["gave"])
        return how + (": gave " + "; ".join(gave) if gave else "")
    if change == "new":
        return "nieuw (land dat in geen wijk lag)" if nl else "new (land that was in no unit)"
    if change == "split":
        names = ", ".join(_who(c, n) for c, n, _ in row["received"])
        if nl:
            return f"afgesplitst van {names}: kreeg " + "; ".join(received)
        return f"new, split from {names}: received " + "; ".join(received)
    if change == "merged" and not row["old_code"]:
        names = " en ".join(_who(c, n) for c, n, _ in row["received"]) if nl else \
            " and ".join(_who(c, n) for c, n, _ in row["received"])
        if nl:
            return f"samengevoegd uit {names}: kreeg " + "; ".join(received)
        return f"new, merged from {names}: received " + "; ".join(received)
    parts = []
    if change == "merged":
        absorbed = [r for r in row["received"] if r[0] not in {row["old_code"]}]
        parts.append(("samengevoegd met " if nl else "merged with ")
                     + ", ".join(_who(c, n) for c, n, _ in absorbed))
    else:
        parts.append("grens gewijzigd" if nl else "boundary changed")
    parts += was
    text = ", ".join(parts)
    moves = []
    if received:
        moves.append(("kreeg " if nl else "received ") + "; ".join(received))
    if gave:
        moves.append(("gaf " if nl else "gave ") + "; ".join(gave))
    return text + (": " + "; ".join(moves) if moves else "")


def lineage_text(diff: pd.DataFrame) -> dict[str, str]:
    """Per unit code of the new version the Dutch sentence the maps and the atlas show."""
    rows = diff[diff["change"] != "removed"]
    return {row["code"]: describe(row, dutch=True) for _, row in rows.iterrows()}


def diff_text(diff: pd.DataFrame, old_label: str, new_label: str) -> list[str]:
    """The diff as lines a GIS officer can read aloud: a header, one line per unit that
    changed (removed units last), and a summary.

    Parameters
    ----------
    diff
        Output of :func:`diff_units`.
    old_label, new_label
        How to name the two sides (version ids or file names).
    """
    n_new = int((diff["change"] != "removed").sum())
    n_old = int(diff["old_code"].astype(bool).sum())
    head = [f"Changes from {old_label} ({n_old} units) to {new_label} ({n_new} units), "
            "per unit of " + new_label + ":"]
    order = {"removed": 2}
    changed = diff[diff["change"] != "unchanged"]
    changed = changed.iloc[np.argsort(changed["change"].map(order).fillna(1).to_numpy(),
                                      kind="stable")]
    width = max([len(str(c)) for c in diff["code"]] + [4])
    body = [f"  {row['code']:<{width}} {row['name']}: {describe(row)}"
            for _, row in changed.iterrows()]
    if not body:
        body = ["  no unit changed"]
    counts = diff["change"].value_counts()
    kinds = ["unchanged", "renamed", "reshaped", "split", "merged", "new", "removed"]
    moved = float(diff.loc[diff["change"] != "removed", "area_gained_ha"].sum())
    summary = ", ".join(f"{int(counts[k])} {k}" for k in kinds if k in counts)
    return head + body + [f"Summary: {summary}; {moved:,.1f} ha of land changed unit."]


def changed_areas(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, tolerance_ha: float = DEFAULT_TOLERANCE_HA
) -> gpd.GeoDataFrame:
    """The pieces of land that moved from one unit to another, as a polygon layer.

    Columns ``from_code``, ``from_name``, ``to_code``, ``to_name``, ``area_ha``. A unit that
    only changed its code or name moved no land (see :func:`diff_units`).
    """
    sig, _, _, ident = _analyse(old, new, tolerance_ha)
    moved = sig[sig["old"].map(ident) != sig["new"]]
    src = moved["new_i"].to_numpy()
    tgt = moved["old_i"].to_numpy()
    geoms = shapely.intersection(np.asarray(new.geometry.values)[src],
                                 np.asarray(old.geometry.values)[tgt])
    return gpd.GeoDataFrame({
        "from_code": moved["old"].to_numpy(), "from_name": old["name"].to_numpy()[tgt],
        "to_code": moved["new"].to_numpy(), "to_name": new["name"].to_numpy()[src],
        "area_ha": shapely.area(geoms) / SQM_PER_HA,
    }, geometry=geoms, crs=new.crs)
