"""geo.clip: Clipper2 pair measures with cropping, against GEOS on shapes that test the crop."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from bench.hard_pair import hard_pair
from geo import clip


def _wiggly(cx: float, cy: float, r: float, n: int, rng: np.random.Generator) -> shapely.Polygon:
    """A star-shaped ring of ``n`` vertices around (cx, cy): concave, many vertices."""
    angle = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = r * rng.uniform(0.6, 1.0, n)
    return shapely.Polygon(np.c_[cx + radius * np.cos(angle), cy + radius * np.sin(angle)])


def _shapes(rng: np.random.Generator, k: int) -> np.ndarray:
    """Polygons, polygons with a hole and multipolygons around RD coordinates."""
    out = []
    for _ in range(k):
        cx, cy = 150_000 + rng.uniform(0, 400), 420_000 + rng.uniform(0, 400)
        outer = _wiggly(cx, cy, rng.uniform(100, 300), int(rng.integers(20, 300)), rng)
        kind = rng.integers(3)
        if kind == 1:  # a hole
            outer = shapely.difference(outer, shapely.Point(cx, cy).buffer(40, quad_segs=32))
        elif kind == 2:  # a second, separate part
            far = _wiggly(cx + 700, cy, 80, 120, rng)
            outer = shapely.MultiPolygon([outer, far])
        out.append(shapely.make_valid(outer) if not outer.is_valid else outer)
    return np.array(out, dtype=object)


def _geos(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    piece = shapely.intersection(source, target)
    return np.c_[shapely.area(piece), shapely.length(piece)]


@pytest.mark.parametrize("block", [4, 32])
def test_pair_measures_match_geos_on_concave_holed_and_multi_shapes(block, monkeypatch):
    monkeypatch.setattr(clip, "BLOCK", block)  # 4: almost every pair is cropped hard
    rng = np.random.default_rng(11)
    source, target = _shapes(rng, 60), _shapes(rng, 60)
    s, t = np.meshgrid(np.arange(60), np.arange(60), indexing="ij")
    s, t = s.ravel(), t.ravel()
    got = clip.pair_measures(clip.RingStore(source), clip.RingStore(target), s, t)
    want = _geos(source[s], target[t])
    assert (want[:, 0] > 0).sum() > 1000  # the case really overlaps
    np.testing.assert_allclose(got[:, 0], want[:, 0], rtol=1e-7, atol=1e-3)
    big = want[:, 0] > 1.0
    # Intersection points are rounded to the 1 µm grid: a few µm over a piece's outline.
    np.testing.assert_allclose(got[big, 1], want[big, 1], rtol=1e-7, atol=1e-3)


def test_a_target_inside_a_hole_gets_nothing_though_the_hole_ring_is_cropped(monkeypatch):
    monkeypatch.setattr(clip, "BLOCK", 4)
    # A square with a round hole of 256 vertices: all of them lie outside the box where the
    # two boxes meet (the target's own box), on four different sides. Cropping must keep the
    # hole: the target gets 0, and a target across the hole's edge gets its exact share.
    ring = shapely.Point(0, 0).buffer(100, quad_segs=64)
    source = np.array([shapely.Polygon(shapely.box(-500, -500, 500, 500).exterior.coords,
                                       [ring.exterior.coords])])
    target = np.array([shapely.box(-30, -30, 30, 30), shapely.box(50, -20, 150, 20),
                       shapely.box(-600, -600, 600, 600)])
    got = clip.pair_measures(clip.RingStore(source), clip.RingStore(target),
                             np.zeros(3, dtype=int), np.arange(3))
    want = _geos(source[[0, 0, 0]], target)
    assert got[0, 0] == 0.0
    np.testing.assert_allclose(got[:, 0], want[:, 0], rtol=1e-9, atol=1e-4)
    np.testing.assert_allclose(got[1:, 1], want[1:, 1], rtol=1e-7, atol=1e-3)


def test_crop_removes_most_vertices_of_neighbouring_buurten():
    source, target = hard_pair(300, seed=4)
    s_geoms, t_geoms = np.asarray(source.geometry.values), np.asarray(target.geometry.values)
    s, t = shapely.STRtree(t_geoms).query(s_geoms)
    s, t = s[::5], t[::5]  # GEOS is slow on these: a fifth of the pairs
    store_s, store_t = clip.RingStore(s_geoms), clip.RingStore(t_geoms)
    box = np.hstack([np.maximum(store_s.geom_box[s, :2], store_t.geom_box[t, :2]),
                     np.minimum(store_s.geom_box[s, 2:], store_t.geom_box[t, 2:])])
    rings, first = clip.crop(store_s, s, box)
    kept = sum(len(r) for r in rings)
    full = shapely.get_num_coordinates(s_geoms[s]).sum()
    assert kept < 0.5 * full  # the point of cropping
    got = clip.pair_measures(store_s, store_t, s, t)[:, 0]
    # Long, almost coincident edges leave hundreds of sub-millimetre slivers per pair, where
    # floating-point GEOS and any 1 µm grid differ by up to a few m2 on pieces of hundreds of
    # km2 (1e-8); GEOS on the same grid agrees with Clipper2 to within 0.01 m2.
    np.testing.assert_allclose(got, shapely.area(shapely.intersection(
        s_geoms[s], t_geoms[t], grid_size=1 / clip.SCALE)), rtol=0, atol=0.01)
    floating = shapely.area(shapely.intersection(s_geoms[s], t_geoms[t]))
    assert (np.abs(got - floating) < 1e-7 * shapely.area(s_geoms[s])).all()


def test_empty_and_degenerate_inputs():
    store = clip.RingStore(np.array([shapely.Polygon(), shapely.box(0, 0, 1, 1)]))
    got = clip.pair_measures(store, store, np.array([0, 1, 1]), np.array([1, 0, 1]))
    np.testing.assert_allclose(got, [[0, 0], [0, 0], [1, 4]])
    none = clip.pair_measures(store, store, np.zeros(0, dtype=int), np.zeros(0, dtype=int))
    assert none.shape == (0, 2)
