"""Area and perimeter of polygon intersections with Clipper2, for many pairs at once.

:func:`geo.overlay.overlay_areas` needs, for every candidate pair of a source and a target
polygon, only the *area* (and, for the sliver rule, the perimeter) of their intersection, never
the geometry. Clipper2 (through ``pyclipr``) computes polygon intersections on an integer grid
(here 1 µm: coordinates times ``SCALE``, rounded), which is robust by construction and faster
per pair than GEOS's floating-point overlay on the hard case: long, almost coincident edges,
as two years of the same buurt boundaries digitised with different vertices.

Before a pair is clipped, both polygons are *cropped* to the box where their bounding boxes
overlap, without computing any intersection (:func:`crop`): the rings are cut into blocks of
``BLOCK`` consecutive vertices, and a block lying wholly on the far side of one edge of that box
is replaced by its first and last vertex. Neighbouring buurten overlap only near their shared
edge, so about two thirds of the vertices go (800 -> 294 a pair on the hard pair of
bench/hard_pair.py), and Clipper2's work with them.

Clipper2 holds the GIL, so pairs run in worker processes. The workers are forked once per
overlay, before any thread is started, and read both layers' geometries from the memory they
inherit, and put the polygons of each chunk of pairs on the grid themselves, so only pair
indices and results cross between processes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import shapely

#: Coordinates are multiplied by this and rounded to integers (1 µm in metres).
SCALE = 1e6
#: Consecutive ring vertices per block for cropping (on the hard pair of bench/hard_pair.py,
#: 8: 36.8, 16: 32.7, 32: 31.4, 64: 33.4 µs per pair).
BLOCK = 32

__all__ = ["BLOCK", "SCALE", "RingStore", "crop", "measure_chunk", "pair_measures", "release",
           "worker_pool"]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(counts.sum())


class RingStore:
    """The rings of an array of polygons on the integer grid, in blocks of ``BLOCK``
    vertices with their bounding boxes.

    Parameters
    ----------
    geoms
        Array of shapely (Multi)Polygons, coordinates in metres.

    Attributes
    ----------
    coords
        Ring vertices on the grid (whole numbers as float64), ring after ring.
    block_first, block_len, block_ring, block_box
        Per block: its first vertex, its number of vertices, its ring and its box
        (xmin, ymin, xmax, ymax).
    geom_block
        Blocks of polygon ``i``: ``geom_block[i]:geom_block[i + 1]``.
    geom_box
        Box per polygon (an empty polygon gets an inverted box, which meets nothing).
    """

    def __init__(self, geoms: np.ndarray) -> None:
        parts, part_geom = shapely.get_parts(geoms, return_index=True)  # multipolygons
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_geom = part_geom[ring_part]
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        n_rings = len(rings)
        # On the grid in place (fresh memory is slow to touch on some machines): whole numbers
        # held as float64 are exact up to 2**53, far beyond 1 µm steps over the Netherlands.
        coords *= SCALE
        self.coords = np.rint(coords, out=coords)
        # Each ring keeps its closing vertex (a repeat Clipper2 ignores).
        ring_start = np.searchsorted(coord_ring, np.arange(n_rings + 1))
        ring_len = np.diff(ring_start)
        n_blocks = -(-ring_len // BLOCK)
        self.block_ring = np.repeat(np.arange(n_rings), n_blocks)
        within = np.arange(n_blocks.sum()) - np.repeat(np.cumsum(n_blocks) - n_blocks, n_blocks)
        self.block_first = ring_start[self.block_ring] + within * BLOCK
        self.block_len = np.minimum(BLOCK, ring_start[self.block_ring + 1] - self.block_first)
        if len(self.block_first):
            lo = np.minimum.reduceat(self.coords, self.block_first, axis=0)
            hi = np.maximum.reduceat(self.coords, self.block_first, axis=0)
        else:
            lo = hi = np.zeros((0, 2))
        self.block_box = np.hstack([lo, hi])
        block_geom = ring_geom[self.block_ring]
        self.geom_block = np.searchsorted(block_geom, np.arange(len(geoms) + 1))
        box = np.tile(np.array([[np.inf, np.inf, -np.inf, -np.inf]]), (len(geoms), 1))
        has = np.flatnonzero(np.diff(self.geom_block) > 0)
        if len(has):
            first = self.geom_block[has]
            box[has, :2] = np.minimum.reduceat(lo, first, axis=0)
            box[has, 2:] = np.maximum.reduceat(hi, first, axis=0)
        self.geom_box = box


def crop(store: RingStore, geom: np.ndarray, box: np.ndarray) -> tuple[list[np.ndarray],
                                                                       np.ndarray]:
    """The rings of ``store``'s polygons ``geom[k]``, each cropped to ``box[k]``.

    Parameters
    ----------
    store
        A :class:`RingStore`.
    geom
        Polygon per pair (positions in ``store``).
    box
        Box per pair on the grid (xmin, ymin, xmax, ymax): where the two polygons' boxes meet.

    Returns
    -------
    ``(rings, first)``: the cropped rings (grid coordinates) of all pairs, and per pair the
    position of its first ring (``rings[first[k]:first[k + 1]]``).

    Notes
    -----
    A block of consecutive vertices lying wholly on the outer side of one of the box's edges
    (say :math:`x < x_{min}`) is replaced by its first and last vertex. The path it replaces
    and the chord that replaces it lie in that open half-plane, so together they wind around
    no point of the box: every point of the box keeps its winding number, and with it its
    even-odd fill. The cropped polygon stays within the original's box, so its intersection
    with the other (cropped) polygon, which lies within the same box, is unchanged. Rings
    left with fewer than three vertices enclose nothing and are dropped.
    """
    counts = store.geom_block[geom + 1] - store.geom_block[geom]
    pair = np.repeat(np.arange(len(geom)), counts)
    block = _ranges(store.geom_block[geom], counts)
    bb, b = store.block_box[block], box[pair]
    out = ((bb[:, 2] < b[:, 0]) | (bb[:, 0] > b[:, 2])
           | (bb[:, 3] < b[:, 1]) | (bb[:, 1] > b[:, 3]))
    first, length = store.block_first[block], store.block_len[block]
    seg_start = np.stack([first, first + length - 1], axis=1).ravel()
    seg_count = np.stack([np.where(out, 1, length), out & (length > 1)], axis=1).ravel()
    xy = store.coords[_ranges(seg_start, seg_count.astype(np.int64))]
    kept = np.where(out, np.minimum(length, 2), length)
    ring = store.block_ring[block]
    new = np.ones(len(block), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (ring[1:] != ring[:-1])
    starts = np.flatnonzero(new)
    sizes = np.add.reduceat(kept, starts) if len(starts) else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    rings = np.split(xy, ends[:-1]) if len(sizes) else []
    good = sizes >= 3
    rings = [r for r, g in zip(rings, good.tolist(), strict=True) if g]
    first_ring = np.searchsorted(pair[starts][good], np.arange(len(geom) + 1))
    return rings, first_ring


def _measure(rings: list[np.ndarray], owner: list[int], n: int) -> np.ndarray:
    """Area and perimeter per pair (square metres, metres) from the result rings of all pairs
    at once, in grid units.

    ``owner[k]`` is the pair of ``rings[k]``. A pair's area is the absolute sum of its rings'
    signed areas (holes come back with the opposite orientation).
    """
    out = np.zeros((n, 2))
    if not rings:
        return out
    sizes = np.fromiter((len(r) for r in rings), dtype=np.int64, count=len(rings))
    xy = np.concatenate(rings)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    xy -= np.repeat(xy[starts], sizes, axis=0)  # each ring from its first vertex: exact
    nxt = np.arange(1, len(xy) + 1)
    nxt[starts + sizes - 1] = starts  # each ring closes on its first vertex
    x, y = xy[:, 0], xy[:, 1]
    cross = x * y[nxt] - y * x[nxt]
    edge = np.hypot(x[nxt] - x, y[nxt] - y)
    owner = np.asarray(owner)
    area = np.bincount(owner, weights=0.5 * np.add.reduceat(cross, starts), minlength=n)
    out[:, 0] = np.abs(area) / SCALE**2
    out[:, 1] = np.bincount(owner, weights=np.add.reduceat(edge, starts), minlength=n) / SCALE
    return out


def pair_measures(source: RingStore, target: RingStore, s_idx: np.ndarray,
                  t_idx: np.ndarray) -> np.ndarray:
    """Intersection area and perimeter of each pair ``(source[s], target[t])``.

    Parameters
    ----------
    source, target
        Ring stores of the two layers (same CRS, metres).
    s_idx, t_idx
        Positions of the pairs in the two stores.

    Returns
    -------
    Array of shape (n, 2): area (square metres) and perimeter (metres) per pair; 0 where
    the polygons do not overlap.

    Notes
    -----
    Both polygons of a pair are cropped to the box where their boxes meet (:func:`crop`),
    then intersected by Clipper2 with the even-odd fill rule, so holes and multipolygons need
    no special handling. The area of each result ring is the shoelace sum :math:`A =
    \\tfrac12 \\sum_i (x_i y_{i+1} - x_{i+1} y_i)`; with coordinates rounded to 1 / ``SCALE``
    m, a piece's area is off by at most about half a grid step times its perimeter. Pairs
    are not tested with a predicate first: Clipper2 settles a pair that does not overlap
    faster than a GEOS ``intersects`` would.
    """
    import pyclipr

    s_box, t_box = source.geom_box[s_idx], target.geom_box[t_idx]
    box = np.hstack([np.maximum(s_box[:, :2], t_box[:, :2]),
                     np.minimum(s_box[:, 2:], t_box[:, 2:])])
    s_rings, s_first = crop(source, s_idx, box)
    t_rings, t_first = crop(target, t_idx, box)
    clipper = pyclipr.Clipper()
    clipper.scaleFactor = 1  # the stores are on the grid already
    subject, clip, intersection = pyclipr.Subject, pyclipr.Clip, pyclipr.Intersection
    even_odd = pyclipr.FillRule.EvenOdd
    rings: list[np.ndarray] = []
    owner: list[int] = []
    s_first, t_first = s_first.tolist(), t_first.tolist()
    for k in range(len(s_idx)):
        a, b, c, d = s_first[k], s_first[k + 1], t_first[k], t_first[k + 1]
        if a == b or c == d:
            continue  # one side has nothing in the box
        clipper.clear()
        clipper.addPaths(s_rings[a:b], subject)
        clipper.addPaths(t_rings[c:d], clip)
        for ring in clipper.execute(intersection, even_odd):
            if len(ring) > 2:
                rings.append(ring)
                owner.append(k)
    return _measure(rings, owner, len(s_idx))


def measure_chunk(source: np.ndarray, target: np.ndarray, s_idx: np.ndarray,
                  t_idx: np.ndarray) -> np.ndarray:
    """:func:`pair_measures` for pairs of positions in two arrays of polygons.

    Only the polygons of this chunk are put on the grid, so the work grows with the pairs
    to measure, not with the layers (most pairs of two years of buurten never get here);
    chunks of neighbouring pairs share most of their polygons.
    """
    s_geoms, s_local = np.unique(s_idx, return_inverse=True)
    t_geoms, t_local = np.unique(t_idx, return_inverse=True)
    return pair_measures(RingStore(source[s_geoms]), RingStore(target[t_geoms]),
                         s_local, t_local)


# The layers the forked workers read (set in the parent just before forking).
_SHARED: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _worker_chunk(s_idx: np.ndarray, t_idx: np.ndarray) -> np.ndarray:
    return measure_chunk(*_SHARED["geoms"], s_idx, t_idx)


def _ready() -> int:
    return os.getpid()


def worker_pool(source: np.ndarray, target: np.ndarray, workers: int
                ) -> tuple[ProcessPoolExecutor | None, Callable[..., np.ndarray]]:
    """Fork ``workers`` processes that know both layers, and a function to run a chunk.

    Call before starting any thread (a fork copies only the calling thread). With one worker,
    or where ``fork`` is not available, no process is started and chunks run in this process.

    Returns
    -------
    (pool or None, run) where ``run(s_idx, t_idx)`` measures a chunk of pairs and
    ``pool.submit(run, s_idx, t_idx)`` does so in a worker.
    """
    _SHARED.clear()
    _SHARED["geoms"] = (source, target)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None, _worker_chunk
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    pool.submit(_ready).result()  # with fork, every worker is started on the first task
    return pool, _worker_chunk


def release() -> None:
    """Forget the layers of the last :func:`worker_pool`."""
    _SHARED.clear()
