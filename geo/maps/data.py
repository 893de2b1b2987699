"""Read the atlas GeoPackage and turn it into the compact data the web pages draw.

The geometry of a version is shipped once, quantised and delta-encoded; values per year are
plain arrays aligned with the units, so changing the year only restyles the same polygons.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.catalog import THEMES, display_title
from geo.errors import WijkatlasError
from geo.hub import layers_of, read_table
from geo.kinds import KINDS
from geo.maps.classes import assign_classes
from geo.maps.specs import MapSpec
from geo.publish.model import safe_file_stem
from geo.units import CRS, STATUSES, VALUE_STATUSES, WEB_CRS

#: One character per status in the page's class strings (digits and a-j are classes).
STATUS_CHARS = {"suppressed": "s", "missing": "m", "small": "k", "withheld": "w",
                "too_few": "t"}
#: Survey change verdicts as one character per unit and year (``sig`` in the page data).
SIGNIFICANCE_CHARS = {"significant gestegen": "u", "significant gedaald": "d",
                      "geen significante verandering": "g"}
CREDIT = "Bron: CBS / PDOK, Wijk- en Buurtkaart (CC BY 4.0)"
SYNTHETIC_NOTE = "voorbeeldcijfers synthetisch"
#: Above this many units the page draws on a canvas instead of one SVG path per unit.
CANVAS_ABOVE = 2000
DIGITS = np.array(list("0123456789"))
LETTERS = np.array(list("abcdefghij"))


def read_units(atlas: Path, version: str, level: str = "wijk") -> gpd.GeoDataFrame:
    """The units of one boundary version (or of a higher level of it), in EPSG:4326."""
    name = f"wijkindeling_{version}" if level == "wijk" else f"level_{level}_{version}"
    gdf = read_table(atlas, name, ["code", "name", "geometry"])
    if gdf.crs is None:
        raise WijkatlasError("the layer has no CRS.", file=atlas, unit=f"wijkindeling_{version}",
                             fix="rebuild the atlas; its layers are written in EPSG:28992.")
    dup = gdf["code"][gdf["code"].duplicated()]
    if len(dup):
        raise WijkatlasError("a unit code occurs twice.", file=atlas, unit=str(dup.iloc[0]),
                             fix=f"give every unit of version {version} its own code.")
    return gdf.to_crs(WEB_CRS).reset_index(drop=True)


def atlas_versions(atlas: Path) -> list[dict]:
    """Rows of the atlas's ``versions`` table (``id``, ``name``), oldest ``valid_from`` first."""
    versions = read_table(atlas, "versions", ["id", "name"])
    versions["id"] = versions["id"].astype(str)
    keys = ["valid_from", "id"] if "valid_from" in versions.columns else ["id"]
    versions = versions.sort_values(keys, kind="stable")
    return versions[["id", "name"]].to_dict("records")


def atlas_levels(atlas: Path, version: str) -> list[tuple[str, str]]:
    """The higher levels of a version in the atlas (``levels`` table): ``(id, label)``."""
    if "levels" not in layers_of(atlas):
        return []
    lk = read_table(atlas, "levels", ["version", "level", "label"])
    lk = lk[(lk["version"].astype(str) == str(version)) & (lk["level"] != "wijk")]
    return list(dict.fromkeys(zip(lk["level"].astype(str), lk["label"].astype(str),
                                  strict=True)))


def level_nouns(atlas: Path, version: str, level: str) -> dict:
    """How the page calls its units: ``unitsNoun`` ("wijken", "kernen"), ``unitNoun`` ("wijk",
    "gebied") and ``unitThis`` ("deze wijk", "dit gebied")."""
    if level == "wijk":
        return {"unitsNoun": "wijken", "unitNoun": "wijk", "unitThis": "deze wijk"}
    label = dict(atlas_levels(atlas, version)).get(level, level)
    return {"unitsNoun": label.lower(), "unitNoun": "gebied", "unitThis": "dit gebied"}


def encode_geometry(geoms: gpd.GeoSeries | np.ndarray, decimals: int = 6) -> dict:
    """Quantise (Multi)Polygons to ``decimals`` and delta-encode them into flat int arrays.

    Returns
    -------
    dict
        ``q`` decimals; ``c`` interleaved x/y deltas (the first pair absolute, closing vertex
        of each ring dropped); ``r`` ring offsets into the vertices; ``p`` polygon offsets
        into the rings; ``u`` unit offsets into the polygons.
    """
    geoms = np.asarray(geoms)
    _, coords, offsets = shapely.to_ragged_array(geoms)
    if len(offsets) == 2:  # only Polygons (e.g. wijken made by wijkatlas init): one per unit
        ring_off, poly_off = offsets
        unit_off = np.arange(len(poly_off))
    else:
        ring_off, poly_off, unit_off = offsets
    q = np.round(coords * 10.0**decimals).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[ring_off[1:] - 1] = False  # the closing vertex repeats the first
    q = q[keep]
    ring_off = ring_off - np.arange(len(ring_off))
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {"q": decimals, "c": deltas.ravel().tolist(), "r": ring_off.tolist(),
            "p": poly_off.tolist(), "u": unit_off.tolist()}


def decode_geometry(enc: dict) -> list:
    """Inverse of :func:`encode_geometry` (for tests): per unit, polygons of rings of (x, y)."""
    xy = np.cumsum(np.asarray(enc["c"], dtype=np.int64).reshape(-1, 2), axis=0)
    xy = xy / 10.0 ** enc["q"]
    r, p, u = enc["r"], enc["p"], enc["u"]
    return [[[xy[r[k]:r[k + 1]] for k in range(p[j], p[j + 1])] for j in range(u[i], u[i + 1])]
            for i in range(len(u) - 1)]


def _round(a: np.ndarray, decimals: int) -> list:
    """Rows of ``a`` rounded for display, NaN as ``None`` (JSON null)."""
    out = np.round(a, decimals).astype(object)
    out[~np.isfinite(a)] = None
    if decimals == 0:
        out[np.isfinite(a)] = np.round(a[np.isfinite(a)]).astype(np.int64)
    return out.tolist()


def _sparse(grid: np.ndarray, decimals: int) -> list:
    """Per year the row of ``grid`` (NaN = none): dense when mostly set, else sparse.

    A sparse row is ``{"i": [gaps between unit indices], "v": [values]}``; the page expands
    it (``expand`` in ``atlas.js``). Interpolation bounds are rare, so this keeps pages small.
    """
    rows = []
    for row in grid:
        set_ = np.flatnonzero(np.isfinite(row))
        if 2 * len(set_) >= len(row):
            rows.append(_round(row, decimals))
        else:
            gaps = np.diff(set_, prepend=0).tolist()
            rows.append({"i": gaps, "v": _round(row[set_], decimals)})
    return rows


def _municipal_average(cube: dict, ind: pd.Series, area_km2: np.ndarray) -> tuple[list, str]:
    """Per year the municipal figure to compare a wijk with, and its label.

    By the kind's rule (:mod:`geo.kinds`): shares and means are weighted by their denominator
    or weight when that is in the atlas; ratios of two counts are recomputed from both counts;
    densities from their count and the area; otherwise (counts, or a reference missing from
    the atlas) the plain mean of the observed wijken is used ("gemiddelde wijk").
    """
    values, observed = cube[ind["code"]]
    v = np.where(observed, values, np.nan)

    def weighted(weights: np.ndarray) -> np.ndarray:
        w = np.where(np.isfinite(v) & np.isfinite(weights), weights, 0.0)
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, np.nansum(v * w, axis=1) / total, np.nan)

    kind = KINDS.get(ind["kind"])
    rule = kind.rule if kind else ""
    ref = ind.get(kind.denominator) if kind and kind.denominator else None
    num = ind.get(kind.numerator) if kind and kind.numerator else None
    per = float(ind.get("per") or 100.0) if kind and kind.scaled else 1.0
    if rule == "weighted" and ref in cube:
        avg, label = weighted(cube[ref][0]), "gemeente"
    elif rule == "counts_ratio" and ref in cube and num in cube:
        n = np.where(cube[num][1], cube[num][0], np.nan)
        d = np.where(cube[ref][1], cube[ref][0], np.nan)
        ok = np.isfinite(n) & np.isfinite(d)
        total = np.where(ok, d, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(total > 0, np.where(ok, n, 0.0).sum(axis=1) / total * per, np.nan)
        label = "gemeente"
    elif rule == "per_area" and ref in cube:
        counts = np.where(cube[ref][1], cube[ref][0], np.nan)
        ok = np.isfinite(counts)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.nansum(counts, axis=1) / (ok * area_km2).sum(axis=1)
        label = "gemeente"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a year without any value
            avg = np.nanmean(v, axis=1)
        label = "gemiddelde wijk"
    return _round(np.asarray(avg, dtype=float), int(ind["decimals"]) + 1), label


def atlas_credit(atlas: Path, indicators: pd.DataFrame | None = None) -> str:
    """The credit line the pages show: the atlas's own (``atlas`` table, from
    ``layers/atlas.toml``), else the CBS credit, marked when the data are synthetic."""
    if "atlas" in layers_of(atlas):
        row = read_table(atlas, "atlas", [])
        if "credit" in row.columns and len(row) and str(row["credit"].iloc[0] or "").strip():
            return str(row["credit"].iloc[0]).strip()
    synthetic = indicators is not None and is_synthetic(atlas, indicators)
    return CREDIT + (f"; {SYNTHETIC_NOTE}" if synthetic else "")


def is_synthetic(atlas: Path, indicators: pd.DataFrame) -> bool:
    """Whether the page shows sample data: the ``atlas`` table's ``synthetic`` flag when the
    GeoPackage has one, else any indicator whose ``source`` says "synthetisch"."""
    if "atlas" in layers_of(atlas):
        flags = read_table(atlas, "atlas", [])
        if "synthetic" in flags.columns and len(flags):
            return bool(pd.to_numeric(flags["synthetic"], errors="coerce").fillna(0).iloc[0])
    return bool(indicators["source"].astype(str).str.contains("synthetisch", case=False).any())


def _check_results(res: pd.DataFrame, atlas: Path, codes: pd.Index) -> None:
    bad = res[~res["status"].isin(STATUSES)]
    if len(bad):
        row = bad.iloc[0]
        raise WijkatlasError(f"unknown status {row['status']!r}.", file=atlas,
                             unit=f"results {row['unit_code']} {row['variable']} {row['year']}",
                             fix=f"use one of: {', '.join(STATUSES)}.")
    empty = res[res["status"].isin(VALUE_STATUSES) & res["value"].isna()]
    if len(empty):
        row = empty.iloc[0]
        raise WijkatlasError(f"status {row['status']} without a value.", file=atlas,
                             unit=f"results {row['unit_code']} {row['variable']} {row['year']}",
                             fix="give the value, or mark the row suppressed or missing.")
    unknown = res[~res["unit_code"].isin(codes)]
    if len(unknown):
        row = unknown.iloc[0]
        raise WijkatlasError(f"unit {row['unit_code']} is not in wijkindeling_{row['version']}.",
                             file=atlas, unit=str(row["unit_code"]),
                             fix="rebuild the atlas so results and boundaries agree.")
    dup = res[res.duplicated(["unit_code", "year", "variable"])]
    if len(dup):
        row = dup.iloc[0]
        raise WijkatlasError("a result row occurs twice.", file=atlas,
                             unit=f"results {row['unit_code']} {row['variable']} {row['year']}",
                             fix="keep one row per version, unit, year and variable.")


def _select_indicators(spec: MapSpec, indicators: pd.DataFrame, present: set[str],
                       atlas: Path) -> pd.DataFrame:
    inds = indicators[indicators["code"].isin(present)]
    for code in spec.indicators:
        if code not in set(inds["code"]):
            raise WijkatlasError(f"indicator {code!r} has no results for version {spec.version}.",
                                 file=spec.path, unit=code,
                                 fix=f"use codes from the indicators table of {atlas.name}.")
    for theme in spec.themes:
        if theme not in THEMES:
            raise WijkatlasError(f"unknown theme {theme!r}.", file=spec.path,
                                 fix=f"use one of: {', '.join(THEMES)}.")
    if spec.indicators:
        inds = inds[inds["code"].isin(spec.indicators)]
    if spec.themes:
        inds = inds[inds["theme"].isin(spec.themes)]
    inds = inds.assign(order=inds["theme"].map({t: i for i, t in enumerate(THEMES)}))
    if inds["order"].isna().any():
        row = inds[inds["order"].isna()].iloc[0]
        raise WijkatlasError(f"unknown theme {row['theme']!r}.", file=atlas,
                             unit=f"indicators {row['code']}",
                             fix=f"use one of: {', '.join(THEMES)}.")
    if inds.empty:
        raise WijkatlasError(f"no indicator to show for version {spec.version}.", file=spec.path,
                             fix="check version, themes and indicators against the atlas.")
    return inds.sort_values("order", kind="stable").reset_index(drop=True)


def atlas_payload(atlas: Path, spec: MapSpec, specs_dir: Path) -> dict:
    """Everything the atlas page draws for ``spec``, as JSON-ready Python objects."""
    atlas = Path(atlas)
    units = read_units(atlas, spec.version, spec.level)
    names = layers_of(atlas)
    versions = read_table(atlas, "versions", ["id", "name"])
    indicators = read_table(atlas, "indicators", ["code", "label", "theme", "unit", "kind",
                                                  "source", "decimals"])
    indicators["decimals"] = pd.to_numeric(indicators["decimals"]).fillna(0).astype(int)
    res = read_table(atlas, "results", ["version", "unit_code", "year", "variable", "value",
                                        "lower", "upper", "status", "interpolated_share"])
    res["version"] = res["version"].astype(str)
    res = res[res["version"] == spec.version]
    municipal = None
    if "level" in res:  # one level per page: the wijken, or a level of geo.levels
        level = res["level"].fillna("wijk").astype(str).replace("", "wijk")
        municipal = res[level == "gemeente"]
        res = res[level == spec.level]
    if spec.from_year is not None:
        res = res[res["year"] >= spec.from_year]
    if spec.to_year is not None:
        res = res[res["year"] <= spec.to_year]
    if res.empty:
        raise WijkatlasError(f"no results for version {spec.version} in the chosen years.",
                             file=spec.path, fix="check version, from_year and to_year.")
    res = res.reset_index(drop=True)
    codes = pd.Index(units["code"])
    _check_results(res, atlas, codes)
    if spec.level != "wijk":
        if "level_classes" not in names:
            raise WijkatlasError("the atlas has no level_classes table.", file=atlas,
                                 unit="level_classes", fix="rebuild the atlas with "
                                 "`wijkatlas build` (the engine computes the classes).")
        classes = read_table(atlas, "level_classes", ["level", "version", "variable",
                                                      "class_index", "lower", "upper",
                                                      "colour", "label"])
        classes = classes[classes["level"].astype(str) == spec.level]
        classes_src: Path | str = atlas
    else:
        if "map_classes" not in names:
            raise WijkatlasError("the atlas has no map_classes table.", file=atlas,
                                 unit="map_classes", fix="rebuild the atlas with `wijkatlas build` "
                                 "(the engine computes the classes as part of the build).")
        classes = read_table(atlas, "map_classes", ["version", "variable", "class_index",
                                                    "lower", "upper", "colour", "label"])
        classes_src: Path | str = atlas
    classes = classes.astype({"version": str})
    classes = classes[classes["version"] == spec.version]

    inds = _select_indicators(spec, indicators, set(res["variable"]), atlas)
    years = sorted(int(y) for y in res["year"].unique())
    yi = np.searchsorted(years, res["year"].to_numpy())
    ui = codes.get_indexer(res["unit_code"])
    shape = (len(years), len(units))
    area_km2 = np.broadcast_to(units.to_crs(CRS).area.to_numpy() / 1e6, shape)
    groups = res.groupby("variable").indices  # variable -> row positions
    cube: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for variable, pos in groups.items():
        values = np.full(shape, np.nan)
        observed = np.zeros(shape, dtype=bool)
        values[yi[pos], ui[pos]] = res["value"].to_numpy(dtype=float)[pos]
        observed[yi[pos], ui[pos]] = res["status"].to_numpy()[pos] == "observed"
        cube[variable] = (values, observed)

    out_inds = []
    for _, ind in inds.iterrows():
        code, dec = ind["code"], int(ind["decimals"])
        pos = groups[code]
        sub, rows, cols = res.iloc[pos], yi[pos], ui[pos]
        status = np.full(shape, "m", dtype="<U1")
        status[rows, cols] = sub["status"].map(
            lambda st: STATUS_CHARS.get(st, str(st)[:1])).to_numpy()
        cls = classes[classes["variable"] == code].sort_values("class_index")
        values = cube[code][0]
        drawn = np.isin(status, ["o", "p"])
        if drawn.any() and cls.empty:
            raise WijkatlasError(f"map_classes has no classes for {code}.", file=classes_src,
                                 unit=code, fix="rebuild the atlas with `make atlas`.")
        idx = np.full(shape, -1)
        if drawn.any():
            idx[drawn] = assign_classes(values[drawn], cls, where=f"{code} ({spec.version})",
                                        source=classes_src)
        # one character per unit and year: class digit (observed), class letter (partial),
        # s (suppressed), m (missing), k (small: "< 5"), w (withheld), t (too few answers)
        chars = status.copy()
        chars[status == "o"] = DIGITS[idx[status == "o"]]
        chars[status == "p"] = LETTERS[idx[status == "p"]]
        entry = {
            "code": code, "label": ind["label"], "theme": ind["theme"], "unit": ind["unit"],
            "title": str(ind.get("title") or display_title(ind["label"], ind["unit"])),
            "kind": ind["kind"], "decimals": dec, "source": str(ind["source"]),
            "description": str(ind.get("description") or ""),
            "classes": [{"colour": c, "label": lab} for c, lab in
                        zip(cls["colour"], cls["label"], strict=True)],
            "cls": ["".join(row) for row in chars],
            "v": _round(np.where(drawn, values, np.nan), dec),
        }
        small = ind.get("small_label")
        if isinstance(small, str) and small:
            # how a small register figure reads: "< 5 registraties", "niet getoond: teller < 5"
            entry["small"] = small
        for key, column in (("lo", "lower"), ("hi", "upper")):
            grid = np.full(shape, np.nan)
            grid[rows, cols] = sub[column].to_numpy(dtype=float)
            if np.isfinite(grid).any():
                entry[key] = _sparse(grid, dec)
        share = np.full(shape, np.nan)
        share[rows, cols] = sub["interpolated_share"].to_numpy(dtype=float)
        share[share <= 0] = np.nan
        if np.isfinite(share).any():
            entry["ip"] = _sparse(np.maximum(np.round(share * 100), 1), 0)
        entry["avg"], entry["avgLabel"] = _municipal_average(cube, ind, area_km2)
        _survey_fields(entry, sub, rows, cols, shape, years, municipal, code, dec)
        out_inds.append(entry)

    vrow = versions[versions["id"].astype(str) == spec.version]
    codes = units["code"].astype(str).tolist()
    if spec.default_indicator and spec.default_indicator not in set(inds["code"]):
        raise WijkatlasError(f"default_indicator {spec.default_indicator!r} is not shown on "
                             "this page.", file=spec.path, unit=spec.default_indicator,
                             fix="name one of the page's indicators, or leave it out.")
    return {
        "title": spec.title, "version": spec.version, "level": spec.level,
        "choice": [dict(c) for c in spec.choice],
        **level_nouns(atlas, spec.version, spec.level),
        "versionName": str(vrow["name"].iloc[0]) if len(vrow) else f"Wijkindeling {spec.version}",
        "years": years, "default": spec.default_indicator or out_inds[0]["code"],
        "credit": atlas_credit(atlas, inds),
        "canvas": bool(len(units) > CANVAS_ABOVE),
        "units": {"code": codes, "name": units["name"].astype(str).tolist(),
                  # Profile page of unit j: profileDir + (profileStem[j] or code[j]) + ".html";
                  # only the codes that are not safe file names get a stem of their own.
                  "profileDir": f"../profiles/{safe_file_stem(spec.version)}/",
                  "profileStem": {str(j): safe_file_stem(code)
                                  for j, code in enumerate(codes)
                                  if safe_file_stem(code) != code}},
        "geom": encode_geometry(units.geometry.values),
        "themes": [t for t in THEMES if t in set(inds["theme"])],
        "indicators": out_inds,
    }


def _survey_fields(entry: dict, sub: pd.DataFrame, rows: np.ndarray, cols: np.ndarray,
                   shape: tuple[int, int], years: list[int], municipal: pd.DataFrame | None,
                   code: str, decimals: int) -> None:
    """Survey figures: ``n`` (respondents with a valid answer) per year and unit, ``sig``
    (change since the previous edition: u/d/g, ``-`` none) and the gemeente's own figure as
    the comparison line (``avg``)."""
    if "n" not in sub.columns or not sub["n"].notna().any():
        return
    if "source" in sub.columns and not (sub["source"] == "survey").any():
        return  # only survey figures have respondents and a margin
    grid = np.full(shape, np.nan)
    grid[rows, cols] = pd.to_numeric(sub["n"], errors="coerce").to_numpy(dtype=float)
    entry["n"] = _sparse(grid, 0)
    entry["survey"] = True
    if "significance" in sub.columns:
        sig = np.full(shape, "-", dtype="<U1")
        sig[rows, cols] = sub["significance"].fillna("").map(SIGNIFICANCE_CHARS).fillna(
            "-").to_numpy(dtype="<U1")
        entry["sig"] = ["".join(row) for row in sig]
    if municipal is not None:
        own = municipal[municipal["variable"] == code]
        own = own[own["status"].isin(["observed", "partial"])]
        if len(own):
            avg = np.full(len(years), np.nan)
            pos = np.searchsorted(years, own["year"].to_numpy())
            ok = (pos < len(years)) & (np.asarray(years)[np.minimum(pos, len(years) - 1)]
                                       == own["year"].to_numpy())
            avg[pos[ok]] = own["value"].to_numpy(dtype=float)[ok]
            entry["avg"], entry["avgLabel"] = _round(avg, decimals + 1), "gemeente"


def boundaries_payload(atlas: Path, spec: MapSpec) -> dict:
    """The versions of a boundary-change map, with the units that changed between them."""
    atlas = Path(atlas)
    versions = read_table(atlas, "versions", ["id", "name"])
    out = []
    gdfs = [read_units(atlas, v) for v in spec.versions]
    for j, (version, gdf) in enumerate(zip(spec.versions, gdfs, strict=True)):
        lineage = gdf.get("lineage", pd.Series("", index=gdf.index)).fillna("").astype(str)
        parents = gdf.get("lineage_parents", pd.Series("", index=gdf.index)).fillna("")
        changed = (lineage != "unchanged").to_numpy().copy() if j > 0 else \
            np.zeros(len(gdf), bool)
        if j + 1 < len(gdfs):
            nxt = gdfs[j + 1]
            nxt_changed = nxt.get("lineage", pd.Series("", index=nxt.index)) != "unchanged"
            refs = nxt.get("lineage_parents", pd.Series("", index=nxt.index))[nxt_changed]
            referenced = {c.strip() for p in refs.fillna("") for c in str(p).split(",")}
            changed |= gdf["code"].isin(referenced).to_numpy()
        vrow = versions[versions["id"].astype(str) == version]
        out.append({
            "id": version,
            "name": str(vrow["name"].iloc[0]) if len(vrow) else f"Wijkindeling {version}",
            "code": gdf["code"].astype(str).tolist(), "name_": gdf["name"].astype(str).tolist(),
            "lineage": lineage.tolist(), "parents": parents.astype(str).tolist(),
            "text": gdf.get("lineage_text", pd.Series("", index=gdf.index)).fillna("")
            .astype(str).tolist(),
            "changed": changed.astype(bool).tolist(),
            "geom": encode_geometry(gdf.geometry.values),
        })
    return {"title": spec.title, "credit": atlas_credit(atlas), "versions": out}
