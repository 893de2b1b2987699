"""Crosswalks at national scale, side by side with tobler (``python -m bench``).

Every case is generated once (seeded) and cached under ``build/bench/``. Each timed run is a
fresh worker process (``python -m bench.crosswalk_bench worker TOOL CASE INPUT OUT``) that
loads the inputs, runs one tool once and reports its wall time and memory. Runs of tobler and
wijkatlas alternate, so load on the machine hits both alike; the table shows medians.

What is timed is the public path of each tool:

* tobler: ``tobler.area_weighted.area_interpolate(..., allocate_total=False)``;
* wijkatlas: :func:`geo.crosswalk.build_crosswalk` (pure area weights: ``exact_share`` just
  below 1, so only sources lying numerically wholly in one target take the exact shortcut, and
  no sliver is dropped) followed by :meth:`geo.reaggregate.CrosswalkMatrix.apply`; for a
  stored crosswalk only the latter, and for the full path :func:`geo.reaggregate.reaggregate`
  (long table in, long table with status, bounds and interpolated share out).

Memory: ``loaded`` is the resident memory with the inputs loaded, just before timing; the
peak high-water mark is then reset (``/proc/self/clear_refs``), so ``peak`` is the largest
resident memory *during the timed part* and ``peak - loaded`` what the tool itself needed.
Results must agree with tobler within 1e-6 relative.
"""

from __future__ import annotations

import gc
import json
import os
import pickle
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
from geo.crosswalk import build_crosswalk
from geo.reaggregate import CrosswalkMatrix, reaggregate

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench"
N_VARIABLES = 3  # counts compared between the tools in the geometry cases
TOLERANCE = 1e-6
# Pure area semantics (tobler allocate_total=False): exact only when (numerically) whole.
EXACT_SHARE = 1.0 - 1e-9
SLIVER_WIDTH = 0.0
YEARS, PER_YEAR = 10, 100

CASES = {
    "voronoi ~6 vertices": lambda n: (voronoi_units(n, 1, 6), voronoi_units(n, 2, 6)),
    "voronoi ~400 vertices": lambda n: (voronoi_units(n, 1, 400), voronoi_units(n, 2, 400)),
    "year over year (~90% unchanged)": lambda n: year_pair(n),
    "nested (targets = unions of sources)": lambda n: nested_pair(n),
}
APPLY = "apply stored crosswalk, 100 variables x 10 years"
FULL = "full reaggregate (long table, status, bounds), 100 counts x 10 years"
WIJKATLAS_ONLY = {FULL}  # tobler has no equivalent: its column shows "-"
ALL_CASES = [*CASES, APPLY, FULL]


def _slug(case: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in case.lower()).strip("_")


def _values(n: int, columns: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 5_000, (n, columns)).astype(float)


def _save(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def _load(path: Path) -> dict:
    with open(path, "rb") as fh:
        return pickle.load(fh)


def prepare(case: str, n: int, cache: Path | None = None) -> Path:
    """Generate (once) and cache the inputs of ``case``; return the cache file.

    The stored-crosswalk cases (``APPLY``, ``FULL``) share one file: the engine's crosswalk of
    the ~400-vertex pair and a sources x 1,000 value matrix (100 variables x 10 years).
    """
    cache = cache or CACHE
    cache.mkdir(parents=True, exist_ok=True)
    if case in (APPLY, FULL):
        path = cache / f"stored_crosswalk_{n}_v2.pkl"
        if path.exists():
            return path
        geo = _load(prepare("voronoi ~400 vertices", n, cache))
        source, target = _frames(geo)[:2]
        cw = build_crosswalk(source, target, exact_share=EXACT_SHARE, sliver_width=SLIVER_WIDTH)
        _save(path, {"crosswalk": pd.DataFrame(cw), "source_codes": geo["source_codes"],
                     "target_codes": geo["target_codes"],
                     "target_area_ha": shapely.area(shapely.from_wkb(geo["target"])) / 1e4,
                     "values": _values(len(source), YEARS * PER_YEAR, 5)})
        return path
    path = cache / f"{_slug(case)}_{n}.pkl"
    if path.exists():
        return path
    source, target = CASES[case](n)
    _save(path, {"source": shapely.to_wkb(np.asarray(source.geometry.values)),
                 "target": shapely.to_wkb(np.asarray(target.geometry.values)),
                 "source_codes": source["code"].to_numpy(),
                 "target_codes": target["code"].to_numpy(),
                 "values": _values(len(source), N_VARIABLES, 3)})
    return path


def _frames(data: dict) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, list[str]]:
    """Source (codes, values, geometry) and target (codes, geometry) of a geometry case."""
    names = [f"v{i}" for i in range(data["values"].shape[1])]
    source = gpd.GeoDataFrame(pd.DataFrame(data["values"], columns=names),
                              geometry=shapely.from_wkb(data["source"]), crs="EPSG:28992")
    source.insert(0, "code", data["source_codes"])
    target = gpd.GeoDataFrame({"code": data["target_codes"]},
                              geometry=shapely.from_wkb(data["target"]), crs="EPSG:28992")
    return source, target, names


def count_catalog(path: Path, variables: list[str]) -> Path:
    """Write an indicator catalog (TOML) declaring ``variables`` as counts; return its path."""
    entries = [f'[[indicator]]\ncode = "{v}"\nlabel = "Telling {v}"\n'
               'theme = "bevolkingssamenstelling"\nunit = "aantal"\nkind = "count"\n'
               'source = "synthetisch (bench)"\n' for v in variables]
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def long_values(codes: np.ndarray, variables: list[str], matrix: np.ndarray) -> pd.DataFrame:
    """A long values table ``code, variable, value, status`` (all observed), variable-major."""
    n = len(codes)
    return pd.DataFrame({"code": np.tile(np.asarray(codes, dtype=object), len(variables)),
                         "variable": np.repeat(np.array(variables, dtype=object), n),
                         "value": matrix.T.ravel(), "status": "observed"})


def _memory() -> dict[str, float]:
    """Current and peak resident memory of this process, MB (Linux /proc)."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) / 1024
    return out


def _release_freed_memory() -> None:
    """Give memory freed by Python back to the OS (glibc keeps it otherwise)."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> None:
    """Reset the peak (VmHWM) to the current resident memory (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _setup(tool: str, case: str, data: dict, tmp: Path):
    """Everything before the timer: returns a function that runs the timed part.

    Each worker imports only its own tool, so neither carries the other's modules in memory.
    """
    if case in (APPLY, FULL):
        cw, values = data["crosswalk"], data["values"]
        s_codes, t_codes = data["source_codes"], data["target_codes"]
        if tool == "tobler":
            from tobler.area_weighted import area_interpolate

            names = [f"v{i}" for i in range(values.shape[1])]
            # The stored crosswalk as tobler's table (sources x targets). Point geometries
            # have area 0, which tobler replaces by 1: the table then holds the weights.
            source = gpd.GeoDataFrame(pd.DataFrame(values, columns=names),
                                      geometry=shapely.points(np.zeros(len(s_codes)), 0.0),
                                      crs="EPSG:28992")
            target = gpd.GeoDataFrame(geometry=shapely.points(np.zeros(len(t_codes)), 0.0),
                                      crs="EPSG:28992")
            s = pd.Index(s_codes).get_indexer(cw["source_code"])
            t = pd.Index(t_codes).get_indexer(cw["target_code"])
            table = sp.csr_matrix((cw["weight"].to_numpy(), (s, t)),
                                  shape=(len(s_codes), len(t_codes)))
            return lambda: area_interpolate(source, target, extensive_variables=names,
                                            table=table, allocate_total=False)[names].to_numpy()
        if case == APPLY:
            return lambda: CrosswalkMatrix(cw, s_codes, t_codes).apply(values)
        variables = [f"V{i:03d}" for i in range(PER_YEAR)]
        catalog = _catalog(tmp, variables)
        area = pd.Series(data["target_area_ha"], index=pd.Index(t_codes))
        years = [long_values(s_codes, variables, values[:, y * PER_YEAR:(y + 1) * PER_YEAR])
                 for y in range(YEARS)]

        def full():
            results = []
            for long in years:  # one reaggregate call per year: long table in and out
                result = reaggregate(long, cw, catalog, area)
                results.append(result["value"].to_numpy().reshape(PER_YEAR, len(t_codes)).T)
            return np.hstack(results)

        return full
    source, target, names = _frames(data)
    # Drop the serialised geometry now that the GeoDataFrames hold it: the timed part should
    # start from the inputs each tool needs, not from the harness's copies (same for both).
    del data["source"], data["target"]
    if tool == "tobler":
        from tobler.area_weighted import area_interpolate

        return lambda: area_interpolate(source, target, extensive_variables=names,
                                        allocate_total=False)[names].to_numpy()
    values = source[names].to_numpy()

    def engine():
        cw = build_crosswalk(source, target, exact_share=EXACT_SHARE, sliver_width=SLIVER_WIDTH)
        return CrosswalkMatrix(cw, data["source_codes"], data["target_codes"]).apply(values)

    return engine


def _catalog(tmp: Path, variables: list[str]):
    from geo.catalog import load_catalog

    return load_catalog(count_catalog(tmp / "catalog.toml", variables))


def worker(tool: str, case: str, path: Path, out: Path) -> None:
    """One timed run in this process; writes time, memory and the result next to ``out``."""
    data = _load(path)
    timed = _setup(tool, case, data, out.parent)
    gc.collect()
    _release_freed_memory()
    _reset_peak()
    loaded = _memory()["VmRSS"]
    start = time.perf_counter()
    result = timed()
    seconds = time.perf_counter() - start
    peak = _memory()["VmHWM"]
    np.save(out.with_suffix(".npy"), np.asarray(result, dtype=float))
    out.write_text(json.dumps({"seconds": seconds, "peak_mb": peak, "loaded_mb": loaded}))


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


def _row(case: str, got: dict, reference: np.ndarray) -> dict:
    row = {"case": case}
    for tool, runs in got.items():
        row[f"{tool}_s"] = float(np.median([r["seconds"] for r in runs]))
        row[f"{tool}_mb"] = max(r["peak_mb"] for r in runs)
        row[f"{tool}_loaded_mb"] = float(np.median([r["loaded_mb"] for r in runs]))
        row[f"{tool}_over_mb"] = max(r["peak_mb"] - r["loaded_mb"] for r in runs)
    row["ratio"] = row["tobler_s"] / row["wijkatlas_s"] if "tobler_s" in row else np.nan
    row["max_rel_diff"] = max(_agreement(r["result"], reference) for r in got["wijkatlas"])
    row["agree"] = row["max_rel_diff"] <= TOLERANCE
    return row


def run(runs: int = 5, n: int = 14_000, cases: list[str] | None = None,
        out: Path | None = ROOT / "bench" / "results.md") -> pd.DataFrame:
    """Run every case ``runs`` times per tool, print and save the markdown table."""
    cases = cases or ALL_CASES
    rows = []
    references: dict[Path, np.ndarray] = {}  # tobler's result per input file
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for case in cases:
            print(f"[bench] {case}: preparing inputs", flush=True)
            path = prepare(case, n)
            tools = ["wijkatlas"] if case in WIJKATLAS_ONLY else ["tobler", "wijkatlas"]
            got: dict[str, list[dict]] = {tool: [] for tool in tools}
            for i in range(runs):
                for tool in tools:
                    got[tool].append(_spawn(tool, case, path, tmp, i))
                print(f"[bench] {case}: run {i + 1}/{runs}: " + ", ".join(
                    f"{tool} {got[tool][-1]['seconds']:.2f} s" for tool in tools), flush=True)
            if "tobler" in got:
                references[path] = got["tobler"][0]["result"]
            elif path not in references:  # tobler's result on the same inputs, untimed
                references[path] = _spawn("tobler", APPLY, path, tmp, 0)["result"]
            rows.append(_row(case, got, references[path]))
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


def _pair(row, key: str, fmt: str = "{:.0f}") -> str:
    t, w = getattr(row, f"tobler_{key}", np.nan), getattr(row, f"wijkatlas_{key}")
    return f"{'-' if pd.isna(t) else fmt.format(t)} / {fmt.format(w)}"


def markdown(table: pd.DataFrame, runs: int, n: int) -> str:
    """The README table: case, tobler, wijkatlas, ratio, memory."""
    load = os.getloadavg()
    lines = [f"Median of {runs} runs per tool, {n:,} source units, {os.cpu_count()} cores "
             f"(load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}). "
             "Memory in MB, tobler / wijkatlas: *loaded* is the resident memory with the inputs "
             "loaded, *peak* the largest resident memory while timed, *over inputs* = peak - "
             "loaded (the tool's own need; the largest of the runs).", "",
             "| case | tobler | wijkatlas | ratio | loaded | peak memory | memory over inputs "
             "| agree (max rel. diff) |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in table.itertuples():
        tobler = "-" if pd.isna(getattr(r, "tobler_s", np.nan)) else f"{r.tobler_s:.2f} s"
        ratio = "-" if pd.isna(r.ratio) else f"{r.ratio:.1f}x"
        lines.append(f"| {r.case} | {tobler} | {r.wijkatlas_s:.2f} s | {ratio} | "
                     f"{_pair(r, 'loaded_mb')} | {_pair(r, 'mb')} | {_pair(r, 'over_mb')} | "
                     f"{'yes' if r.agree else 'NO'} ({r.max_rel_diff:.1e}) |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
    else:
        raise SystemExit("usage: python -m bench.crosswalk_bench worker TOOL CASE INPUT OUT")
