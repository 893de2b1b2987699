"""Intersection areas between two polygon layers, as a sparse table.

This is the only place where polygons are intersected for a crosswalk. At national scale
(14,000 buurten, hundreds of vertices each) the polygon intersection is the expensive part,
so it is avoided wherever the answer is known without it:

* a source that is *identical* to a target (same bounds and ``equals_exact``: an unchanged
  buurt between two years) or that lies *inside* one target gets its own area for that
  target. Inside is proven cheaply for sources that together make up a target exactly (the
  buurten of a wijk, merged units: their coverage union equals the target vertex for
  vertex, see :func:`union_homes`), else with ``contains`` (a polygon relate);
* its other candidate targets only touch it when that target overlaps no other target; this
  is proven for all targets at once with GEOS coverage validation (edges of neighbours match
  exactly and no interiors overlap), which is much cheaper than intersecting every touching
  neighbour, and is started as soon as the bounds predict enough pairs to skip (it runs
  alongside the other work). When the bounds predict too few pairs to skip (unrelated layers,
  e.g. two Voronoi tessellations, or a year pair where most buurten changed), the proof and
  the inside tests are skipped: they would cost more than the intersections they save
  (:data:`PROOF_COST_PAIRS`);
* every remaining pair whose bounding boxes meet is measured, in chunks (memory stays
  bounded: only areas and perimeters are kept), by Clipper2 in forked worker processes, each
  pair cropped to the box where the two polygons' boxes meet first (:mod:`geo.clip`; on long,
  almost coincident edges about five times as fast per pair as GEOS), or with
  ``engine="geos"`` by GEOS on a thread pool (shapely 2 releases the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely

DEFAULT_CHUNK = 2_000
#: The coverage proof (GEOS coverage validation, ~130 µs per target, plus the inside tests
#: that find the sources whose other pairs it skips) is started only when the bounds predict
#: more than this many skippable pairs per target, per pair engine. Measured on 14,000
#: synthetic buurten of ~400 vertices (bench/crosswalk_bench.py): with Clipper2 (20-30 µs a
#: pair) the proof cost more than it saved on the year pair (6.6 predicted: 2.06 s against
#: 1.33 s without) and on the hard pair (3.0), and saved time on the nested pair (14.2: 1.13
#: s against 1.26 s); with GEOS (40-140 µs a pair) it saves time from about 1.
PROOF_COST_PAIRS = {"clipper": 10, "geos": 1}
#: Below this many candidate pairs the Clipper2 pairs run in this process (no fork).
FORK_ABOVE = 20_000


def _jobs(n_jobs: int | None) -> int:
    if n_jobs is None or n_jobs < 1:
        return os.cpu_count() or 1
    return n_jobs


def _inside(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """Rows where bounds ``inner`` lie within bounds ``outer`` (n x 4 arrays)."""
    return ((inner[:, 0] >= outer[:, 0]) & (inner[:, 1] >= outer[:, 1])
            & (inner[:, 2] <= outer[:, 2]) & (inner[:, 3] <= outer[:, 3]))


def clean_targets(target: np.ndarray) -> np.ndarray:
    """Targets that provably overlap no other target.

    A target is clean when GEOS coverage validation finds none of its edges invalid (its
    edges match its neighbours' exactly and do not enter another target) and no other target
    has the same bounds (exact duplicates are not reported by coverage validation).

    Parameters
    ----------
    target
        Array of shapely polygons.

    Returns
    -------
    Boolean array, one per target.
    """
    target = np.asarray(target, dtype=object)
    if len(target) == 0:
        return np.zeros(0, dtype=bool)
    invalid = shapely.coverage_invalid_edges(target)
    clean = shapely.is_empty(invalid) | shapely.is_missing(invalid)
    dup = pd.DataFrame(shapely.bounds(target)).duplicated(keep=False).to_numpy()
    return clean & ~dup & shapely.is_valid(target)


def union_homes(source: np.ndarray, target: np.ndarray, s_idx: np.ndarray,
                t_idx: np.ndarray, pool: Executor | None = None,
                chunk_size: int = DEFAULT_CHUNK) -> np.ndarray:
    """Sources that together make up a target exactly (buurten of a wijk, merged units).

    Each source is put in the target holding its ``point_on_surface``; a target whose sources'
    coverage union equals it vertex for vertex (``normalize`` + ``equals_exact``), with the
    same area as the sum of theirs (so they cannot overlap), holds all of them: no polygon
    relate is needed. Targets for which this fails are left to the ``contains`` test.

    Parameters
    ----------
    source, target
        Arrays of shapely polygons.
    s_idx, t_idx
        Candidate pairs whose source bounds lie within the target bounds.
    pool, chunk_size
        Executor to run the unions on, in chunks of about ``chunk_size`` sources.

    Returns
    -------
    Per source the target it lies in, -1 when not proven here.
    """
    home = np.full(len(source), -1, dtype=np.int64)
    if len(s_idx) == 0:
        return home
    pts = shapely.point_on_surface(source[s_idx])
    hit = shapely.intersects(target[t_idx], pts)
    pairs = pd.DataFrame({"s": s_idx[hit], "t": t_idx[hit]}).drop_duplicates("s")
    # A lone source makes up its target only if it equals it (same bounds; its vertices may
    # start elsewhere): the others are not worth a coverage union.
    lone = pairs.groupby("t")["s"].transform("size").to_numpy() == 1
    same_box = (shapely.bounds(source[pairs["s"].to_numpy()])
                == shapely.bounds(target[pairs["t"].to_numpy()])).all(axis=1)
    pairs = pairs[~lone | same_box]
    if pairs.empty:
        return home
    pairs = pairs.sort_values(["t", "s"], ignore_index=True)
    groups, slot = np.unique(pairs["t"].to_numpy(), return_inverse=True)
    col = pairs.groupby("t").cumcount().to_numpy()
    members = np.full((len(groups), col.max() + 1), None, dtype=object)
    members[slot, col] = source[pairs["s"].to_numpy()]
    parts = np.array_split(members, max(1, len(pairs) // chunk_size))
    union = np.concatenate(list((pool.map if pool else map)(_coverage_unions, parts)))
    area_sum = np.bincount(slot, weights=shapely.area(source[pairs["s"].to_numpy()]))
    t_area = shapely.area(target[groups])
    ok = (shapely.equals_exact(shapely.normalize(union), shapely.normalize(target[groups]),
                               tolerance=0.0)
          & (np.abs(area_sum - t_area) <= 1e-9 * t_area))
    good = ok[slot]
    home[pairs["s"].to_numpy()[good]] = pairs["t"].to_numpy()[good]
    return home


def _coverage_unions(members: np.ndarray) -> np.ndarray:
    """Coverage union per row; all None when GEOS refuses the chunk (overlapping or badly
    noded sources: those are left to the ``contains`` test)."""
    try:
        return shapely.coverage_union_all(members, axis=1)
    except shapely.errors.GEOSException:
        return np.full(len(members), None, dtype=object)


def _settle(pool, source, target, s_idx, t_idx, chunk_size, inside: bool = True) -> np.ndarray:
    """Per source the target it equals or lies in (-1 when none is known).

    Identity (``equals_exact`` on equal bounds) is always tested: it is far cheaper than an
    intersection. ``inside=False`` skips the union and ``contains`` tests, which cost about
    as much as the intersection they save unless the coverage proof then skips the source's
    other pairs too.
    """
    s_box, t_box = shapely.bounds(source), shapely.bounds(target)
    home = np.full(len(source), -1, dtype=np.int64)
    same = np.flatnonzero((s_box[s_idx] == t_box[t_idx]).all(axis=1))
    same = same[shapely.equals_exact(source[s_idx[same]], target[t_idx[same]], tolerance=0.0)]
    home[s_idx[same]] = t_idx[same]
    if not inside:
        return home
    cand = np.flatnonzero(_inside(s_box[s_idx], t_box[t_idx]) & (home[s_idx] < 0))
    united = union_homes(source, target, s_idx[cand], t_idx[cand], pool, chunk_size)
    home = np.where(home < 0, united, home)
    cand = cand[home[s_idx[cand]] < 0]
    chunks = [cand[i:i + chunk_size] for i in range(0, len(cand), chunk_size)]
    # Not prepared: prepared geometries are not safe to share between threads (and the
    # unprepared test is as fast here, where a buurt shares edges with its wijk).
    found = pool.map(lambda c: c[shapely.contains(target[t_idx[c]], source[s_idx[c]])], chunks)
    inside = np.concatenate([np.zeros(0, dtype=np.int64), *found])
    home[s_idx[inside]] = t_idx[inside]
    return home


def _predicted_later(source, target, s_idx, t_idx) -> int:
    """Pairs of sources with a target of equal or enclosing bounds, other than those targets.

    An upper bound, from bounds alone, of the pairs the coverage proof can skip.
    """
    s_box, t_box = shapely.bounds(source)[s_idx], shapely.bounds(target)[t_idx]
    maybe = _inside(s_box, t_box)
    has_home = np.zeros(len(source), dtype=bool)
    has_home[s_idx[maybe]] = True
    return int((has_home[s_idx] & ~maybe).sum())


def _intersect_chunk(source, target, s_idx, t_idx) -> np.ndarray:
    """Intersection area and perimeter of the pairs (n x 2; 0 for pairs that do not
    intersect)."""
    hit = shapely.intersects(source[s_idx], target[t_idx])
    out = np.zeros((len(s_idx), 2))
    if hit.any():
        pieces = shapely.intersection(source[s_idx[hit]], target[t_idx[hit]])
        out[hit, 0] = shapely.area(pieces)
        out[hit, 1] = shapely.length(pieces)
    return out


def overlay_areas(
    source: np.ndarray,
    target: np.ndarray,
    *,
    n_jobs: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    fast_paths: bool = True,
    engine: str = "clipper",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Area of every non-empty intersection between ``source`` and ``target`` polygons.

    Parameters
    ----------
    source, target
        Arrays of shapely polygons in the same projected CRS.
    n_jobs
        Processes (or threads) for the polygon intersections; ``None`` or < 1 uses every
        core.
    chunk_size
        Pairs intersected per task; bounds the memory held by intersection geometries.
    fast_paths
        Skip the intersection for sources identical to or inside a target (see the module
        docstring). ``False`` intersects every candidate pair (for comparisons).
    engine
        ``"clipper"`` (Clipper2 on a 1 µm grid, see :mod:`geo.clip`) or ``"geos"`` (GEOS
        floating-point overlay); they agree to about 1e-7 of a piece's area.
    progress
        Called as ``progress(done, total)`` with the number of candidate pairs handled.

    Returns
    -------
    DataFrame with ``source_index``, ``target_index`` (positions in the input arrays),
    ``area`` (in CRS units squared) and ``perimeter`` (of the intersection, in CRS units),
    one row per pair whose intersection has positive area, sorted by source and target.
    """
    source = np.asarray(source, dtype=object)
    target = np.asarray(target, dtype=object)
    s_idx, t_idx = shapely.STRtree(target).query(source)
    total = len(s_idx)
    areas = np.zeros((total, 2))  # area and perimeter of each pair's intersection
    own = np.zeros(total, dtype=bool)  # pair of a source with the target it equals / lies in
    later = np.zeros(total, dtype=bool)  # other pairs of such sources: wait for clean_targets
    if engine not in ("clipper", "geos"):
        raise ValueError(f"engine must be 'clipper' or 'geos', not {engine!r}")
    measure = _GeosMeasure(source, target)
    if engine == "clipper":
        from geo.clip import worker_pool

        # Forked before any thread starts; few pairs are not worth the processes.
        workers = _jobs(n_jobs) if total > FORK_ABOVE else 1
        measure = _ClipMeasure(*worker_pool(source, target, workers))
    with measure, ThreadPoolExecutor(_jobs(n_jobs)) as pool:
        clean = None
        if fast_paths and total:
            # Proving that targets overlap no other is worth it only when it skips more pairs
            # than it costs (PROOF_COST_PAIRS). When the bounds already predict so, start it
            # now, alongside the other fast paths.
            worth = (_predicted_later(source, target, s_idx, t_idx)
                     > PROOF_COST_PAIRS[engine] * len(target))
            if worth:
                clean = pool.submit(clean_targets, target)
            home = _settle(pool, source, target, s_idx, t_idx, chunk_size, inside=worth)
            settled = home[s_idx] >= 0
            own = settled & (t_idx == home[s_idx])
            later = settled & ~own
            areas[own, 0] = shapely.area(source[s_idx[own]])
            areas[own, 1] = shapely.length(source[s_idx[own]])
            if clean is None and later.sum() > PROOF_COST_PAIRS[engine] * len(target):
                clean = pool.submit(clean_targets, target)  # runs alongside the intersections
        done = int(own.sum())
        if progress:
            progress(done, total)
        if clean is None:
            later[:] = False
        box = shapely.bounds(source)
        centres = np.nan_to_num((box[:, :2] + box[:, 2:]) / 2)  # empty polygons: NaN
        done = _run(measure.pool or pool, measure.run, s_idx, t_idx,
                    np.flatnonzero(~own & ~later), areas, chunk_size, done, total, progress,
                    centres)
        if clean is not None:
            touching_only = later & clean.result()[home[s_idx]]
            done += int(touching_only.sum())
            _run(measure.pool or pool, measure.run, s_idx, t_idx,
                 np.flatnonzero(later & ~touching_only), areas, chunk_size, done, total,
                 progress, centres)
    if progress:
        progress(total, total)
    keep = areas[:, 0] > 0
    return pd.DataFrame({"source_index": s_idx[keep], "target_index": t_idx[keep],
                         "area": areas[keep, 0], "perimeter": areas[keep, 1]})


class _GeosMeasure:
    """Pairs measured by GEOS on the thread pool."""

    pool = None

    def __init__(self, source: np.ndarray, target: np.ndarray) -> None:
        self.source, self.target = source, target

    def run(self, s_idx: np.ndarray, t_idx: np.ndarray) -> np.ndarray:
        return _intersect_chunk(self.source, self.target, s_idx, t_idx)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


class _ClipMeasure:
    """Pairs measured by Clipper2, in forked workers when there are any."""

    def __init__(self, pool, run) -> None:
        self.pool, self.run = pool, run

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        from geo.clip import release

        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        release()


def _morton(xy: np.ndarray) -> np.ndarray:
    """Z-order (Morton) code of points (n x 2) on a 65,536 x 65,536 grid over their extent:
    points close in the code are close on the map."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    cell = np.floor((xy - lo) / np.where(hi > lo, hi - lo, 1.0) * 65_535).astype(np.uint64)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        cell = (cell | (cell << np.uint64(shift))) & np.uint64(mask)  # spread the bits
    return cell[:, 0] | (cell[:, 1] << np.uint64(1))


def _run(pool, run, s_idx, t_idx, rows, areas, chunk_size, done, total, progress,
         centres=None) -> int:
    """Measure the pairs ``rows`` in chunks with ``run`` on ``pool``, writing into ``areas``.

    With ``centres`` (a point per source), the pairs go in map order (:func:`_morton`), so a
    chunk holds neighbouring pairs that share their polygons.
    """
    if centres is not None and len(rows) > chunk_size:
        rows = rows[np.argsort(_morton(centres[s_idx[rows]]), kind="stable")]
    chunks = [rows[i:i + chunk_size] for i in range(0, len(rows), chunk_size)]
    futures = [pool.submit(run, s_idx[c], t_idx[c]) for c in chunks]
    for chunk, future in zip(chunks, futures, strict=True):
        areas[chunk] = future.result()
        done += len(chunk)
        if progress:
            progress(done, total)
    return done
