"""Locating records in the units of boundary versions.

* **Points** are placed by point-in-polygon. For many points a coarse raster of the units
  answers most of them (points in a cell that no boundary touches), and only points near a
  boundary are tested exactly against the polygons.
* **PC6 + huisnummer (+ toevoeging)** and **BAG verblijfsobject ids** are placed at the address
  point of that year (the address existing in the record's year; else in any year).
* **PC6** and **PC4** are split over the units in proportion to that year's address points in
  the postcode; a PC4 spanning more than one unit is refused unless apportioning is asked.

Every record is placed (whole, or split in fragments with weights summing to 1) or listed as
unplaced with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import WijkatlasError
from geo.records.source import RecordSource

#: Use the raster shortcut from this many points on.
RASTER_FROM = 100_000
#: Upper bound on the number of raster cells (memory: 2-4 bytes a cell).
MAX_CELLS = 40_000_000
#: Points tested exactly per chunk (bounds the memory of the shapely points).
CHUNK = 1_000_000

#: Why a record is not placed (the unplaced report uses these words).
REASONS = {
    "no_date": "geen (geldige) datum",
    "no_location": "geen locatie (x/y, postcode of BAG-id leeg)",
    "bad_postcode": "geen geldige postcode",
    "outside_crs": "coordinaten buiten het gebied van het opgegeven CRS",
    "unknown_postcode": "postcode komt niet voor in de adrespunten",
    "unknown_address": "postcode + huisnummer komt niet voor in de adrespunten",
    "unknown_bag_id": "BAG-id komt niet voor in de adrespunten",
    "outside_units": "ligt buiten alle eenheden van de indeling",
}

__all__ = ["REASONS", "Placement", "address_units", "locate_records", "point_units"]


def _exact_units(x: np.ndarray, y: np.ndarray, tree: shapely.STRtree, n_units: int
                 ) -> np.ndarray:
    """Index of the unit each point lies in (or on the boundary of; the first unit in layer
    order wins on a shared boundary), -1 when none."""
    out = np.full(len(x), n_units, dtype=np.int64)
    polygons = tree.geometries
    for start in range(0, len(x), CHUNK):
        xs, ys = x[start:start + CHUNK], y[start:start + CHUNK]
        idx = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
        if len(idx) == 0:
            continue
        # a tree of the points queried with each (prepared) polygon: one prepared polygon
        # tests all points in its box, much faster than one query per point
        points = shapely.STRtree(shapely.points(xs[idx], ys[idx]))
        unit_i, point_i = points.query(polygons, predicate="intersects")
        np.minimum.at(out, start + idx[point_i], unit_i)
        del points
    out[out == n_units] = -1
    return out


def point_units(x: np.ndarray, y: np.ndarray, units: gpd.GeoSeries | np.ndarray) -> np.ndarray:
    """Index (into ``units``) of the polygon each point lies in, -1 outside all of them.

    Parameters
    ----------
    x, y
        Coordinates in the CRS of ``units`` (NaN: no point).
    units
        Non-overlapping polygons.

    Notes
    -----
    From :data:`RASTER_FROM` points on, the units are burnt into a raster whose cell size
    keeps it under :data:`MAX_CELLS` cells; cells crossed by a unit boundary (found by
    burning the boundaries with ``all_touched`` and growing that mask by one cell, so no
    crossed cell is missed) are ambiguous. A point in an unambiguous cell takes the cell's
    unit by integer arithmetic; the others are tested exactly (GEOS ``intersects`` through an
    STR-tree). The result equals the exact test for every point.
    """
    geoms = np.asarray(units.values if hasattr(units, "values") else units, dtype=object)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    tree = shapely.STRtree(geoms)
    if len(x) < RASTER_FROM or len(geoms) == 0:
        return _exact_units(x, y, tree, len(geoms))
    from affine import Affine
    from rasterio.features import rasterize
    from scipy.ndimage import binary_dilation

    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    span = max(xmax - xmin, ymax - ymin, 1.0)
    # about as many cells as points (at most MAX_CELLS): burning costs what it saves
    n_cells = min(MAX_CELLS, 16 * len(x))
    cell = max(np.sqrt((xmax - xmin) * (ymax - ymin) / n_cells), span / 60_000, 1.0)
    width = int(np.ceil((xmax - xmin) / cell)) + 1
    height = int(np.ceil((ymax - ymin) / cell)) + 1
    transform = Affine(cell, 0.0, xmin, 0.0, -cell, ymax)
    dtype = np.int32
    # GeoJSON made by GEOS in one call (rasterio would walk the coordinates in Python)
    polygons = map(json.loads, shapely.to_geojson(geoms))
    burnt = rasterize(zip(polygons, range(1, len(geoms) + 1), strict=True),
                      out_shape=(height, width), transform=transform, fill=0, dtype=dtype)
    lines = map(json.loads, shapely.to_geojson(shapely.boundary(geoms)))
    edges = rasterize(((b, 1) for b in lines), out_shape=(height, width),
                      transform=transform, fill=0, all_touched=True, dtype=np.uint8)
    ambiguous = binary_dilation(edges.astype(bool), iterations=1)
    del edges
    col = np.floor((x - xmin) / cell)
    row = np.floor((ymax - y) / cell)
    inside = (np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < width) & (row >= 0)
              & (row < height))
    out = np.full(len(x), -1, dtype=np.int64)
    ci = col[inside].astype(np.int64)
    ri = row[inside].astype(np.int64)
    pos = np.flatnonzero(inside)
    amb = ambiguous[ri, ci]
    out[pos[~amb]] = burnt[ri[~amb], ci[~amb]].astype(np.int64) - 1
    exact = pos[amb]
    out[exact] = _exact_units(x[exact], y[exact], tree, len(geoms))
    return out


def address_units(addresses: gpd.GeoDataFrame, targets: Mapping[str, gpd.GeoDataFrame]
                  ) -> pd.DataFrame:
    """Address points with their unit index in every target version.

    Returns the address attributes (``postcode``, ``huisnummer``, ``toevoeging``,
    ``bag_id``, ``bouwjaar``, ``woonfunctie`` where present, normalised) and ``u_<version>``
    per version (-1 outside).
    """
    from geo.records.read import _toevoeging, normal_bag_id, normal_postcode, per_distinct

    out = pd.DataFrame(index=np.arange(len(addresses)))
    if "postcode" in addresses:
        out["postcode"] = per_distinct(addresses["postcode"], normal_postcode).to_numpy()
    if "huisnummer" in addresses:
        out["huisnummer"] = pd.to_numeric(addresses["huisnummer"], errors="coerce"
                                          ).astype("Int64").to_numpy()
    out["toevoeging"] = (per_distinct(addresses["toevoeging"], _toevoeging).to_numpy()
                         if "toevoeging" in addresses else "")
    if "bag_id" in addresses:
        out["bag_id"] = per_distinct(addresses["bag_id"], normal_bag_id).to_numpy()
    out["bouwjaar"] = (pd.to_numeric(addresses["bouwjaar"], errors="coerce").fillna(-1e9)
                       .to_numpy() if "bouwjaar" in addresses else -1e9)
    out["woonfunctie"] = (addresses["woonfunctie"].astype(bool).to_numpy()
                          if "woonfunctie" in addresses else True)
    x = shapely.get_x(addresses.geometry.values)
    y = shapely.get_y(addresses.geometry.values)
    for vid, units in targets.items():
        out[f"u_{vid}"] = point_units(x, y, units.geometry)
    return out


@dataclass
class Placement:
    """Where the records went.

    ``fragments``: ``rec`` (row of the records table), ``weight`` (share of the record,
    fragments of one record sum to 1), ``method`` and ``u_<version>`` (unit index, -1 outside
    every unit of that version). ``records``: the prepared records with their final
    ``status`` (``ok`` = placed). ``versions``: the target versions in order.
    """

    records: pd.DataFrame
    fragments: pd.DataFrame
    versions: list[str]

    def unplaced(self) -> pd.DataFrame:
        """One row per record (or part of one) not placed in a version: ``file, row, id,
        year, reason, version, share`` (``version`` empty when no version could place it)."""
        rec = self.records
        cols = ["file", "row", "id", "year"]
        bad = rec[rec["status"] != "ok"]
        rows = [bad[cols].assign(reason=bad["status"].to_numpy(), version="", share=1.0)]
        for vid in self.versions:
            frag = self.fragments[self.fragments[f"u_{vid}"] < 0]
            if frag.empty:
                continue
            share = frag.groupby("rec")["weight"].sum()
            part = rec.loc[share.index, cols]
            rows.append(part.assign(reason="outside_units", version=vid,
                                    share=share.to_numpy()))
        out = pd.concat(rows, ignore_index=True)
        return out.sort_values(["file", "row", "version"], kind="stable", ignore_index=True)

    def report(self) -> pd.DataFrame:
        """Per version and year: ``records`` (input), ``placed``, ``unplaced`` and per reason
        the number of records, with ``balanced`` true when placed + unplaced = records."""
        rec = self.records
        year = rec["year"].astype("Int64").astype("string").fillna("onbekend")
        rows = []
        for vid in self.versions:
            inside = self.fragments[f"u_{vid}"] >= 0
            placed = self.fragments.loc[inside].groupby("rec")["weight"].sum()
            outside = self.fragments.loc[~inside].groupby("rec")["weight"].sum()
            frame = pd.DataFrame({"year": year, "status": rec["status"]})
            frame["placed"] = placed.reindex(rec.index, fill_value=0.0).to_numpy()
            frame["outside_units"] = outside.reindex(rec.index, fill_value=0.0).to_numpy()
            for reason in REASONS:
                if reason != "outside_units":
                    frame[reason] = (frame["status"] == reason).astype(float)
            frame["records"] = 1.0
            agg = frame.drop(columns="status").groupby("year", sort=True).sum()
            agg["unplaced"] = agg[list(REASONS)].sum(axis=1)
            agg["balanced"] = np.isclose(agg["placed"] + agg["unplaced"], agg["records"],
                                         rtol=0, atol=1e-6)
            agg.insert(0, "version", vid)
            rows.append(agg.reset_index())
        out = pd.concat(rows, ignore_index=True)
        order = ["version", "year", "records", "placed", "unplaced", *REASONS, "balanced"]
        return out[order]


def _fragments_from_addresses(matches: pd.DataFrame, versions: list[str], method: str
                              ) -> pd.DataFrame:
    """``matches``: rec + address unit columns, one row per (record, matching address);
    every matching address gets an equal share of the record."""
    k = matches.groupby("rec")["rec"].transform("size").to_numpy()
    frag = matches[["rec", *[f"u_{v}" for v in versions]]].copy()
    frag["weight"] = 1.0 / k
    frag["method"] = method
    return frag


def _match(todo: pd.DataFrame, adr: pd.DataFrame, keys: list[str], this_year: bool
           ) -> pd.DataFrame:
    merged = todo[["rec", "year", *keys]].merge(adr, on=keys, how="inner")
    if this_year:
        merged = merged[merged["bouwjaar"] <= merged["year"].astype(float)]
    return merged


def _postcode_split(todo: pd.DataFrame, adr: pd.DataFrame, key: str, versions: list[str],
                    method: str) -> pd.DataFrame:
    """Fragments of records split over the address points of their postcode (that year's
    addresses, or of any year when the postcode had none that year)."""
    ucols = [f"u_{v}" for v in versions]
    adr = adr[adr[key] != -1] if pd.api.types.is_integer_dtype(adr[key]) else adr[adr[key] != ""]
    years = pd.unique(todo["year"].dropna().astype(int))
    frags = []
    pending = todo
    for this_year in (True, False):
        if pending.empty:
            break
        if this_year:
            profiles = []
            for year in years:
                now = adr[adr["bouwjaar"] <= year]
                prof = now.groupby([key, *ucols], sort=False).size().rename("k").reset_index()
                prof["year"] = year
                profiles.append(prof)
            prof = pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame(
                columns=[key, *ucols, "k", "year"])
            on = [key, "year"]
        else:
            prof = adr.groupby([key, *ucols], sort=False).size().rename("k").reset_index()
            on = [key]
        prof["share"] = prof["k"] / prof.groupby(on)["k"].transform("sum")
        left = pending[["rec", key, "year"]].astype({"year": "float"})
        prof = prof.astype({"year": "float"}) if "year" in prof else prof
        merged = left.merge(prof, on=on, how="inner")
        if not merged.empty:
            frag = merged[["rec", *ucols]].copy()
            frag["weight"] = merged["share"].to_numpy()
            frag["method"] = method
            frags.append(frag)
        pending = pending[~pending["rec"].isin(merged["rec"])]
    empty = pd.DataFrame(columns=["rec", *ucols, "weight", "method"])
    return pd.concat(frags, ignore_index=True) if frags else empty


def locate_records(
    records: pd.DataFrame,
    source: RecordSource,
    targets: Mapping[str, gpd.GeoDataFrame],
    addresses: gpd.GeoDataFrame | pd.DataFrame | None = None,
    *,
    apportion: bool | None = None,
) -> Placement:
    """Place every record in the units of every target version.

    Parameters
    ----------
    records
        Prepared records (:func:`geo.records.read.prepare_records`).
    source
        Their source (location method, addresses to use).
    targets
        Per version id the units (``code``, ``name``, ``geometry`` in EPSG:28992).
    addresses
        Address points (EPSG:28992) with ``postcode``, ``huisnummer`` (+ ``toevoeging``),
        ``bag_id`` as the method needs, optional ``bouwjaar`` (an address exists in year Y
        when ``bouwjaar <= Y``) and ``woonfunctie``; or the output of
        :func:`address_units` for these targets. Needed for every method but ``xy``.
    apportion
        Split PC4 areas that span several units by their addresses (default: the source's
        ``apportion``). Without it such a PC4 is refused.

    Raises
    ------
    WijkatlasError
        Address points missing or lacking a column the method needs; a PC4 spanning several
        units without apportioning.
    """
    versions = [str(v) for v in targets]
    ucols = [f"u_{v}" for v in versions]
    rec = records.reset_index(drop=True).copy()
    rec["status"] = rec["status"].astype(object)
    ok = (rec["status"] == "ok").to_numpy()
    method = source.location.method
    empty = pd.DataFrame(columns=["rec", *ucols, "weight", "method"])
    if method == "xy":
        pos = np.flatnonzero(ok)
        frag = pd.DataFrame({"rec": pos})
        x, y = rec["x"].to_numpy(dtype=float)[pos], rec["y"].to_numpy(dtype=float)[pos]
        for vid, units in targets.items():
            frag[f"u_{vid}"] = point_units(x, y, units.geometry)
        frag["weight"] = 1.0
        frag["method"] = "xy"
        return Placement(rec, frag, versions)

    if addresses is None:
        raise WijkatlasError(f"records located by {method} need address points.",
                             file=source.path, fix="pass --addresses with BAG-like address "
                             "points (postcode, huisnummer, toevoeging, bag_id).")
    need = {"pc6": ["postcode"], "pc4": ["postcode"], "pc6_huisnummer":
            ["postcode", "huisnummer"], "bag": ["bag_id"]}[method]
    missing = [c for c in need if c not in addresses.columns]
    if missing:
        raise WijkatlasError(f"the address points have no column(s) {', '.join(missing)} "
                             f"(needed to place records by {method}).", file=source.path,
                             fix="give address points with postcode, huisnummer, toevoeging "
                                 "and bag_id columns.", rule="unknown_column")
    adr = addresses if all(c in addresses for c in ucols) else address_units(addresses,
                                                                             targets)
    if source.location.addresses == "residential":
        adr = adr[adr["woonfunctie"]]
    todo = rec.loc[ok].assign(rec=np.flatnonzero(ok))
    frags = []
    if method == "pc4":
        adr = adr.assign(postcode=adr["postcode"].str[:4])
    # text keys as integers shared by records and addresses (joins on ints are fast)
    # (one factorisation of both columns, much faster than an index lookup per row on Arrow
    # strings; a value no address has gets -1)
    for column in ("postcode", "toevoeging", "bag_id"):
        if column in todo and column in adr:
            both = pd.concat([adr[column].astype(object), todo[column].astype(object)],
                             ignore_index=True)
            codes, uniques = pd.factorize(both, use_na_sentinel=False)
            known = np.zeros(len(uniques), dtype=bool)
            known[codes[:len(adr)]] = True
            rec_codes = codes[len(adr):]
            adr = adr.assign(**{f"{column}_i": codes[:len(adr)]})
            todo = todo.assign(**{f"{column}_i": np.where(known[rec_codes], rec_codes, -1)})
    if method == "bag":
        first = _match(todo, adr, ["bag_id_i"], True)
        rest = todo[~todo["rec"].isin(first["rec"])]
        second = _match(rest, adr, ["bag_id_i"], False)
        for m in (first, second):
            if not m.empty:
                frags.append(_fragments_from_addresses(m, versions, "bag"))
        placed = set(first["rec"]) | set(second["rec"])
        lost = todo.loc[~todo["rec"].isin(placed), "rec"].to_numpy()
        rec.loc[lost, "status"] = "unknown_bag_id"
    elif method == "pc6_huisnummer":
        has_nr = ~todo["no_number"].to_numpy(dtype=bool)
        pending = todo[has_nr]
        full = ["postcode_i", "huisnummer", "toevoeging_i"]
        stages = [(full, True), (full, False), (["postcode_i", "huisnummer"], True),
                  (["postcode_i", "huisnummer"], False)]
        for keys, this_year in stages:
            if pending.empty:
                break
            m = _match(pending, adr, keys, this_year)
            if not m.empty:
                frags.append(_fragments_from_addresses(m, versions, "adres"))
            pending = pending[~pending["rec"].isin(m["rec"])]
        pending = pd.concat([pending, todo[~has_nr]])
        if source.location.fallback_pc6 and not pending.empty:
            split = _postcode_split(pending, adr, "postcode_i", versions, "pc6")
            frags.append(split)
            pending = pending[~pending["rec"].isin(split["rec"])]
        lost = pending["rec"].to_numpy()
        rec.loc[lost, "status"] = np.where(pending["postcode_i"] >= 0, "unknown_address",
                                           "unknown_postcode")
    else:  # pc6, pc4
        if method == "pc4":
            use_apportion = source.location.apportion if apportion is None else apportion
            if not use_apportion:
                _refuse_spanning_pc4(todo, adr, versions, source)
        split = _postcode_split(todo, adr, "postcode_i", versions, method)
        frags.append(split)
        lost = todo.loc[~todo["rec"].isin(split["rec"]), "rec"].to_numpy()
        rec.loc[lost, "status"] = "unknown_postcode"
    frag = pd.concat([f for f in frags if len(f)], ignore_index=True) if any(
        len(f) for f in frags) else empty
    frag = frag.astype({"rec": np.int64, "weight": float, **{c: np.int64 for c in ucols}})
    return Placement(rec, frag, versions)


def _refuse_spanning_pc4(todo: pd.DataFrame, adr: pd.DataFrame, versions: list[str],
                         source: RecordSource) -> None:
    used = set(todo["postcode"])
    sub = adr[adr["postcode"].isin(used)]
    for vid in versions:
        spans = sub[sub[f"u_{vid}"] >= 0].groupby("postcode")[f"u_{vid}"].nunique()
        wide = spans[spans > 1]
        if len(wide):
            pc = wide.sort_values(ascending=False).index[0]
            raise WijkatlasError(
                f"PC4 {pc} spans {int(wide[pc])} units of version {vid} ({len(wide)} of the "
                f"{len(spans)} PC4 areas used span more than one): PC4 records cannot give "
                "wijk figures.", file=source.path, unit=str(pc), rule="pc4_spans_units",
                fix="deliver the records with PC6 or an address, or set apportion = true in "
                    "[location] (--apportion) to split each PC4 by its address points.")
