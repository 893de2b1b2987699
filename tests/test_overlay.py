"""geo.overlay: intersection areas, fast paths against the plain pairwise intersection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from bench.pairs import nested_pair, year_pair
from bench.synthetic import voronoi_units
from geo.overlay import clean_targets, overlay_areas, union_homes


def _merged(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return a.merge(b, on=["source_index", "target_index"], how="outer", indicator=True)


def _brute(source, target) -> pd.DataFrame:
    """Every pair, intersected: the reference."""
    s, t = np.meshgrid(np.arange(len(source)), np.arange(len(target)), indexing="ij")
    s, t = s.ravel(), t.ravel()
    area = shapely.area(shapely.intersection(source[s], target[t]))
    keep = area > 0
    return pd.DataFrame({"source_index": s[keep], "target_index": t[keep], "area": area[keep]})


@pytest.mark.parametrize("make", [
    lambda: (voronoi_units(60, 1, 40), voronoi_units(50, 2, 40)),
    lambda: year_pair(80, seed=3, vertices=20, changed=0.3),
    lambda: nested_pair(80, seed=4, vertices=20, per_target=5),
])
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize(("engine", "rtol"), [("geos", 1e-9), ("clipper", 1e-7)])
def test_matches_brute_force(make, n_jobs, engine, rtol, monkeypatch):
    monkeypatch.setattr("geo.overlay.FORK_ABOVE", 0)  # workers even for a small case
    source, target = make()
    s, t = np.asarray(source.geometry.values), np.asarray(target.geometry.values)
    got = overlay_areas(s, t, n_jobs=n_jobs, chunk_size=7, engine=engine)
    m = _merged(got, _brute(s, t))
    # Clipper2 works on a 1 µm grid: a piece of under a square metre may come and go.
    one_side = m["_merge"] != "both"
    assert (m.loc[one_side, ["area_x", "area_y"]].max(axis=1) < 1.0).all()
    m = m[~one_side]
    np.testing.assert_allclose(m["area_x"], m["area_y"], rtol=rtol)
    # Areas of each source add up to its area (both layers tile the same extent).
    per_source = got.groupby("source_index")["area"].sum()
    np.testing.assert_allclose(per_source, shapely.area(s)[per_source.index], rtol=rtol)


def test_fast_paths_skip_identical_and_nested_units():
    source, target = nested_pair(200, seed=5, vertices=20)
    s, t = np.asarray(source.geometry.values), np.asarray(target.geometry.values)
    got = overlay_areas(s, t)
    # Every buurt lies in one wijk: exactly one row per source, with the source's own area.
    assert got["source_index"].is_unique and len(got) == len(s)
    np.testing.assert_array_equal(got["area"].to_numpy(), shapely.area(s)[got["source_index"]])


def test_overlapping_targets_are_not_assumed_clean():
    a = shapely.box(0, 0, 10, 10)
    inner = shapely.box(2, 2, 4, 4)
    # Target 1 overlaps target 0: a source equal to target 0 must still get area in target 1.
    targets = np.array([a, shapely.box(3, 0, 20, 10), shapely.box(10, 0, 20, 10)])
    sources = np.array([a, inner])
    assert list(clean_targets(targets)) == [False, False, False]
    got = overlay_areas(sources, targets)
    m = _merged(got, _brute(sources, targets))
    assert (m["_merge"] == "both").all()
    np.testing.assert_allclose(m["area_x"], m["area_y"])


def test_duplicate_targets_are_not_clean():
    a = shapely.box(0, 0, 1, 1)
    targets = np.array([a, a, shapely.box(1, 0, 2, 1)])
    assert list(clean_targets(targets)) == [False, False, True]


@pytest.mark.parametrize(("engine", "proof"), [("geos", True), ("clipper", False)])
def test_many_touching_neighbours_use_the_coverage_proof_when_it_pays(engine, proof,
                                                                      monkeypatch):
    # 30 x 30 grid, sources == targets: every source touches 8 neighbours. GEOS pairs are
    # dear, so the proof pays; Clipper2 pairs are cheap enough that 8 a target do not.
    xs, ys = np.meshgrid(np.arange(30.0), np.arange(30.0))
    cells = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + 1, ys.ravel() + 1)
    proofs = []
    monkeypatch.setattr("geo.overlay.clean_targets",
                        lambda t: proofs.append(len(t)) or clean_targets(t))
    calls = []
    got = overlay_areas(cells, cells, engine=engine,
                        progress=lambda done, total: calls.append((done, total)))
    assert len(got) == len(cells)
    assert (got["source_index"] == got["target_index"]).all()
    assert calls and calls[-1][0] == calls[-1][1]
    assert bool(proofs) == proof


def test_empty_inputs():
    got = overlay_areas(np.array([], dtype=object), np.array([shapely.box(0, 0, 1, 1)]))
    assert list(got.columns) == ["source_index", "target_index", "area", "perimeter"] and got.empty


def test_union_homes_proves_exact_unions_only():
    source, target = nested_pair(120, seed=6, vertices=20, per_target=4)
    s, t = np.asarray(source.geometry.values), np.asarray(target.geometry.values)
    s_idx, t_idx = shapely.STRtree(t).query(s)
    home = union_homes(s, t, s_idx, t_idx, chunk_size=10)
    assert (home >= 0).all()  # every buurt proven inside its wijk without a relate test
    assert shapely.contains(t[home], s).all()
    # A source sticking out of the target, 'cancelled' by an overlapping source along the
    # same vertices: GEOS refuses the coverage union, nothing is proven (the sum of areas
    # would not add up either) and the overlay still gets the areas right.
    big = shapely.Polygon([(0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1)])
    part = shapely.box(1, 0, 2, 1)
    tgt = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 3, 1)])
    src = np.array([big, part])
    s_idx, t_idx = shapely.STRtree(tgt).query(src)
    assert (union_homes(src, tgt, s_idx, t_idx) < 0).all()
    m = _merged(overlay_areas(src, tgt), _brute(src, tgt))
    assert (m["_merge"] == "both").all()
    np.testing.assert_allclose(m["area_x"], m["area_y"])


def test_union_homes_leaves_non_unions_to_the_contains_test():
    # Split and reshaped units (year over year): no union equals its target for those.
    source, target = year_pair(120, seed=8, vertices=20, changed=0.5)
    s, t = np.asarray(source.geometry.values), np.asarray(target.geometry.values)
    s_idx, t_idx = shapely.STRtree(t).query(s)
    home = union_homes(s, t, s_idx, t_idx)
    proven = home >= 0
    assert 0 < proven.sum() < len(s)
    assert shapely.contains(t[home[proven]], s[proven]).all()
    areas = shapely.area(shapely.intersection(s[~proven, None], t[None, :]))
    assert (areas.max(axis=1) < shapely.area(s[~proven]) * (1 - 1e-9)).any()


@pytest.mark.parametrize("engine", ["geos", "clipper"])
def test_multipolygons_and_holes(engine):
    ring = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (2, 8), (8, 8), (8, 2)]])
    multi = shapely.MultiPolygon([ring, shapely.box(20, 0, 30, 10)])
    src = np.array([multi, shapely.box(40, 0, 50, 10)])
    tgt = np.array([shapely.box(5, -1, 25, 11), shapely.box(0, 0, 45, 5)])
    got = overlay_areas(src, tgt, engine=engine).set_index(["source_index", "target_index"])
    got = got.sort_index()
    want = _brute(src, tgt).set_index(["source_index", "target_index"])
    assert got.index.equals(want.index)
    np.testing.assert_allclose(got["area"], want["area"], rtol=1e-9)
    np.testing.assert_allclose(got["perimeter"], shapely.length(shapely.intersection(
        src[want.index.get_level_values(0)], tgt[want.index.get_level_values(1)])), rtol=1e-9)
