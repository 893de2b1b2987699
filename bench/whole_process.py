"""Whole-process timing: ``wijkatlas reaggregate --plain-area`` against a tobler script.

``python -m bench.whole_process [--runs 5] [--n 14000]`` generates the hard year-over-year
pair of issue 15 once (:mod:`bench.hard_pair`, cached in ``build/bench/``), then runs the two
commands in turn, each as a fresh process, ``--runs`` times, and reports the median wall
time, the peak resident memory of each process (from ``wait4``) and the largest relative
difference between their results. Both read the same GeoPackages and CSV and write a CSV.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from geo.atomic import write_text

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench"
VARIABLES = ("AANT_INW", "AANT_MAN", "AANT_VROUW", "AANTAL_HH", "WONINGEN")


def _paths(n: int) -> tuple[Path, Path, Path]:
    return tuple(CACHE / f"hard_{n}_{k}" for k in ("source.gpkg", "target.gpkg", "values.csv"))


def inputs(n: int) -> tuple[Path, Path, Path]:
    """The hard pair as GeoPackages and a values CSV with five count columns (cached).

    They are made in a child process: a process started later inherits this one's peak
    memory in its ``ru_maxrss``, so this process must stay small.
    """
    src, tgt, vals = _paths(n)
    if not vals.exists():
        subprocess.run([sys.executable, "-m", "bench.whole_process", "--prepare", "--n",
                        str(n)], cwd=ROOT, check=True)
    return src, tgt, vals


def prepare(n: int) -> None:
    """Make the inputs of :func:`inputs` in this process."""
    from bench.hard_pair import hard_pair

    src, tgt, vals = _paths(n)
    if not vals.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        source, target = hard_pair(n)
        pyogrio.write_dataframe(source, src, layer="buurten")
        pyogrio.write_dataframe(target, tgt, layer="buurten")
        rng = np.random.default_rng(5)
        table = pd.DataFrame({"code": source["code"]})
        for column in VARIABLES:
            table[column] = rng.integers(0, 5_000, len(source))
        table.to_csv(vals, index=False)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def commands(n: int) -> dict[str, tuple[list[str], Path]]:
    src, tgt, vals = inputs(n)
    py = sys.executable
    wijkatlas = str(Path(py).with_name("wijkatlas"))
    out_w, out_t = CACHE / "whole_wijkatlas.csv", CACHE / "whole_tobler.csv"
    return {
        "tobler": ([py, str(ROOT / "bench" / "tobler_script.py"), str(src), str(tgt),
                    str(vals), str(out_t)], out_t),
        "wijkatlas": ([wijkatlas, "reaggregate", "--source", str(src), "--target", str(tgt),
                       "--values", str(vals), "--source-code", "code", "--target-code",
                       "code", "--values-code", "code", "--plain-area", "--out", str(out_w)],
                      out_w),
    }


def agreement(out_w: Path, out_t: Path) -> float:
    """Largest relative difference between the two results (values under 1 count as 1)."""
    mine = pd.read_csv(out_w, dtype={"code": str}).pivot(index="code", columns="variable",
                                                        values="value")
    ref = pd.read_csv(out_t, dtype={"code": str}).set_index("code")
    columns = [c for c in VARIABLES if c in mine.columns]
    a, b = mine.loc[ref.index, columns].to_numpy(float), ref[columns].to_numpy(float)
    # Relative to the value, or to 1 for values under 1 (a sliver target's 0.0002 people).
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


def run(runs: int = 5, n: int = 14_000) -> dict:
    cmds = commands(n)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    peaks: dict[str, list[float]] = {k: [] for k in cmds}
    for i in range(runs):
        for tool, (cmd, _) in cmds.items():  # in turn, so load hits both alike
            wall, peak = timed(cmd)
            times[tool].append(wall)
            peaks[tool].append(peak)
            print(f"run {i + 1}/{runs} {tool}: {wall:.1f} s, {peak:.0f} MB", file=sys.stderr)
    figures = {tool: {"median_s": statistics.median(times[tool]), "runs_s": times[tool],
                      "peak_mb": max(peaks[tool])} for tool in cmds}
    figures["max_rel_diff"] = agreement(cmds["wijkatlas"][1], cmds["tobler"][1])
    figures["load"] = os.getloadavg()
    return figures


def markdown(f: dict, n: int) -> str:
    t, w = f["tobler"], f["wijkatlas"]
    runs = len(t["runs_s"])
    return (
        f"Whole process, hard year-over-year pair ({n:,} -> {n:,} Voronoi buurten, edges every "
        f"25 m, 15 % of the seeds moved 800 m), median of {runs} runs each, in turn "
        f"(load average at the end {f['load'][0]:.2f}):\n\n"
        "| command | median | runs | peak memory |\n|---|---:|---|---:|\n"
        f"| tobler script (`area_interpolate`, allocate_total=True, n_jobs=1) | "
        f"{t['median_s']:.1f} s | {' / '.join(f'{x:.1f}' for x in t['runs_s'])} | "
        f"{t['peak_mb']:.0f} MB |\n"
        f"| `wijkatlas reaggregate --plain-area` | {w['median_s']:.1f} s | "
        f"{' / '.join(f'{x:.1f}' for x in w['runs_s'])} | {w['peak_mb']:.0f} MB |\n\n"
        f"Ratio {t['median_s'] / w['median_s']:.2f}x; results agree within "
        f"{f['max_rel_diff']:.1e} (relative).\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.whole_process")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--n", type=int, default=14_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("whole_process.md"))
    parser.add_argument("--prepare", action="store_true", help="only make the inputs")
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.n)
        return
    text = markdown(run(args.runs, args.n), args.n)
    write_text(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
