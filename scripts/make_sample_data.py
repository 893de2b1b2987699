"""Make the SYNTHETIC sample data of the embedded default atlas (gemeente Heusden, GM0797).

Writes, deterministically (fixed seed), from the real CBS buurt geometry in ``layers/cbs/``:

* ``layers/adressen/adressen_GM0797.gpkg``: synthetic address points (layer ``adressen``,
  EPSG:28992: ``address_id``, ``bouwjaar``, ``woonfunctie``, ``personen``, ``kern``, and
  ``postcode``, ``huisnummer``, ``toevoeging``, ``bag_id`` from a separate seeded stream so
  the other columns and files do not change),
  concentrated in the kernen, with Geerpark growing from a handful of addresses (2008) to
  more than a thousand (2022). An address exists in year Y when ``bouwjaar <= Y``.
* ``layers/kerncijfers/kerncijfers_<year>_GM0797.csv`` for 2008-2013 and 2015-2022 (2014
  only exists as the broken coarse file and is skipped): buurt Kerncijfers in Wijk- en
  Buurtkaart style (``BU_CODE``, ``BU_NAAM``, catalog codes), aggregated from the points
  of that year inside that year's buurt polygons, scaled to the real gemeente facts
  (inhabitants 43,132 in 2015 and 44,135 in 2019, households 17,995 in 2015, men 21,585 and
  22,139, the 2019 age groups), with suppressed cells written as CBS writes them.
* ``tests/fixtures/statline/84583NED/*.json``: the 2019 values as the StatLine OData feed
  returns them, for the offline test of the ``cbsodata`` reader.

Nothing here is real except the geometry and the gemeente totals named above.
Run: ``python scripts/make_sample_data.py`` (about 10 s).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.catalog import load_catalog  # noqa: E402

SEED = 797
CBS_DIR = ROOT / "layers" / "cbs"
OUT_KWB = ROOT / "layers" / "kerncijfers"
OUT_ADR = ROOT / "layers" / "adressen"
OUT_STATLINE = ROOT / "tests" / "fixtures" / "statline" / "84583NED"
YEARS = [2008, 2009, 2010, 2011, 2012, 2013, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022]
LAST_BUILD_YEAR = 2024
GEERPARK_BOX = (141700, 410700, 143300, 411900)
SYNTHETIC_NOTE = "synthetische voorbeelddata, geen CBS-cijfers"

# Real facts (../shared/data/real/SOURCES.md)
INHABITANTS = {2015: 43132, 2019: 44135}
HOUSEHOLDS_2015 = 17995
MEN = {2015: 21585, 2019: 22139}
AGES_2015_PCT = np.array([17, 12, 23, 31, 18], dtype=float)
AGES_2019 = np.array([6882, 5136, 9786, 13335, 8996], dtype=float)
ADDRESSES = {2016: 18600, 2024: 20070}

# Clusters of the synthetic address points: 2011 CBS buurten (the old division separates the
# village cores from business parks and rural remainders). code: (kern, weight, kind)
CLUSTERS = {
    "BU07970000": ("Drunen", 1900, "kern"), "BU07970001": ("Drunen", 1500, "kern"),
    "BU07970002": ("Drunen", 2100, "kern"), "BU07970003": ("Drunen", 1700, "kern"),
    "BU07970100": ("Elshout", 550, "kern"), "BU07970200": ("Vlijmen", 4300, "kern"),
    "BU07970201": ("Vlijmen", 900, "kern"), "BU07970300": ("Nieuwkuijk", 1150, "kern"),
    "BU07970400": ("Haarsteeg", 1050, "kern"), "BU07970500": ("Heusden", 700, "kern"),
    "BU07970501": ("Oudheusden", 300, "kern"), "BU07970502": ("Herpt", 300, "kern"),
    "BU07970504": ("Hedikhuizen", 130, "kern"), "BU07970505": ("Heesbeen", 150, "kern"),
    "BU07970506": ("Doeveren", 140, "kern"),
    "BU07970004": ("Drunen", 120, "bedrijven"), "BU07970101": ("Elshout", 40, "bedrijven"),
    "BU07970202": ("Vlijmen", 15, "bedrijven"), "BU07970301": ("Nieuwkuijk", 60, "bedrijven"),
    "BU07970503": ("Heesbeen", 30, "bedrijven"), "BU07970507": ("Heusden", 40, "bedrijven"),
    "BU07970009": ("buitengebied", 450, "buiten"), "BU07970109": ("buitengebied", 200, "buiten"),
    "BU07970209": ("buitengebied", 300, "buiten"), "BU07970409": ("buitengebied", 150, "buiten"),
    "BU07970509": ("buitengebied", 250, "buiten"),
}
# New addresses in Geerpark per bouwjaar; the other kernen grow by INFILL a year.
GEERPARK_BUILT = {2009: 20, 2010: 40, 2011: 50, 2012: 60, 2013: 70, 2014: 80, 2015: 90,
                  2016: 100, 2017: 110, 2018: 120, 2019: 120, 2020: 110, 2021: 100,
                  2022: 90, 2023: 60, 2024: 40}
GEERPARK_OLD = 6
INFILL = 90
# Facilities for the distance indicators: (kind, 2011 cluster whose centre it sits in, from)
FACILITIES = [
    ("huisarts", "BU07970000", 0), ("huisarts", "BU07970003", 0), ("huisarts", "BU07970200", 0),
    ("huisarts", "BU07970201", 0), ("huisarts", "BU07970300", 0), ("huisarts", "BU07970400", 0),
    ("huisarts", "BU07970500", 0), ("huisarts", "BU07970100", 0), ("huisarts", "geerpark", 2018),
    ("supermarkt", "BU07970000", 0), ("supermarkt", "BU07970002", 0),
    ("supermarkt", "BU07970200", 0), ("supermarkt", "BU07970201", 0),
    ("supermarkt", "BU07970300", 0), ("supermarkt", "BU07970400", 0),
    ("supermarkt", "BU07970500", 0),
    *[("school", c, 0) for c in ("BU07970000", "BU07970001", "BU07970002", "BU07970003",
                                 "BU07970100", "BU07970200", "BU07970201", "BU07970300",
                                 "BU07970400", "BU07970500", "BU07970502", "BU07970505")],
    ("school", "geerpark", 2014),
]
GGD_YEARS = (2012, 2016, 2020)
WOZ = {2008: 285, 2009: 283, 2010: 279, 2011: 275, 2012: 265, 2013: 252, 2015: 243,
       2016: 246, 2017: 255, 2018: 271, 2019: 290, 2020: 310, 2021: 333, 2022: 374}


# --- geometry ----------------------------------------------------------------------------


def load_buurten(year: int) -> gpd.GeoDataFrame:
    """Real CBS buurten of Heusden for one year: ``code``, ``name``, ``geometry``."""
    gdf = gpd.read_file(CBS_DIR / f"cbs_buurten_{year}_GM0797.geojson")
    gdf = gdf.rename(columns={"statcode": "code", "statnaam": "name"})
    return gdf[["code", "name", "geometry"]].sort_values("code", ignore_index=True)


def geerpark_polygon() -> shapely.Geometry:
    """The Geerpark/de Grassen polygon of the atlas (2016 Vliedberg cut by a box)."""
    b = load_buurten(2016)
    vliedberg = b.loc[b.code == "BU07970503", "geometry"].iloc[0]
    return shapely.intersection(vliedberg, shapely.box(*GEERPARK_BOX))


def stable_area(layers: dict[int, gpd.GeoDataFrame]) -> shapely.Geometry:
    """Area inside Heusden in every year (points there fall in a buurt every year)."""
    unions = [shapely.union_all(g.geometry.to_numpy()) for g in layers.values()]
    return shapely.buffer(shapely.intersection_all(unions), -30)


def sample_points(area: shapely.Geometry, n: int, rng: np.random.Generator,
                  sigma: float | None = None) -> np.ndarray:
    """``n`` random (x, y) inside ``area``: uniform, or normal around its centre."""
    if n == 0:
        return np.empty((0, 2))
    xmin, ymin, xmax, ymax = area.bounds
    centre = shapely.point_on_surface(area)
    out = np.empty((0, 2))
    while len(out) < n:
        k = max(4 * n, 256)
        if sigma is None:
            xy = rng.uniform((xmin, ymin), (xmax, ymax), size=(k, 2))
        else:
            xy = rng.normal((centre.x, centre.y), sigma, size=(k, 2))
        inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[inside]])
    return np.round(out[:n], 1)


# --- address points ----------------------------------------------------------------------


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total``."""
    weights = np.asarray(weights, dtype=float)
    exact = weights / weights.sum() * total if weights.sum() > 0 else weights * 0
    base = np.floor(exact).astype(int)
    rest = int(total - base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:rest]] += 1
    return base


def make_addresses(rng: np.random.Generator, layers: dict[int, gpd.GeoDataFrame]
                   ) -> gpd.GeoDataFrame:
    """Synthetic address points with bouwjaar, woonfunctie, personen and hidden traits."""
    old = load_buurten(2011).set_index("code")
    geerpark = geerpark_polygon()
    stable = stable_area(layers)
    infill_total = INFILL * (LAST_BUILD_YEAR - 2008 + 1)
    n_geerpark_new = sum(GEERPARK_BUILT.values())
    n_old = ADDRESSES[LAST_BUILD_YEAR] - infill_total - n_geerpark_new - GEERPARK_OLD
    codes = list(CLUSTERS)
    n_per = largest_remainder(np.array([CLUSTERS[c][1] for c in codes]), n_old)
    kern_codes = [c for c in codes if CLUSTERS[c][2] == "kern"]
    infill_per = largest_remainder(np.array([CLUSTERS[c][1] for c in kern_codes]),
                                   infill_total)
    infill_years = np.repeat(np.arange(2008, LAST_BUILD_YEAR + 1), INFILL)
    rng.shuffle(infill_years)
    parts, start = [], 0
    for code, n in zip(codes, n_per, strict=True):
        kern, _, kind = CLUSTERS[code]
        area = shapely.intersection(shapely.difference(old.loc[code, "geometry"], geerpark),
                                    stable)
        sigma = 0.35 * np.sqrt(area.area) if area.area > 2.0e6 and kind == "kern" else None
        n_new = infill_per[kern_codes.index(code)] if code in kern_codes else 0
        xy = sample_points(area, n + n_new, rng, sigma)
        bouwjaar = _old_bouwjaar(rng, n, kern)
        if n_new:
            bouwjaar = np.concatenate([bouwjaar, infill_years[start:start + n_new]])
            start += n_new
        parts.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "bouwjaar": bouwjaar,
                                   "kern": kern, "cluster": kind}))
    area = shapely.intersection(geerpark, stable)
    built = np.concatenate([np.full(GEERPARK_OLD, 1930)] +
                           [np.full(n, y) for y, n in GEERPARK_BUILT.items()])
    built[:GEERPARK_OLD] = rng.integers(1880, 1975, GEERPARK_OLD)
    xy = sample_points(area, len(built), rng)
    parts.append(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "bouwjaar": built,
                               "kern": "Geerpark", "cluster": "geerpark"}))
    pts = pd.concat(parts, ignore_index=True)
    pts.loc[(pts.kern == "Geerpark") & (pts.bouwjaar < 2008), "cluster"] = "buiten"

    n = len(pts)
    p_res = pts.cluster.map({"kern": 0.99, "bedrijven": 0.10, "buiten": 0.95,
                             "geerpark": 0.985}).to_numpy()
    woon = (rng.random(n) < p_res).astype(int)
    family = pts.cluster.eq("geerpark") | (pts.bouwjaar >= 2008)
    sizes = np.arange(1, 7)
    pers = np.where(family,
                    rng.choice(sizes, n, p=[0.12, 0.30, 0.20, 0.26, 0.09, 0.03]),
                    rng.choice(sizes, n, p=[0.28, 0.34, 0.14, 0.16, 0.06, 0.02]))
    pts["woonfunctie"] = woon
    pts["personen"] = np.where(woon == 1, pers, 0)
    # Hidden traits (not written): neighbourhood wealth, age tilt and tenure.
    kern_wealth = {"Heusden": 0.5, "Herpt": 0.3, "Doeveren": 0.3, "Heesbeen": 0.2,
                   "Hedikhuizen": 0.3, "Elshout": 0.25, "Oudheusden": 0.2, "Geerpark": 0.35,
                   "buitengebied": 0.4, "Drunen": -0.05, "Vlijmen": -0.1,
                   "Nieuwkuijk": 0.05, "Haarsteeg": 0.1}
    cluster_noise = {c: rng.normal(0, 0.15) for c in pts.kern.unique()}
    pts["wealth"] = (pts.kern.map(kern_wealth).fillna(0) + pts.kern.map(cluster_noise)
                     + rng.normal(0, 0.3, n))
    pts["age_tilt"] = (pts.kern.map({"Heusden": 0.6, "Herpt": 0.3, "Hedikhuizen": 0.4,
                                     "Heesbeen": 0.3, "Doeveren": 0.3}).fillna(0.0)
                       - 1.0 * family + rng.normal(0, 0.5, n))
    p_koop = np.clip(0.66 + 0.25 * pts.wealth + 0.15 * family, 0.05, 0.97)
    u = rng.random(n)
    pts["tenure"] = np.where(u < p_koop, "koop", np.where(u < p_koop + 0.012, "onbekend",
                                                          "huur"))
    pts = pts.sort_values(["bouwjaar", "x", "y"], ignore_index=True)
    pts["address_id"] = [f"0797200000{i:06d}" for i in range(1, n + 1)]
    return gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts.x, pts.y),
                            crs="EPSG:28992")


def _old_bouwjaar(rng: np.random.Generator, n: int, kern: str) -> np.ndarray:
    """Build years of the stock that existed before 2008."""
    if kern in ("Heusden", "Herpt", "Doeveren", "Hedikhuizen", "Heesbeen"):
        lo, hi, p = [1600, 1900, 1946, 1971, 1991], [1900, 1946, 1971, 1991, 2008], \
            [0.25, 0.2, 0.2, 0.2, 0.15]
    else:
        lo, hi, p = [1850, 1946, 1971, 1991], [1946, 1971, 1991, 2008], [0.06, 0.27, 0.4, 0.27]
    era = rng.choice(len(p), n, p=p)
    return rng.integers(np.array(lo)[era], np.array(hi)[era])


# Synthetic PC4 per kern (Geerpark shares Vlijmen's 5251, so PC6 areas cross the boundary of
# Geerpark/de Grassen); Drunen and Vlijmen are split in two at the median x.
PC4 = {"Drunen": ("5151", "5152"), "Vlijmen": ("5251", "5252"), "Geerpark": ("5251",),
       "Nieuwkuijk": ("5253",), "Haarsteeg": ("5254",), "Elshout": ("5154",),
       "Oudheusden": ("5156",), "Heusden": ("5256",), "Herpt": ("5256",),
       "Hedikhuizen": ("5256",), "Heesbeen": ("5256",), "Doeveren": ("5256",)}
PC6_CELL = 150.0  # m: addresses of one PC6 lie in one cell of this grid ...
PC6_MAX = 25  # ... at most this many per PC6
LETTERS2 = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            if a + b not in ("SA", "SD", "SS")]


def postcodes(pts: gpd.GeoDataFrame, seed: int = SEED) -> pd.DataFrame:
    """Synthetic ``postcode`` (PC6), ``huisnummer``, ``toevoeging`` and ``bag_id`` (BAG
    verblijfsobject id style) for the address points, from their own seeded stream."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng([seed, 6])
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    kern = pts["kern"].to_numpy()
    pc4 = np.empty(len(pts), dtype=object)
    for name, codes in PC4.items():
        sel = kern == name
        pc4[sel] = codes[0]
        if len(codes) == 2:
            pc4[sel & (x >= np.median(x[sel]))] = codes[1]
    rural = kern == "buitengebied"
    tree = cKDTree(np.c_[x[~rural], y[~rural]])
    _, nearest = tree.query(np.c_[x[rural], y[rural]])
    pc4[rural] = pc4[~rural][nearest]
    frame = pd.DataFrame({"pc4": pc4, "cx": np.floor(x / PC6_CELL).astype(int),
                          "cy": np.floor(y / PC6_CELL).astype(int), "x": x, "y": y})
    frame = frame.sort_values(["pc4", "cy", "cx", "x", "y"], kind="stable")
    group = frame.groupby(["pc4", "cy", "cx"], sort=False).cumcount() // PC6_MAX
    key = frame["pc4"] + ":" + frame["cy"].astype(str) + ":" + frame["cx"].astype(str) + \
        ":" + group.astype(str)
    rank = key.groupby(frame["pc4"], sort=False).transform(
        lambda k: pd.factorize(k)[0])
    frame["postcode"] = frame["pc4"] + np.array(LETTERS2, dtype=object)[rank.to_numpy()]
    shared = rng.random(len(frame)) < 0.05  # 12, 12A: several units at one number
    first = frame["postcode"].ne(frame["postcode"].shift())
    step = (~shared | first.to_numpy()).astype(int)
    frame["huisnummer"] = pd.Series(step, index=frame.index).groupby(
        frame["postcode"], sort=False).cumsum()
    sub = frame.groupby(["postcode", "huisnummer"], sort=False).cumcount().to_numpy()
    frame["toevoeging"] = np.where(sub == 0, "", np.array(list(" ABCDEFGH"))[np.minimum(sub, 8)])
    frame = frame.sort_index()
    return pd.DataFrame({"postcode": frame["postcode"].to_numpy(),
                         "huisnummer": frame["huisnummer"].to_numpy(dtype=int),
                         "toevoeging": frame["toevoeging"].to_numpy(),
                         "bag_id": [f"0797010000{i:06d}" for i in range(1, len(pts) + 1)]})


# --- gemeente trends ---------------------------------------------------------------------


def inhabitants_total(year: int) -> int:
    """Gemeente inhabitants: real in 2015 and 2019, plausible in between and beyond."""
    if year <= 2015:
        return round(42600 + (INHABITANTS[2015] - 42600) * (year - 2008) / 7)
    if year <= 2019:
        return round(INHABITANTS[2015] + (INHABITANTS[2019] - INHABITANTS[2015])
                     * (year - 2015) / 4)
    return INHABITANTS[2019] + 300 * (year - 2019)


def households_total(year: int, inhabitants: int) -> int:
    if year == 2015:
        return HOUSEHOLDS_2015
    size = INHABITANTS[2015] / HOUSEHOLDS_2015 - 0.008 * (year - 2015)
    return round(inhabitants / size)


def men_total(year: int, inhabitants: int) -> int:
    if year in MEN:
        return MEN[year]
    r15, r19 = MEN[2015] / INHABITANTS[2015], MEN[2019] / INHABITANTS[2019]
    ratio = r15 + (r19 - r15) * np.clip((year - 2015) / 4, 0, 1.5)
    return round(ratio * inhabitants)


def age_totals(year: int, inhabitants: int) -> np.ndarray:
    if year == 2019:
        return AGES_2019.astype(int)
    s15 = AGES_2015_PCT / AGES_2015_PCT.sum()
    s19 = AGES_2019 / AGES_2019.sum()
    share = np.clip(s15 + (s19 - s15) * (year - 2015) / 4, 0.05, None)
    return largest_remainder(share, inhabitants)


# --- rounding with two margins -----------------------------------------------------------


def round_matrix(expected: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Integer matrix near ``expected`` whose row and column sums are ``rows``, ``cols``."""
    m = np.asarray(expected, dtype=float).copy()
    for _ in range(200):  # iterative proportional fitting
        m *= (rows / np.maximum(m.sum(axis=1), 1e-12))[:, None]
        m *= (cols / np.maximum(m.sum(axis=0), 1e-12))[None, :]
    out = np.floor(m).astype(int)
    frac = m - out
    row_def = rows - out.sum(axis=1)
    col_def = cols - out.sum(axis=0)
    for flat in np.argsort(-frac, axis=None, kind="stable"):
        i, j = divmod(int(flat), m.shape[1])
        if row_def[i] > 0 and col_def[j] > 0:
            out[i, j] += 1
            row_def[i] -= 1
            col_def[j] -= 1
    while row_def.sum() > 0:  # leftovers: any cell of a row and column still short
        i, j = int(np.argmax(row_def > 0)), int(np.argmax(col_def > 0))
        out[i, j] += 1
        row_def[i] -= 1
        col_def[j] -= 1
    return out


# --- Kerncijfers per year ----------------------------------------------------------------


def kerncijfers(year: int, buurten: gpd.GeoDataFrame, pts: gpd.GeoDataFrame,
                facilities: pd.DataFrame) -> pd.DataFrame:
    """Buurt Kerncijfers of one year (NaN = suppressed or missing, see ``status``)."""
    rng = np.random.default_rng([SEED, year])
    now = pts[pts.bouwjaar <= year]
    joined = gpd.sjoin(now, buurten[["code", "geometry"]], predicate="within", how="left")
    if joined.code.isna().any():
        raise RuntimeError(f"{int(joined.code.isna().sum())} points outside buurten {year}")
    res = joined[joined.woonfunctie == 1].copy()
    res["new"] = res.bouwjaar >= 2000
    for kind in ("huisarts", "supermarkt", "school"):
        fac = facilities[(facilities.kind == kind) & (facilities["from"] <= year)]
        tree = shapely.STRtree(fac.geometry.to_numpy())
        _, dist = tree.query_nearest(res.geometry.to_numpy(), return_distance=True,
                                     all_matches=False)
        res[kind] = dist * 1.3 / 1000 + 0.2  # km over the road, roughly
    w = res.personen.to_numpy(dtype=float)
    res = res.assign(**{f"w_{c}": res[c] * w for c in
                        ("wealth", "age_tilt", "huisarts", "supermarkt", "school")})
    g = res.groupby("code")
    b = buurten[["code", "name"]].set_index("code")
    b["pers"] = g.personen.sum()
    b["res"] = g.size()
    b["nonres"] = joined[joined.woonfunctie == 0].groupby("code").size()
    b["new_pers"] = res[res.bouwjaar >= 2008].groupby("code").personen.sum()
    for c in ("wealth", "age_tilt", "huisarts", "supermarkt", "school"):
        b[c] = g[f"w_{c}"].sum() / b["pers"]
    b["koop"] = g.tenure.apply(lambda s: (s == "koop").mean())
    b["huur"] = g.tenure.apply(lambda s: (s == "huur").mean())
    b["bj2k"] = g.new.mean()
    b = b.fillna({"pers": 0, "res": 0, "nonres": 0, "new_pers": 0})
    b[["wealth", "age_tilt"]] = b[["wealth", "age_tilt"]].fillna(0.0)
    b["area_km2"] = buurten.set_index("code").area / 1e6
    frac_new = (b.new_pers / b.pers.where(b.pers > 0)).fillna(0).to_numpy()
    tilt = b.age_tilt.to_numpy()
    wealth = b.wealth.to_numpy()

    out = pd.DataFrame(index=b.index)
    out["BU_NAAM"] = b.name
    total = inhabitants_total(year)
    inh = largest_remainder(b.pers.to_numpy(), total)
    out["AANT_INW"] = inh
    male = 0.5 + rng.normal(0, 0.006, len(b))
    mw = round_matrix(np.c_[inh * male, inh * (1 - male)], inh,
                      np.array([men_total(year, total), total - men_total(year, total)]))
    out["AANT_MAN"], out["AANT_VROUW"] = mw[:, 0], mw[:, 1]
    base = age_totals(year, total) / total
    beta = np.array([-0.25, -0.1, -0.2, 0.05, 0.45])
    gamma = np.array([0.9, -0.3, 0.8, -0.3, -1.0])
    shares = base * np.exp(np.outer(tilt, beta) + np.outer(frac_new, gamma)
                           + rng.normal(0, 0.05, (len(b), 5)))
    ages = round_matrix(shares * inh[:, None], inh, age_totals(year, total))
    for j, code in enumerate(("A_00_14", "A_15_24", "A_25_44", "A_45_64", "A_65_OO")):
        out[code] = ages[:, j]
    safe_inh = np.maximum(inh, 1)
    out["P_00_14_JR"] = np.round(100 * ages[:, 0] / safe_inh)
    out["P_65_EO_JR"] = np.round(100 * ages[:, 4] / safe_inh)

    hh_total = households_total(year, total)
    size = (total / hh_total) * np.exp(0.12 * frac_new - 0.06 * tilt
                                       + rng.normal(0, 0.02, len(b)))
    hh = largest_remainder(inh / size, hh_total)
    out["AANTAL_HH"] = hh
    gem = inh / np.maximum(hh, 1)
    out["P_EENP_HH"] = np.clip(np.round(27 - 45 * (gem - total / hh_total)
                                        + rng.normal(0, 1.5, len(b))), 3, 80)
    out["P_HH_M_K"] = np.clip(np.round(39 + 50 * (gem - total / hh_total)
                                       + rng.normal(0, 1.5, len(b))), 3, 80)
    out["GEM_HH_GR"] = np.round(gem, 1)
    out["BEV_DICHTH"] = np.round(inh / b.area_km2.to_numpy())

    out["WONINGEN"] = b.res.astype(int)
    out["WOZ"] = np.round(WOZ[year] * np.exp(0.25 * wealth + rng.normal(0, 0.03, len(b))))
    out["P_KOOPWON"] = np.round(100 * b.koop.fillna(0).to_numpy())
    out["P_HUURWON"] = np.round(100 * b.huur.fillna(0).to_numpy())
    out["P_BOUWJ_2K"] = np.round(100 * b.bj2k.fillna(0).to_numpy())

    young = ages[:, 0]
    out["A_INKONTV"] = np.round((inh - young) * 0.93)
    ink_pi = (24.0 + 0.45 * (year - 2008)) * np.exp(0.3 * wealth + rng.normal(0, 0.03, len(b)))
    out["G_INK_PI"] = np.round(ink_pi, 1)
    out["G_INK_PO"] = np.round(ink_pi * inh / np.maximum(out.A_INKONTV, 1), 1)
    out["M_INK_HH"] = np.round((22.0 + 0.5 * (year - 2008))
                               * np.exp(0.25 * wealth + rng.normal(0, 0.03, len(b))), 1)
    out["M_HH_VERM"] = np.round((150.0 - 4 * (year - 2008) + 9 * max(year - 2015, 0))
                                * np.exp(0.6 * wealth + rng.normal(0, 0.08, len(b))))
    bijstand = inh * 0.0146 * (1 + 0.02 * (year - 2015)) * np.exp(-0.8 * wealth)
    bijstand = rng.poisson(bijstand)
    out["A_SOZ_WB"] = np.round(bijstand, -1)
    out["A_BEDV"] = np.round(0.06 * inh + 3 * b.nonres.to_numpy() + rng.poisson(3, len(b)))
    out["AF_ARTSPR"] = np.round(b.huisarts.to_numpy(), 1)
    out["AF_SUPERM"] = np.round(b.supermarkt.to_numpy(), 1)
    out["AF_ONDBAS"] = np.round(b.school.to_numpy(), 1)

    p65 = 100 * ages[:, 4] / safe_inh
    noise = rng.normal(0, 1.2, (len(b), 8))
    out["P_GEZ_GOED"] = np.round(78 + 6 * wealth - 0.2 * (p65 - 18) + noise[:, 0])
    out["P_OVERGEW"] = np.round(50 - 4 * wealth + 0.1 * (p65 - 18) + noise[:, 1])
    out["P_EENZ_65"] = np.round(9 - 3 * wealth + noise[:, 2])
    out["P_MANTELZ"] = np.round(16 + 2 * tilt + noise[:, 3])
    # The resident-survey figures (P_VRIJWIL, C_WOONOMG, ...) are no longer buurt shares: they
    # come from the respondent files of scripts/make_survey_data.py. This draw stays so the
    # random stream (and every other value) is unchanged.
    rng.normal(0, 0.08, len(b))
    crime = inh * (0.055 - 0.0013 * (year - 2008)) * (1 + 0.8 * b.nonres.to_numpy()
                                                     / np.maximum(b.res.to_numpy(), 1))
    out["A_MISDR"] = rng.poisson(crime + 2)
    out["A_INBRAAK"] = rng.poisson(b.res.to_numpy() * (0.007 - 0.0003 * (year - 2008)) + 0.2)
    out["G_MISDR_1K"] = np.round(1000 * out.A_MISDR / safe_inh, 1)

    status = pd.DataFrame("observed", index=out.index, columns=out.columns.drop("BU_NAAM"))
    few_inh = inh < 100
    few_res = b.res.to_numpy() < 20
    status.loc[few_inh, ["P_00_14_JR", "P_65_EO_JR", "P_EENP_HH", "P_HH_M_K", "GEM_HH_GR",
                         "G_INK_PI", "G_INK_PO", "M_INK_HH", "G_MISDR_1K", "AF_ARTSPR",
                         "AF_SUPERM", "AF_ONDBAS"]] = "suppressed"
    status.loc[few_res, ["WOZ", "P_KOOPWON", "P_HUURWON", "P_BOUWJ_2K"]] = "suppressed"
    status.loc[hh < 100, "M_HH_VERM"] = "suppressed"
    status.loc[bijstand < 10, "A_SOZ_WB"] = "suppressed"
    status.loc[inh < 50, ["P_GEZ_GOED", "P_OVERGEW", "P_EENZ_65", "P_MANTELZ"]] = "suppressed"
    if year == 2022:  # incomes are published two years late
        status[["A_INKONTV", "G_INK_PI", "G_INK_PO", "M_INK_HH", "M_HH_VERM"]] = "missing"
    if year < 2011:  # wealth statistics start in 2011
        status["M_HH_VERM"] = "missing"
    if year not in GGD_YEARS:
        status[["P_GEZ_GOED", "P_OVERGEW", "P_EENZ_65", "P_MANTELZ"]] = "missing"
    out.attrs["status"] = status
    return out


# --- writing -----------------------------------------------------------------------------


def _atomic_write(path: Path, write) -> None:
    """``write(tmp)`` then rename onto ``path`` (geo.atomic: nothing half-written)."""
    from geo.atomic import atomic_path

    with atomic_path(path) as tmp:
        write(tmp)


def write_kerncijfers(year: int, table: pd.DataFrame, catalog, path: Path) -> None:
    """Write one year as CBS writes a Wijk- en Buurtkaart attribute table (with sentinels).

    CBS variables get -99999999 (geheim) / -99999997 (niet beschikbaar) up to 2016 and
    -99997 / -99995 from 2017; GGD variables are left empty in years without a
    GGD survey and get the same geheim code where too few people answered.
    """
    suppressed, missing = (-99999999, -99999997) if year <= 2016 else (-99997, -99995)
    status = table.attrs["status"]
    cols = {"BU_CODE": table.index, "BU_NAAM": table.BU_NAAM}
    for ind in catalog:
        values = table[ind.code].astype(float)
        if ind.decimals == 0:
            text = values.round().astype("Int64").astype(str)
        else:
            text = values.map(lambda v, d=ind.decimals: f"{v:.{d}f}")
        is_cbs = ind.source.startswith("CBS")
        text = text.where(status[ind.code] != "suppressed", str(suppressed))
        text = text.where(status[ind.code] != "missing", str(missing) if is_cbs else "")
        cols[ind.code] = text.to_numpy()
    frame = pd.DataFrame(cols)
    frame["SYNTHETISCH"] = SYNTHETIC_NOTE
    _atomic_write(path, lambda p: frame.to_csv(p, index=False, lineterminator="\n"))


def write_statline_fixture(table: pd.DataFrame, out: Path) -> None:
    """The 2019 buurten as the StatLine OData feed (ODataFeed, untyped) returns them."""
    feed = "https://opendata.cbs.nl/ODataFeed/odata/84583NED"
    columns = [("AantalInwoners_5", "AANT_INW"), ("Mannen_6", "AANT_MAN"),
               ("Vrouwen_7", "AANT_VROUW"), ("k_0Tot15Jaar_8", "A_00_14"),
               ("k_65JaarOfOuder_12", "A_65_OO"), ("Ongehuwd_13", None),
               ("HuishoudensTotaal_28", "AANTAL_HH"),
               ("GemiddeldeHuishoudensgrootte_32", "GEM_HH_GR"),
               ("Woningvoorraad_34", "WONINGEN"), ("GemiddeldeWoningwaarde_35", "WOZ"),
               ("Koopwoningen_40", "P_KOOPWON"),
               ("PersonenPerSoortUitkeringBijstand_74", "A_SOZ_WB")]
    status = table.attrs["status"]
    rows = []
    for i, (code, row) in enumerate(table.iterrows()):
        rec = {"ID": 12000 + i, "WijkenEnBuurten": code,
               "Gemeentenaam_1": "Heusden".ljust(40), "SoortRegio_2": "Buurt".ljust(10),
               "Codering_3": code, "IndelingswijzigingWijkenEnBuurten_4": "1"}
        for name, var in columns:
            if var is None:
                rec[name] = f"{int(row.AANT_INW * 0.42):>10}"
            elif status.loc[code, var] != "observed":
                rec[name] = "         ."
            elif var == "GEM_HH_GR":
                rec[name] = f"{row[var]:>10.1f}"
            else:
                rec[name] = f"{int(row[var]):>10}"
        rows.append(rec)
    names = ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties",
             "CategoryGroups", "WijkenEnBuurten"]
    files = {
        "index": {"odata.metadata": f"{feed}/$metadata",
                  "value": [{"name": n, "url": f"{feed}/{n}"} for n in names]},
        "TableInfos": {"odata.metadata": f"{feed}/$metadata#Cbs.OData.TableInfos",
                       "value": [{"ID": 0, "Title": "Kerncijfers wijken en buurten 2019",
                                  "Identifier": "84583NED", "Period": "2019",
                                  "Summary": "SYNTHETISCHE fixture in StatLine-formaat"}]},
        "UntypedDataSet": {"odata.metadata": f"{feed}/$metadata#Cbs.OData.UntypedDataSet",
                           "value": rows},
        "DataProperties": {"odata.metadata": f"{feed}/$metadata#Cbs.OData.DataProperties",
                           "value": [{"ID": k, "Key": n, "Type": "Topic", "Title": n}
                                     for k, (n, _) in enumerate(columns)]},
        "CategoryGroups": {"odata.metadata": f"{feed}/$metadata#Cbs.OData.CategoryGroups",
                           "value": []},
        "WijkenEnBuurten": {"odata.metadata": f"{feed}/$metadata#Cbs.OData.WijkenEnBuurten",
                            "value": [{"Key": c, "Title": n, "Description": None,
                                       "DetailRegionCode": c}
                                      for c, n in table.BU_NAAM.items()]},
    }
    for name, content in files.items():
        _atomic_write(out / f"{name}.json",
                      lambda p, c=content: p.write_text(json.dumps(c, indent=1,
                                                                   ensure_ascii=False)))


def main() -> None:
    """Generate everything (deterministic) and print the gemeente totals."""
    catalog = load_catalog()
    rng = np.random.default_rng(SEED)
    layers = {y: load_buurten(y) for y in YEARS}
    pts = make_addresses(rng, layers)
    old = load_buurten(2011).set_index("code")
    centres = {c: shapely.point_on_surface(g) for c, g in old.geometry.items()}
    centres["geerpark"] = shapely.point_on_surface(geerpark_polygon())
    facilities = gpd.GeoDataFrame(
        [{"kind": k, "from": f, "geometry": centres[c]} for k, c, f in FACILITIES],
        crs="EPSG:28992")
    for year in YEARS:
        table = kerncijfers(year, layers[year], pts, facilities)
        write_kerncijfers(year, table, catalog, OUT_KWB / f"kerncijfers_{year}_GM0797.csv")
        if year == 2019:
            write_statline_fixture(table, OUT_STATLINE)
        geer = int(((pts.kern == "Geerpark") & (pts.bouwjaar <= year)).sum())
        print(f"{year}: inwoners {table.AANT_INW.sum()}, huishoudens {table.AANTAL_HH.sum()}, "
              f"adressen {int((pts.bouwjaar <= year).sum())}, Geerpark {geer}")
    adr = pts[["address_id", "bouwjaar", "woonfunctie", "personen", "kern", "geometry"]]
    codes = postcodes(adr)
    adr = adr.assign(**{c: codes[c].to_numpy() for c in codes.columns})
    adr = adr[[c for c in adr.columns if c != "geometry"] + ["geometry"]]
    _atomic_write(OUT_ADR / "adressen_GM0797.gpkg",
                  lambda p: adr.to_file(p, layer="adressen", driver="GPKG",
                                        layer_options={"DESCRIPTION": "SYNTHETIC: "
                                                       + SYNTHETIC_NOTE}))
    print(f"adressen: {len(adr)} points, 2016: {int((pts.bouwjaar <= 2016).sum())}, "
          f"2024: {int((pts.bouwjaar <= 2024).sum())}")


if __name__ == "__main__":
    main()
