"""Area levels: kernen, wijkteams, the gemeente, ... as unions of the wijken of one version.

What enters: ``boundaries/<id>/levels.toml`` (the levels of one boundary version, each a lookup
table wijk -> area, as Swing's derived area levels are), the units of that version, and the
same inputs the wijk figures come from (every year's source values and the crosswalk of that
year to the wijken). What leaves: result rows per level in the shared layout
(``geo.units.RESULT_COLUMNS``, ``level`` filled), the numerator and denominator behind every
share, mean and density, and a polygon layer per level.

A level's figure is computed from the inputs, never from wijk figures: the crosswalk of a year
(buurt -> wijk) is composed with the level's lookup (wijk -> area) into a crosswalk buurt ->
area, and the source values are reaggregated through it by their kind
(:func:`geo.reaggregate.reaggregate`). Counts therefore equal the sum of the wijken, and a
share is numerator over denominator of the whole area, not an average of wijk percentages.

The file format (one ``[[level]]`` table per level)::

    [wijk]                      # optional: how the base level is called
    label = "Wijken"
    geolevel = "wijk2020"       # its code in Swing / incijfers (default "wijk<version>")

    [[level]]
    id = "kern"                 # [a-z][a-z0-9_]*: used in results.level and layer names
    label = "Kernen"
    geolevel = "kern2020"       # optional, default "<id><version>"
    areas = [{ code = "K01", name = "Drunen" }, { code = "K02", name = "Vlijmen" }]
    [level.wijken]              # every wijk of the version in exactly one area
    W01 = "K01"
    W06 = "K02"

A level with one area may map every wijk at once with ``"*" = "<area code>"``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.catalog import Catalog
from geo.errors import WijkatlasError
from geo.reaggregate import CrosswalkMatrix, reaggregate, source_matrices
from geo.units import SQM_PER_HA

LEVELS_FILE = "levels.toml"
BASE_LEVEL = "wijk"
LEVEL_ID = re.compile(r"[a-z][a-z0-9_]{0,29}")
AREA_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
GEOLEVEL = re.compile(r"[a-z0-9_]{1,50}")
#: A composed weight at least this close to 1 means the source lies wholly in the area.
WHOLE = 1.0 - 1e-9

__all__ = [
    "BASE_LEVEL", "LEVELS_FILE", "Level", "Levels", "compose_crosswalk", "fill_parts",
    "level_classes_table", "level_partitions",
    "level_layers", "level_lookup_table", "level_results", "load_levels", "ratio_parts",
    "read_levels", "survey_levels", "with_levels",
]


@dataclass(frozen=True)
class Level:
    """One higher level of a version: its areas and the lookup wijk -> area."""

    id: str
    label: str
    geolevel: str
    areas: pd.DataFrame  # code, name (declaration order)
    lookup: dict[str, str]  # wijk code -> area code

    def names(self) -> dict[str, str]:
        return dict(zip(self.areas["code"], self.areas["name"], strict=True))


@dataclass(frozen=True)
class Levels:
    """The levels of one boundary version (the wijk level itself is implicit)."""

    version: str
    wijk_label: str
    wijk_geolevel: str
    levels: tuple[Level, ...]
    path: Path | None = None

    def __iter__(self):
        return iter(self.levels)

    def __len__(self) -> int:
        return len(self.levels)

    def ids(self) -> list[str]:
        """Every level of the version, the wijk level first."""
        return [BASE_LEVEL, *(lv.id for lv in self.levels)]

    def get(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)


def _fail(problem: str, path: Path, unit: str | None, fix: str) -> WijkatlasError:
    return WijkatlasError(problem, file=path, unit=unit, fix=fix, rule="levels")


def _text(value, path: Path, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{key} is missing or not a text.", path, where,
                    f"give {where} a {key} = \"...\".")
    if any(ord(ch) < 32 for ch in value):
        raise _fail(f"{key} contains a control character.", path, where,
                    f"write {key} on one line without tabs or line breaks.")
    return value.strip()


def read_levels(path: str | Path, version: str, wijk_codes) -> Levels:
    """Read and validate the levels of ``version`` from ``path``.

    Parameters
    ----------
    path
        The ``levels.toml`` file.
    version
        The id of the boundary version the levels belong to.
    wijk_codes
        The codes of the version's units (wijken); every one must be in exactly one area of
        every level.

    Raises
    ------
    WijkatlasError
        One line naming the file, the level/area/wijk and the fix, when the file is not TOML,
        a level id, area code or name is missing, malformed or not unique, a wijk is in no
        area or is unknown, or an area has no wijk.
    """
    path = Path(path)
    wijken = [str(c) for c in wijk_codes]
    known = set(wijken)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise _fail(f"not valid TOML ({exc}).", path, None,
                    "correct the TOML at the line named; a wijk listed twice in one level "
                    "also shows up here as a duplicate key.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot be read ({exc}).", path, None,
                    "save it as UTF-8 text.") from exc
    unknown_keys = set(raw) - {"wijk", "level"}
    if unknown_keys:
        key = sorted(unknown_keys)[0]
        raise _fail(f"unknown key {key!r}.", path, key,
                    "use [wijk] and [[level]] tables only.")
    base = raw.get("wijk", {})
    if not isinstance(base, dict):
        raise _fail("[wijk] must be a table.", path, "wijk",
                    "write [wijk] with label and geolevel.")
    wijk_label = _text(base.get("label", "Wijken"), path, "wijk", "label")
    wijk_geolevel = str(base.get("geolevel", f"{BASE_LEVEL}{version}")).strip().lower()
    geolevels = {wijk_geolevel: BASE_LEVEL}
    if not GEOLEVEL.fullmatch(wijk_geolevel):
        raise _fail(f"geolevel {wijk_geolevel!r} is not a code of a-z, 0-9 and _.", path,
                    "wijk", "use e.g. geolevel = \"wijk2020\".")
    entries = raw.get("level", [])
    if not isinstance(entries, list):
        raise _fail("level must be an array of tables.", path, "level",
                    "write each level as [[level]].")
    levels: list[Level] = []
    for i, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise _fail("a level must be a table.", path, f"level #{i}", "write [[level]].")
        level_id = entry.get("id")
        where = f"level #{i}" if not isinstance(level_id, str) else f"level {level_id}"
        if not isinstance(level_id, str) or not LEVEL_ID.fullmatch(level_id):
            raise _fail(f"id {level_id!r} is not a lower-case code.", path, where,
                        "give the level an id of a-z, 0-9 and _ starting with a letter, "
                        "e.g. id = \"kern\".")
        if level_id == BASE_LEVEL or level_id in {lv.id for lv in levels}:
            raise _fail(f"level id {level_id!r} is used twice.", path, where,
                        "give every level its own id (the wijk level is implicit).")
        extra = set(entry) - {"id", "label", "geolevel", "areas", "wijken"}
        if extra:
            raise _fail(f"unknown key {sorted(extra)[0]!r}.", path, where,
                        "use id, label, geolevel, areas and wijken.")
        label = _text(entry.get("label"), path, where, "label")
        geolevel = str(entry.get("geolevel", f"{level_id}{version}")).strip().lower()
        if not GEOLEVEL.fullmatch(geolevel):
            raise _fail(f"geolevel {geolevel!r} is not a code of a-z, 0-9 and _.", path,
                        where, f"use e.g. geolevel = \"{level_id}{version}\".")
        if geolevel in geolevels:
            raise _fail(f"geolevel {geolevel!r} is also used by level "
                        f"{geolevels[geolevel]}.", path, where,
                        "give every level its own geolevel.")
        geolevels[geolevel] = level_id
        areas = entry.get("areas")
        if not isinstance(areas, list) or not areas:
            raise _fail("the level has no areas.", path, where,
                        "list its areas: areas = [{ code = \"K01\", name = \"Drunen\" }, ...].")
        codes, names = [], []
        for j, area in enumerate(areas, start=1):
            if not isinstance(area, dict):
                raise _fail("an area must be a table with code and name.", path,
                            f"{where} area #{j}", "write { code = \"...\", name = \"...\" }.")
            code = area.get("code")
            if not isinstance(code, str) or not AREA_CODE.fullmatch(code):
                raise _fail(f"area code {code!r} is not a code of letters, digits, _ and -.",
                            path, f"{where} area #{j}",
                            "give every area a short code, e.g. code = \"K01\".")
            name = _text(area.get("name"), path, f"{where} area {code}", "name")
            if code in codes:
                raise _fail(f"area code {code} is used twice.", path, f"{where} area {code}",
                            "give every area of a level its own code.")
            if name.casefold() in (n.casefold() for n in names):
                raise _fail(f"area name {name!r} is used twice.", path,
                            f"{where} area {code}",
                            "give every area of a level its own name.")
            codes.append(code)
            names.append(name)
        lookup_raw = entry.get("wijken")
        if not isinstance(lookup_raw, dict) or not lookup_raw:
            raise _fail("the level has no [level.wijken] lookup.", path, where,
                        "add a [level.wijken] table after the level: W01 = \"K01\", ...")
        if "*" in lookup_raw:
            if len(lookup_raw) != 1 or len(codes) != 1:
                raise _fail("\"*\" may only be used alone, for a level with one area.", path,
                            where, "list every wijk, or use \"*\" = \"<code>\" alone.")
            lookup_raw = {w: lookup_raw["*"] for w in wijken}
        lookup: dict[str, str] = {}
        for wijk, area in lookup_raw.items():
            if wijk not in known:
                raise _fail(f"wijk {wijk} is not a unit of version {version}.", path,
                            f"{where} wijk {wijk}",
                            f"use the unit codes of version {version} "
                            f"(wijkatlas versions show {version}).")
            if area not in codes:
                raise _fail(f"wijk {wijk} is put in area {area!r}, which the level does not "
                            "declare.", path, f"{where} wijk {wijk}",
                            f"use one of the area codes: {', '.join(codes)}.")
            lookup[wijk] = area
        missing = [w for w in wijken if w not in lookup]
        if missing:
            raise _fail(f"wijk {missing[0]} is in no area of this level"
                        + (f" (nor are {', '.join(missing[1:])})" if len(missing) > 1 else "")
                        + ".", path, f"{where} wijk {missing[0]}",
                        f"put every wijk of version {version} in exactly one area: add "
                        f"{missing[0]} = \"<area code>\" to [level.wijken].")
        empty = [c for c in codes if c not in set(lookup.values())]
        if empty:
            raise _fail(f"area {empty[0]} has no wijk.", path, f"{where} area {empty[0]}",
                        "put at least one wijk in it, or remove the area.")
        levels.append(Level(id=level_id, label=label, geolevel=geolevel,
                            areas=pd.DataFrame({"code": codes, "name": names}),
                            lookup=lookup))
    return Levels(version=str(version), wijk_label=wijk_label, wijk_geolevel=wijk_geolevel,
                  levels=tuple(levels), path=path)


def load_levels(root: str | Path, version: str, wijk_codes) -> Levels:
    """The levels of a version from ``boundaries/<version>/levels.toml``; a version without
    that file has only the wijk level."""
    path = Path(root) / "boundaries" / str(version) / LEVELS_FILE
    if not path.exists():
        return Levels(version=str(version), wijk_label="Wijken",
                      wijk_geolevel=f"{BASE_LEVEL}{version}", levels=(), path=None)
    return read_levels(path, version, wijk_codes)


def compose_crosswalk(crosswalk: pd.DataFrame, lookup: dict[str, str]) -> pd.DataFrame:
    """Compose a crosswalk source -> wijk with a lookup wijk -> area into source -> area.

    Notes
    -----
    The weight of source :math:`s` in area :math:`a` is
    :math:`w_{sa} = \\sum_{t:\\,L(t)=a} w_{st}`, so the weights of a source still sum to 1 and
    counts through the composed crosswalk equal the sums of the wijk counts. A source whose
    whole weight goes to one area lies in that area and is ``exact`` there (it counts for the
    lower bound); otherwise the row keeps the methods of its pieces (e.g. ``address``).
    """
    cw = crosswalk[["source_code", "target_code", "weight", "method"]]
    area = cw["target_code"].map(lookup)
    if area.isna().any():
        bad = cw.loc[area.isna(), "target_code"].iloc[0]
        raise WijkatlasError(f"crosswalk target {bad} is in no area of the level.", unit=bad,
                             fix="rebuild with levels.toml matching the version's units.")
    cw = cw.assign(target_code=area)
    grouped = cw.groupby(["source_code", "target_code"], sort=False)
    out = grouped["weight"].sum().reset_index()
    methods = grouped["method"].agg(lambda s: "+".join(sorted(set(s)))).reset_index(drop=True)
    whole = out["weight"].to_numpy() >= WHOLE
    out["method"] = np.where(whole, "exact", methods.to_numpy())
    return out


def ratio_parts(values: pd.DataFrame, crosswalk: pd.DataFrame, catalog: Catalog,
                target_area_ha: pd.Series) -> pd.DataFrame:
    """Numerator and denominator behind every share, mean, median, density and ratio.

    Parameters
    ----------
    values
        Long source values ``code, variable, value, status`` of one year.
    crosswalk
        ``source_code, target_code, weight, method``.
    catalog
        The indicator catalog (kinds from the registry :data:`geo.kinds.KINDS`).
    target_area_ha
        Area per target code (index), for densities.

    Returns
    -------
    DataFrame ``unit_code, variable, numerator, denominator``.

    Notes
    -----
    With :math:`x_s` the source value, :math:`d_s` its denominator (share) or weight (mean,
    median) and :math:`w_{st}` the crosswalk weight, over sources where both are observed:

    * share: :math:`N_t = \\sum_s w_{st} x_s d_s / per`, :math:`D_t = \\sum_s w_{st} d_s`,
      value :math:`= N_t / D_t \\times per` (the number of persons, households, ... and the
      population they are a share of);
    * mean and median: :math:`N_t = \\sum_s w_{st} x_s d_s`, :math:`D_t = \\sum_s w_{st} d_s`,
      value :math:`= N_t / D_t`;
    * ratio of two counts: :math:`N_t = \\sum_s w_{st} n_s`, :math:`D_t = \\sum_s w_{st} d_s`,
      value :math:`= N_t / D_t \\times per`;
    * density: :math:`N_t = \\sum_s w_{st} c_s` (the count), :math:`D_t` = area in km2.

    These are what :func:`geo.reaggregate.reaggregate` divides, so the published value is
    always numerator / denominator (x per); a platform that aggregates further (Swing) sums
    the parts and divides again.
    """
    from geo.kinds import kind_of

    kinds = {c: kind_of(catalog[c].kind) for c in catalog.indicators}
    present = set(pd.unique(values["variable"]))

    def ref(c: str, field: str) -> str:
        return getattr(catalog[c], getattr(kinds[c], field)) if getattr(kinds[c], field) else ""

    weighted = [c for c in catalog.indicators if kinds[c].rule == "weighted" and c in present
                and ref(c, "denominator") in present]
    area = [c for c in catalog.indicators if kinds[c].rule == "per_area"
            and ref(c, "denominator") in present]
    ratio = [c for c in catalog.indicators if kinds[c].rule == "counts_ratio"
             and ref(c, "numerator") in present and ref(c, "denominator") in present]
    targets = target_area_ha.index
    if not weighted and not area and not ratio:
        return pd.DataFrame(columns=["unit_code", "variable", "numerator", "denominator"])
    refs = [ref(c, "denominator") for c in weighted]
    counts = [ref(c, "denominator") for c in area]
    nums, dens = [ref(c, "numerator") for c in ratio], [ref(c, "denominator") for c in ratio]
    needed = sorted(set(weighted) | set(refs) | set(counts) | set(nums) | set(dens))
    source_codes = pd.Index(pd.unique(crosswalk["source_code"]))
    cw = CrosswalkMatrix(crosswalk, source_codes, targets)
    value, _ = source_matrices(values, source_codes, needed)
    col = pd.Index(needed)
    frames = []
    if weighted:
        scale = np.array([catalog[c].per if kinds[c].scaled else 1.0 for c in weighted])
        x, d = value[:, col.get_indexer(weighted)], value[:, col.get_indexer(refs)]
        both = ~np.isnan(x) & ~np.isnan(d)
        frames.append((weighted, cw.apply(np.where(both, x * d / scale, np.nan)),
                       cw.apply(np.where(both, d, np.nan))))
    if ratio:
        frames.append((ratio, cw.apply(value[:, col.get_indexer(nums)]),
                       cw.apply(value[:, col.get_indexer(dens)])))
    if area:
        num = cw.apply(value[:, col.get_indexer(counts)])
        km2 = target_area_ha.to_numpy(dtype=float)[:, None] / 100.0
        frames.append((area, num, np.broadcast_to(km2, num.shape)))
    out = []
    for names, num, den in frames:
        out.append(pd.DataFrame({
            "unit_code": np.tile(targets.to_numpy(), len(names)),
            "variable": np.repeat(np.array(names, dtype=object), len(targets)),
            "numerator": num.T.ravel(), "denominator": den.T.ravel()}))
    return pd.concat(out, ignore_index=True)


def _with_parts(results: pd.DataFrame, parts: pd.DataFrame) -> pd.DataFrame:
    """Attach numerator/denominator to result rows of one year; empty where no value."""
    out = results.merge(parts, on=["unit_code", "variable"], how="left")
    shown = out["status"].isin(["observed", "partial"]).to_numpy()
    for column in ("numerator", "denominator"):
        out[column] = np.where(shown, out[column].to_numpy(dtype=float), np.nan)
    return out


def _area_ha(units: gpd.GeoDataFrame) -> pd.Series:
    return pd.Series(units.geometry.area.to_numpy() / SQM_PER_HA,
                     index=units["code"].astype(str))


def level_results(inputs, crosswalks: pd.DataFrame, units: gpd.GeoDataFrame, levels: Levels,
                  catalog: Catalog, *, version: str) -> pd.DataFrame:
    """Figures of every higher level of a version, from the inputs, for every year.

    Parameters
    ----------
    inputs
        The year inputs (:class:`geo.series.YearInput`: ``year``, ``values``).
    crosswalks
        The crosswalks of every year to the version's wijken (as returned by
        :func:`geo.series.harmonise`: ``source_year, source_code, target_code, weight,
        method``).
    units
        The wijken of the version (``code``, geometry): the area of an area is the sum of
        the areas of its wijken.
    levels
        The levels of the version (:func:`load_levels`).
    catalog
        Says per variable how it aggregates.
    version
        The version id written in the rows.

    Returns
    -------
    Long table: ``version, level, unit_code, unit_name, year, variable, value, lower, upper,
    status, interpolated_share, method, approximate, numerator, denominator``.
    """
    if not len(levels):
        return pd.DataFrame()
    wijk_area = _area_ha(units)
    frames = []
    for item in inputs:
        cw_year = crosswalks[crosswalks["source_year"] == item.year]
        for level in levels:
            area = wijk_area.groupby(wijk_area.index.map(level.lookup)).sum()
            area = area.reindex(level.areas["code"])
            cw = compose_crosswalk(cw_year, level.lookup)
            res = reaggregate(item.values, cw, catalog, area)
            res = _with_parts(res, ratio_parts(item.values, cw, catalog, area))
            res.insert(0, "version", version)
            res.insert(1, "level", level.id)
            res.insert(3, "unit_name", res["unit_code"].map(level.names()))
            res.insert(4, "year", item.year)
            frames.append(res)
    return pd.concat(frames, ignore_index=True)


def with_levels(results: pd.DataFrame, inputs, crosswalks: pd.DataFrame,
                units: gpd.GeoDataFrame, levels: Levels, catalog: Catalog, *,
                version: str) -> pd.DataFrame:
    """The wijk results of a version with ``level = "wijk"`` and their numerators and
    denominators, followed by the rows of every higher level (:func:`level_results`)."""
    wijk_area = _area_ha(units)
    frames = []
    for item in inputs:
        cw_year = crosswalks[crosswalks["source_year"] == item.year]
        frames.append(ratio_parts(item.values, cw_year, catalog, wijk_area)
                      .assign(year=item.year))
    parts = pd.concat(frames, ignore_index=True)
    wijk = results.copy()
    if "level" not in wijk:
        wijk.insert(1, "level", BASE_LEVEL)
    wijk = wijk.merge(parts, on=["unit_code", "year", "variable"], how="left")
    shown = wijk["status"].isin(["observed", "partial"]).to_numpy()
    for column in ("numerator", "denominator"):
        wijk[column] = np.where(shown, wijk[column].to_numpy(dtype=float), np.nan)
    higher = level_results(inputs, crosswalks, units, levels, catalog, version=version)
    return pd.concat([wijk, higher], ignore_index=True) if len(higher) else wijk


def level_layers(units: gpd.GeoDataFrame, levels: Levels) -> dict[str, gpd.GeoDataFrame]:
    """One polygon layer per higher level, ``level_<id>_<version>``: the wijken dissolved by
    the lookup, with ``code, name, level, version, geolevel, wijken`` (comma-separated codes),
    ``n_wijken`` and ``area_ha`` (the sum of the wijken's areas)."""
    out = {}
    codes = units["code"].astype(str)
    area = _area_ha(units).to_numpy()
    for level in levels:
        keyed = gpd.GeoDataFrame({"area": codes.map(level.lookup).to_numpy(), "wijk": codes,
                                  "area_ha": area}, geometry=units.geometry.values,
                                 crs=units.crs)
        shapes = keyed[["area", "geometry"]].dissolve(by="area")
        members = keyed.groupby("area").agg(wijken=("wijk", ",".join),
                                            n_wijken=("wijk", "size"),
                                            area_ha=("area_ha", "sum"))
        order = level.areas["code"]
        layer = gpd.GeoDataFrame({
            "code": order.to_numpy(), "name": level.areas["name"].to_numpy(),
            "level": level.id, "version": levels.version, "geolevel": level.geolevel,
            "wijken": members["wijken"].reindex(order).to_numpy(),
            "n_wijken": members["n_wijken"].reindex(order).to_numpy(),
            "area_ha": members["area_ha"].reindex(order).to_numpy(),
        }, geometry=_multi(shapes.geometry.reindex(order).values), crs=units.crs)
        out[f"level_{level.id}_{levels.version}"] = layer
    return out


def _multi(geoms) -> np.ndarray:
    """Every geometry as a MultiPolygon (one geometry type per layer, as QGIS expects), with
    the slits that generalised wijk boundaries leave inside a union closed (under 1 m)."""
    geoms = shapely.buffer(shapely.buffer(np.asarray(geoms), 0.5, join_style="mitre"), -0.5,
                           join_style="mitre")
    parts, index = shapely.get_parts(geoms, return_index=True)
    return shapely.multipolygons(parts, indices=index)


def level_lookup_table(units: gpd.GeoDataFrame, levels: Levels) -> pd.DataFrame:
    """The lookup of every level of a version as rows ``version, level, label, geolevel,
    wijk_code, wijk_name, area_code, area_name`` (the wijk level maps each wijk to itself)."""
    codes = units["code"].astype(str).to_numpy()
    names = units["name"].astype(str).to_numpy()
    frames = [pd.DataFrame({"version": levels.version, "level": BASE_LEVEL,
                            "label": levels.wijk_label, "geolevel": levels.wijk_geolevel,
                            "wijk_code": codes, "wijk_name": names, "area_code": codes,
                            "area_name": names})]
    for level in levels:
        area = pd.Series(codes).map(level.lookup)
        frames.append(pd.DataFrame({
            "version": levels.version, "level": level.id, "label": level.label,
            "geolevel": level.geolevel, "wijk_code": codes, "wijk_name": names,
            "area_code": area.to_numpy(), "area_name": area.map(level.names()).to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def level_classes_table(results: pd.DataFrame, indicators: pd.DataFrame,
                        maps_dir: Path) -> pd.DataFrame:
    """Map classes of every higher level (``level_classes``: the ``map_classes`` columns plus
    ``level``), computed like the wijk classes over all years of a version, so a kern map's
    colours compare kernen with kernen and stay comparable over time."""
    from geo.maps.classes import map_classes_table

    frames = []
    higher = results[results["level"].fillna(BASE_LEVEL) != BASE_LEVEL]
    for level, rows in higher.groupby("level", sort=False):
        table = map_classes_table(rows, indicators, maps_dir)
        if len(table):
            frames.append(table.assign(level=level))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["level", *[c for c in out.columns if c != "level"]]]


def level_partitions(levels_by_version: dict[str, Levels]) -> dict:
    """The higher levels of every version as the partitions other sources publish on
    (:func:`geo.records.atlas.atlas_records`): ``levels`` ``{(version, level): {wijk code:
    area code}}`` and ``level_names`` ``{area code: area name}``."""
    partitions: dict[tuple[str, str], dict[str, str]] = {}
    names: dict[str, str] = {}
    for vid, levels in levels_by_version.items():
        for level in levels:
            partitions[(str(vid), level.id)] = dict(level.lookup)
            names.update(level.names())
    return {"levels": partitions, "level_names": names}


def fill_parts(results: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """Numerator and denominator for published shares and means that a source wrote without
    them (register rates, survey shares): the denominator (or weight) is the count of the same
    version, level, unit and year in ``results``, the numerator value x denominator / per.

    Notes
    -----
    For a register rate :math:`r = c / D \times per` this gives back the count :math:`c`
    and the population :math:`D` the rate was computed from.
    """
    out = results.copy()
    specs = {c: catalog[c].spec for c in catalog.indicators}  # the registry, geo.kinds
    ref = {c: catalog[c].ref(specs[c].denominator) for c in catalog.indicators
           if specs[c].rule in ("weighted", "counts_ratio")}
    per = {c: (catalog[c].per if specs[c].scaled else 1.0) for c in ref}
    need = (out["variable"].isin(list(ref)) & out["numerator"].isna()
            & out["status"].isin(["observed", "partial"]) & out["value"].notna())
    if not need.any():
        return out
    keys = ["version", "level", "unit_code", "year"]
    counts = out[out["variable"].isin(set(ref.values())) & (out["status"] == "observed")
                 & (out["source"] == "cbs")]
    counts = counts.set_index([*keys, "variable"])["value"]
    counts = counts[~counts.index.duplicated()]
    rows = out.loc[need]
    idx = pd.MultiIndex.from_arrays([*(rows[k] for k in keys), rows["variable"].map(ref)])
    den = counts.reindex(idx).to_numpy(dtype=float)
    scale = rows["variable"].map(per).to_numpy(dtype=float)
    ok = np.isfinite(den)
    where = rows.index[ok]
    out.loc[where, "denominator"] = den[ok]
    out.loc[where, "numerator"] = rows["value"].to_numpy(dtype=float)[ok] * den[ok] / scale[ok]
    return out


def survey_levels(run, levels: Levels, level_units: dict[str, gpd.GeoDataFrame],
                  results: pd.DataFrame, *, version: str) -> list[pd.DataFrame]:
    """Survey figures on every higher level of a version, re-tabulated from the respondents.

    ``run(units, counts, version=...)`` is the atlas's survey run (:mod:`geo.survey.atlas`):
    the respondents are placed in the level's areas (the dissolved wijken), weighted to each
    area's population (the level's own reaggregated BRP counts in ``results``) and estimated
    there, never averaged from wijk estimates. A one-area level (the gemeente) is left to
    the survey's own total row.
    """
    out = []
    for level in levels:
        if len(level.areas) < 2:
            continue
        units = level_units[f"level_{level.id}_{version}"]
        rows, _ = run(units, results[results["level"] == level.id], version=version)
        rows.attrs.pop("weights", None)
        out.append(rows[rows["level"] != "gemeente"].assign(level=level.id))
    return out
