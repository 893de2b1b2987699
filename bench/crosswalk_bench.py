"""Crosswalks at national scale, side by side with tobler (``python -m bench``).

Every case is generated once (seeded) and cached under ``build/bench/``. Each timed run is a
fresh worker process (``python -m bench.crosswalk_bench worker TOOL CASE OUT``) that loads the
inputs, runs one tool once and reports its wall time and peak memory (``ru_maxrss``: the whole
process, inputs included). Runs of tobler and wijkatlas alternate, so load on the machine hits
both alike; the table shows medians. Both tools use area weights with the source's own area as
denominator (tobler ``allocate_total=False``), and the results must agree within 1e-6 relative.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from bench.pairs import nested_pair, year_pair
from bench.synthetic import voronoi_units
from geo.overlay import overlay_areas

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench"
N_VARIABLES = 3  # counts compared between the tools in the geometry cases
TOLERANCE = 1e-6

CASES = {
    "voronoi ~6 vertices": lambda n: (voronoi_units(n, 1, 6), voronoi_units(n, 2, 6)),
    "voronoi ~400 vertices": lambda n: (voronoi_units(n, 1, 400), voronoi_units(n, 2, 400)),
    "year over year (~90% unchanged)": lambda n: year_pair(n),
    "nested (targets = unions of sources)": lambda n: nested_pair(n),
}
APPLY = "apply stored crosswalk, 100 variables x 10 years"


def _slug(case: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in case.lower()).strip("_")


def _values(n: int, columns: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 5_000, (n, columns)).astype(float)


def prepare(case: str, n: int, cache: Path | None = None) -> Path:
    """Generate (once) and cache the inputs of ``case``; return the cache file."""
    cache = cache or CACHE
    path = cache / f"{_slug(case)}_{n}.pkl"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    if case == APPLY:
        source, target = CASES["voronoi ~400 vertices"](n)
        pairs = overlay_areas(np.asarray(source.geometry.values),
                              np.asarray(target.geometry.values))
        src_area = shapely.area(np.asarray(source.geometry.values))
        data = {
            "source_code": source["code"].to_numpy()[pairs["source_index"]],
            "target_code": target["code"].to_numpy()[pairs["target_index"]],
            "weight": pairs["area"].to_numpy() / src_area[pairs["source_index"]],
            "area": pairs["area"].to_numpy(),
            "source_index": pairs["source_index"].to_numpy(),
            "target_index": pairs["target_index"].to_numpy(),
            "source_codes": source["code"].to_numpy(), "target_codes": target["code"].to_numpy(),
            "source_area": src_area, "values": _values(len(source), 1_000, 5),
        }
    else:
        source, target = CASES[case](n)
        data = {"source": shapely.to_wkb(np.asarray(source.geometry.values)),
                "target": shapely.to_wkb(np.asarray(target.geometry.values)),
                "source_codes": source["code"].to_numpy(),
                "target_codes": target["code"].to_numpy(),
                "values": _values(len(source), N_VARIABLES, 3)}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def wijkatlas_interpolate(source: np.ndarray, target: np.ndarray, values: np.ndarray,
                          n_jobs: int | None = None) -> np.ndarray:
    """Area-weighted counts per target with the wijkatlas overlay (targets x variables)."""
    pairs = overlay_areas(source, target, n_jobs=n_jobs)
    s, t = pairs["source_index"].to_numpy(), pairs["target_index"].to_numpy()
    weight = pairs["area"].to_numpy() / shapely.area(source)[s]
    matrix = sp.csr_matrix((weight, (t, s)), shape=(len(target), len(source)))
    return matrix @ values


def wijkatlas_apply(crosswalk: pd.DataFrame, source_codes: np.ndarray,
                    target_codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Apply a stored crosswalk (codes and weights) to a sources x variables matrix."""
    s = pd.Index(source_codes).get_indexer(crosswalk["source_code"])
    t = pd.Index(target_codes).get_indexer(crosswalk["target_code"])
    matrix = sp.csr_matrix((crosswalk["weight"].to_numpy(), (t, s)),
                           shape=(len(target_codes), len(source_codes)))
    return matrix @ values


def _frames(data: dict) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    names = [f"v{i}" for i in range(data["values"].shape[1])]
    source = gpd.GeoDataFrame(pd.DataFrame(data["values"], columns=names),
                              geometry=shapely.from_wkb(data["source"]), crs="EPSG:28992")
    target = gpd.GeoDataFrame(geometry=shapely.from_wkb(data["target"]), crs="EPSG:28992")
    return source, target, names


def worker(tool: str, case: str, path: Path, out: Path) -> None:
    """One timed run in this process; writes time, peak memory and the result to ``out``."""
    with open(path, "rb") as fh:
        data = pickle.load(fh)
    from tobler.area_weighted import area_interpolate

    if case == APPLY:
        cw = pd.DataFrame({k: data[k] for k in ("source_code", "target_code", "weight")})
        names = [f"v{i}" for i in range(data["values"].shape[1])]
        if tool == "tobler":
            source = gpd.GeoDataFrame(pd.DataFrame(data["values"], columns=names),
                                      geometry=shapely.points(np.zeros(len(data["values"])),
                                                              0.0), crs="EPSG:28992")
            target = gpd.GeoDataFrame(geometry=shapely.points(
                np.zeros(len(data["target_codes"])), 0.0), crs="EPSG:28992")
            table = sp.csr_matrix((data["area"], (data["source_index"], data["target_index"])),
                                  shape=(len(source), len(target)))
            # Stored weights: tobler divides by source area, which is 0 for these points
            # (it then divides by 1), so the table carries the weights themselves.
            table = sp.diags(1.0 / data["source_area"]) @ table
    else:
        source, target, names = _frames(data)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if case == APPLY and tool == "tobler":
        result = area_interpolate(source, target, extensive_variables=names, table=table,
                                  allocate_total=False)[names].to_numpy()
    elif case == APPLY:
        result = wijkatlas_apply(cw, data["source_codes"], data["target_codes"], data["values"])
    elif tool == "tobler":
        result = area_interpolate(source, target, extensive_variables=names,
                                  allocate_total=False)[names].to_numpy()
    else:
        result = wijkatlas_interpolate(np.asarray(source.geometry.values),
                                       np.asarray(target.geometry.values),
                                       source[names].to_numpy())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    np.save(out.with_suffix(".npy"), np.asarray(result, dtype=float))
    out.write_text(json.dumps({"seconds": seconds, "peak_mb": peak / 1024,
                               "loaded_mb": base / 1024}))


def _spawn(tool: str, case: str, path: Path, tmp: Path, run: int) -> dict:
    out = tmp / f"{tool}_{_slug(case)}_{run}.json"
    subprocess.run([sys.executable, "-m", "bench.crosswalk_bench", "worker", tool, case,
                    str(path), str(out)], check=True, cwd=ROOT)
    info = json.loads(out.read_text())
    info["result"] = np.load(out.with_suffix(".npy"))
    return info


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative difference (absolute where the reference is below 1)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))) if a.size else 0.0


def run(runs: int = 5, n: int = 14_000, cases: list[str] | None = None,
        out: Path | None = ROOT / "bench" / "results.md") -> pd.DataFrame:
    """Run every case ``runs`` times per tool, print and save the markdown table."""
    cases = cases or [*CASES, APPLY]
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for case in cases:
            print(f"[bench] {case}: preparing inputs", flush=True)
            path = prepare(case, n)
            got = {"tobler": [], "wijkatlas": []}
            for i in range(runs):
                for tool in got:
                    got[tool].append(_spawn(tool, case, path, tmp, i))
                print(f"[bench] {case}: run {i + 1}/{runs}: tobler "
                      f"{got['tobler'][-1]['seconds']:.2f} s, wijkatlas "
                      f"{got['wijkatlas'][-1]['seconds']:.2f} s", flush=True)
            t = {k: float(np.median([r["seconds"] for r in v])) for k, v in got.items()}
            m = {k: max(r["peak_mb"] for r in v) for k, v in got.items()}
            base = {k: max(r["loaded_mb"] for r in v) for k, v in got.items()}
            diff = max(_agreement(w["result"], r["result"])
                       for w, r in zip(got["wijkatlas"], got["tobler"], strict=True))
            rows.append({"case": case, "tobler_s": t["tobler"], "wijkatlas_s": t["wijkatlas"],
                         "ratio": t["tobler"] / t["wijkatlas"], "tobler_mb": m["tobler"],
                         "wijkatlas_mb": m["wijkatlas"], "loaded_mb": base["wijkatlas"],
                         "max_rel_diff": diff, "agree": diff <= TOLERANCE})
    table = pd.DataFrame(rows)
    text = markdown(table, runs, n)
    print(text)
    if out is not None:
        tmp_out = out.with_suffix(".tmp")
        tmp_out.write_text(text)
        os.replace(tmp_out, out)
    if not table["agree"].all():
        raise SystemExit("wijkatlas and tobler disagree by more than 1e-6 relative")
    return table


def markdown(table: pd.DataFrame, runs: int, n: int) -> str:
    """The README table: case, tobler, wijkatlas, ratio, memory."""
    lines = [f"Median of {runs} runs, {n:,} source units, {os.cpu_count()} cores; memory is the "
             "peak RSS of the process (inputs loaded: "
             f"~{table['loaded_mb'].max():.0f} MB), tobler / wijkatlas.", "",
             "| case | tobler | wijkatlas | ratio | memory | agree (max rel. diff) |",
             "|---|---:|---:|---:|---:|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.case} | {r.tobler_s:.2f} s | {r.wijkatlas_s:.2f} s | "
                     f"{r.ratio:.1f}x | {r.tobler_mb:.0f} / {r.wijkatlas_mb:.0f} MB | "
                     f"{'yes' if r.agree else 'NO'} ({r.max_rel_diff:.1e}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
    else:
        raise SystemExit("usage: python -m bench.crosswalk_bench worker TOOL CASE INPUT OUT")
