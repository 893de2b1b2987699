"""Crosswalks on constructed cases and on the real CBS redivisions."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.crosswalk import build_crosswalk, raster_points
from geo.errors import WijkatlasError
from geo.sources import load_cbs_buurten
from tests.helpers import CBS, grid


def weights(cw) -> dict[tuple[str, str], float]:
    return {(s, t): w for s, t, w in zip(cw["source_code"], cw["target_code"], cw["weight"],
                                         strict=True)}


def test_nested_sources_are_exact_and_split_sources_area_weighted():
    source = grid(4, 1, size=100)  # U000..U003
    target = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["A", "B"]},
                              geometry=[shapely.box(140000, 410000, 140150, 410100),
                                        shapely.box(140150, 410000, 140400, 410100)],
                              crs="EPSG:28992")
    cw = build_crosswalk(source, target)
    w = weights(cw)
    assert w[("U000", "A")] == 1.0
    assert w[("U001", "A")] == pytest.approx(0.5) and w[("U001", "B")] == pytest.approx(0.5)
    assert w[("U002", "B")] == w[("U003", "B")] == 1.0
    assert set(cw.loc[cw["weight"] == 1.0, "method"]) == {"exact"}
    assert set(cw.loc[cw["weight"] < 1.0, "method"]) == {"area"}
    assert np.allclose(cw.groupby("source_code")["weight"].sum(), 1.0)


def test_address_points_decide_the_split_and_raster_is_the_fallback(tmp_path):
    source = grid(2, 1, size=100)
    target = gpd.GeoDataFrame({"code": ["L", "R"], "name": ["L", "R"]},
                              geometry=[shapely.box(140000, 410000, 140050, 410100),
                                        shapely.box(140050, 410000, 140200, 410100)],
                              crs="EPSG:28992")
    # U000 (half in L, half in R by area) has 3 addresses in L and 1 in R; U001 lies in R.
    pts = gpd.GeoDataFrame(geometry=shapely.points([(140010, 410010), (140020, 410020),
                                                    (140030, 410030), (140070, 410050)]),
                           crs="EPSG:28992")
    w = weights(build_crosswalk(source, target, points=pts))
    assert w[("U000", "L")] == pytest.approx(0.75) and w[("U000", "R")] == pytest.approx(0.25)
    # Without points in the source, a density raster decides; without either, area.
    import rasterio
    from rasterio.transform import from_origin

    raster = tmp_path / "density.tif"
    data = np.zeros((10, 20), dtype="float32")
    data[:, 0:5] = 1.0  # all density in the left 50 m
    with rasterio.open(raster, "w", driver="GTiff", height=10, width=20, count=1,
                       dtype="float32", crs="EPSG:28992",
                       transform=from_origin(140000, 410100, 10, 10)) as dst:
        dst.write(data, 1)
    cw = build_crosswalk(source, target, raster=raster_points(raster))
    assert weights(cw)[("U000", "L")] == pytest.approx(1.0)
    assert set(cw.loc[cw["source_code"] == "U000", "method"]) == {"raster"}


def test_crs_mismatch_and_geographic_crs_are_refused():
    source, target = grid(2, 2), grid(1, 1, size=200, prefix="T")
    with pytest.raises(WijkatlasError, match="differs"):
        build_crosswalk(source, target.to_crs(4326))
    with pytest.raises(WijkatlasError, match="geographic CRS"):
        build_crosswalk(source.to_crs(4326), target.to_crs(4326))


def test_duplicate_source_codes_are_refused():
    source = grid(2, 1)
    source.loc[1, "code"] = "U000"
    with pytest.raises(WijkatlasError, match="duplicate codes: U000"):
        build_crosswalk(source, grid(1, 1, size=200, prefix="T"))


def test_heusden_2011_to_2012_follows_reused_codes_by_geometry():
    b11 = load_cbs_buurten(CBS / "cbs_buurten_2011_GM0797.geojson")
    b12 = load_cbs_buurten(CBS / "cbs_buurten_2012_GM0797.geojson")
    w = weights(build_crosswalk(b11, b12))
    # BU07970101 was business park Meeuwaert in 2011: it went wholly to 2012's Elshout
    # (BU07970200), not to 2012's BU07970101 Braken-West.
    assert w[("BU07970101", "BU07970200")] == 1.0
    assert ("BU07970101", "BU07970101") not in w
    # 0509 Buitengebied Heusden was split over Herpt (40 %), Oudheusden (38 %), Hedikhuizen (14 %).
    assert w[("BU07970509", "BU07970900")] == pytest.approx(0.40, abs=0.02)
    assert w[("BU07970509", "BU07971100")] == pytest.approx(0.38, abs=0.02)
    assert w[("BU07970509", "BU07970700")] == pytest.approx(0.14, abs=0.02)


def test_loon_op_zand_2012_to_2013_no_code_kept():
    b12 = load_cbs_buurten(CBS / "cbs_buurten_2012_GM0809.geojson")
    b13 = load_cbs_buurten(CBS / "cbs_buurten_2013_GM0809.geojson")
    assert not set(b12["code"]) & set(b13["code"])
    cw = build_crosswalk(b12, b13)
    w = weights(cw)
    assert w[("BU08090000", "BU08093070")] == pytest.approx(0.33, abs=0.02)
    assert w[("BU08090000", "BU08093091")] == pytest.approx(0.28, abs=0.02)
    kaatsheuvel = cw[cw["source_code"] == "BU08090100"]
    assert len(kaatsheuvel) >= 17
    assert np.allclose(cw.groupby("source_code")["weight"].sum(), 1.0)
    assert cw.attrs["unallocated"] == []


def _strip_and_corner():
    """Source S (1 km x 1 km) over targets A (most of it), B (a compact 40 m x 40 m corner:
    0.16 % of S) and C (a 0.5 m wide strip along S's edge: a generalisation sliver)."""
    x0, y0 = 140000, 410000
    source = gpd.GeoDataFrame({"code": ["S"], "name": ["S"]},
                              geometry=[shapely.box(x0, y0, x0 + 1000, y0 + 1000)],
                              crs="EPSG:28992")
    b = shapely.box(x0 + 960, y0 + 960, x0 + 1000, y0 + 1000)
    c = shapely.box(x0, y0, x0 + 1000, y0 + 0.5)
    a = shapely.difference(shapely.box(x0, y0, x0 + 1000, y0 + 1000), shapely.union(b, c))
    target = gpd.GeoDataFrame({"code": ["A", "B", "C"], "name": ["A", "B", "C"]},
                              geometry=[a, b, c], crs="EPSG:28992")
    return source, target


def test_sliver_rule_drops_thin_strips_and_keeps_compact_small_overlaps():
    source, target = _strip_and_corner()
    w = weights(build_crosswalk(source, target))
    # The 0.5 m strip is a sliver (dropped, its area re-normalised away); the compact corner
    # is a real overlap of a small unit and keeps its share (the old 1 % rule dropped it).
    assert ("S", "C") not in w
    assert w[("S", "B")] == pytest.approx(1600 / (1_000_000 - 500))
    assert sum(w.values()) == pytest.approx(1.0)
    # No exact shortcut while a real overlap remains; --exact-share 0.99 restores the old one.
    assert weights(build_crosswalk(source, target, exact_share=0.99)) == {("S", "A"): 1.0}
    # sliver_width=0 keeps the strip; plain area keeps everything, by area.
    plain = weights(build_crosswalk(source, target, plain_area=True))
    assert plain[("S", "C")] == pytest.approx(500 / 1_000_000)
    assert plain[("S", "B")] == pytest.approx(1600 / 1_000_000)
    assert weights(build_crosswalk(source, target, sliver_width=0.0))[("S", "C")] > 0


def test_coverage_reports_the_uncovered_part_and_weights_are_renormalised():
    source, target = _strip_and_corner()
    target = target[target["code"] != "A"]  # only B and C cover S now
    cw = build_crosswalk(source, target, plain_area=True)
    cov = cw.attrs["coverage"].table().set_index("source_code")
    assert cov.loc["S", "area_ha"] == pytest.approx(100.0)
    assert cov.loc["S", "covered_ha"] == pytest.approx(0.21)
    assert cov.loc["S", "uncovered_share"] == pytest.approx(1 - 2100 / 1_000_000)
    # allocate_total=True semantics: the whole value goes to the covered part.
    assert cw["weight"].sum() == pytest.approx(1.0)
