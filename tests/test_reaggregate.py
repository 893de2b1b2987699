"""Reaggregation by variable kind, suppression, bounds; properties; tobler side by side."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.catalog import load_catalog
from geo.crosswalk import build_crosswalk
from geo.reaggregate import reaggregate
from tests.helpers import grid

CATALOG = load_catalog()


def long(rows: dict[str, dict[str, float | str]]) -> pd.DataFrame:
    """{code: {variable: value or 'suppressed'/'missing'}} -> long values table."""
    out = []
    for code, values in rows.items():
        for variable, value in values.items():
            if isinstance(value, str):
                out.append((code, variable, np.nan, value))
            else:
                out.append((code, variable, float(value), "observed"))
    return pd.DataFrame(out, columns=["code", "variable", "value", "status"])


@pytest.fixture
def two_to_one():
    """U000 lies wholly in A; U001 is split half/half over A and B."""
    source = grid(2, 1, size=100)
    target = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["A", "B"]},
                              geometry=[shapely.box(140000, 410000, 140150, 410100),
                                        shapely.box(140150, 410000, 140200, 410100)],
                              crs="EPSG:28992")
    cw = build_crosswalk(source, target)
    area = pd.Series(target.area.to_numpy() / 1e4, index=target["code"])
    return cw, area


def result(res, unit, variable):
    return res[(res["unit_code"] == unit) & (res["variable"] == variable)].iloc[0]


def test_each_kind_aggregates_its_own_way(two_to_one):
    cw, area = two_to_one
    values = long({
        "U000": {"AANT_INW": 100, "P_65_EO_JR": 10, "WONINGEN": 50, "WOZ": 200,
                 "AANTAL_HH": 40, "M_INK_HH": 30},
        "U001": {"AANT_INW": 300, "P_65_EO_JR": 30, "WONINGEN": 150, "WOZ": 400,
                 "AANTAL_HH": 120, "M_INK_HH": 50},
    })
    res = reaggregate(values, cw, CATALOG, area)
    a_inw = result(res, "A", "AANT_INW")
    assert a_inw["value"] == pytest.approx(100 + 150)
    assert (a_inw["lower"], a_inw["upper"]) == (100, 400)
    assert a_inw["interpolated_share"] == pytest.approx(150 / 250)
    assert a_inw["method"] == "area+exact"
    # Share: re-derived from numerator and denominator, not averaged: (10 + 45) / 250.
    assert result(res, "A", "P_65_EO_JR")["value"] == pytest.approx(55 / 250 * 100)
    assert result(res, "B", "P_65_EO_JR")["value"] == pytest.approx(30)
    # Mean weighted by WONINGEN: (200*50 + 400*75) / 125.
    assert result(res, "A", "WOZ")["value"] == pytest.approx((200 * 50 + 400 * 75) / 125)
    med = result(res, "A", "M_INK_HH")
    assert med["approximate"] == 1 and med["lower"] == 30 and med["upper"] == 50
    # Density recomputed from the count and the target area (1.5 ha = 0.015 km2).
    assert result(res, "A", "BEV_DICHTH")["value"] == pytest.approx(250 / 0.015)
    total = res.loc[res["variable"] == "AANT_INW", "value"].sum()
    assert total == pytest.approx(400)


def test_suppressed_and_missing_never_become_zero(two_to_one):
    cw, area = two_to_one
    values = long({
        "U000": {"AANT_INW": 100, "A_SOZ_WB": 20, "AANTAL_HH": 0},
        "U001": {"AANT_INW": 300, "A_SOZ_WB": "suppressed", "AANTAL_HH": "missing"},
    })
    res = reaggregate(values, cw, CATALOG, area)
    a = result(res, "A", "A_SOZ_WB")
    assert a["status"] == "partial" and a["value"] == 20 and np.isnan(a["upper"])
    b = result(res, "B", "A_SOZ_WB")
    assert b["status"] == "suppressed" and np.isnan(b["value"])
    assert result(res, "B", "AANTAL_HH")["status"] == "missing"
    zero = result(res, "A", "AANTAL_HH")
    assert zero["status"] == "partial" and zero["value"] == 0  # a real 0 stays 0
    assert result(res, "A", "AANT_INW")["status"] == "observed"


def random_tessellation(seed: int, n: int, prefix: str) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    box = shapely.box(0, 0, 1000, 1000)
    pts = shapely.multipoints(rng.uniform(0, 1000, (n, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box)),
                                 box)
    cells = cells[shapely.area(cells) > 0]
    codes = [f"{prefix}{i}" for i in range(len(cells))]
    return gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=cells, crs="EPSG:28992")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_source=st.integers(2, 40), n_target=st.integers(1, 15),
       with_points=st.booleans())
def test_properties_on_random_tessellations(seed, n_source, n_target, with_points):
    source = random_tessellation(seed, n_source, "S")
    target = random_tessellation(seed + 1, n_target, "T")
    rng = np.random.default_rng(seed)
    points = None
    if with_points:
        points = gpd.GeoDataFrame(geometry=shapely.points(rng.uniform(0, 1000, (200, 2))),
                                  crs="EPSG:28992")
    cw = build_crosswalk(source, target, points=points)
    assert (cw["weight"] >= 0).all()
    assert np.allclose(cw.groupby("source_code")["weight"].sum(), 1.0)
    inw = rng.integers(0, 5000, len(source)).astype(float)
    p65 = rng.uniform(0, 40, len(source))
    values = long({c: {"AANT_INW": i, "P_65_EO_JR": p} for c, i, p in
                   zip(source["code"], inw, p65, strict=True)})
    area = pd.Series(target.area.to_numpy() / 1e4, index=target["code"])
    res = reaggregate(values, cw, CATALOG, area)
    counts = res[res["variable"] == "AANT_INW"]
    assert counts["value"].sum() == pytest.approx(inw.sum(), rel=1e-9)
    for frame in (counts, res[res["variable"] == "P_65_EO_JR"].dropna(subset=["value"])):
        assert (frame["lower"] <= frame["value"] + 1e-6).all()
        assert (frame["value"] <= frame["upper"] + 1e-6).all()
        assert frame["interpolated_share"].between(0, 1).all()


def test_area_weighted_counts_equal_tobler():
    from tobler.area_weighted import area_interpolate

    source = random_tessellation(7, 60, "S")
    target = random_tessellation(8, 12, "T")
    rng = np.random.default_rng(3)
    source["AANT_INW"] = rng.integers(0, 5000, len(source)).astype(float)
    source["WONINGEN"] = rng.integers(0, 2000, len(source)).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = area_interpolate(source, target, extensive_variables=["AANT_INW", "WONINGEN"],
                                  allocate_total=False)
    # Same input, pure area weights: no exact shortcut, no sliver filter.
    cw = build_crosswalk(source, target, exact_share=1.1, sliver_width=0.0)
    values = long({c: {"AANT_INW": a, "WONINGEN": w} for c, a, w in
                   zip(source["code"], source["AANT_INW"], source["WONINGEN"], strict=True)})
    area = pd.Series(target.area.to_numpy() / 1e4, index=target["code"])
    ours = reaggregate(values, cw, CATALOG, area)
    for variable in ("AANT_INW", "WONINGEN"):
        mine = ours[ours["variable"] == variable].set_index("unit_code")["value"]
        np.testing.assert_allclose(mine.loc[target["code"]].to_numpy(),
                                   theirs[variable].to_numpy(), rtol=1e-6)


def test_a_suppressed_buurt_that_gives_a_wijk_nothing_does_not_make_it_partial():
    source = grid(2, 1, size=100)  # U000 straddles L and R; U001 lies in R
    target = gpd.GeoDataFrame({"code": ["L", "R"], "name": ["L", "R"]},
                              geometry=[shapely.box(140000, 410000, 140050, 410100),
                                        shapely.box(140050, 410000, 140200, 410100)],
                              crs="EPSG:28992")
    points = gpd.GeoDataFrame(geometry=shapely.points([(140010, 410010), (140150, 410050)]),
                              crs="EPSG:28992")  # U000's only address lies in L
    cw = build_crosswalk(source, target, points=points)
    assert ((cw["source_code"] == "U000") & (cw["target_code"] == "R")
            & (cw["weight"] == 0)).any()
    values = long({"U000": {"A_SOZ_WB": "suppressed"}, "U001": {"A_SOZ_WB": 40}})
    res = reaggregate(values, cw, CATALOG, pd.Series([0.5, 1.5], index=["L", "R"]))
    r = result(res, "R", "A_SOZ_WB")
    assert r["status"] == "observed" and r["value"] == 40 and r["lower"] == 40
    assert np.isnan(r["upper"])  # U000's withheld value could still lie partly in R
    assert result(res, "L", "A_SOZ_WB")["status"] == "suppressed"
