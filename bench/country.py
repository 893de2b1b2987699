"""A country-sized reaggregation through the command line (``python -m bench country``).

Generates once (seeded, cached under ``build/bench/country/``) a source GeoPackage of
14,000 synthetic buurten, a target GeoPackage (the next 'year' of
:func:`bench.pairs.year_pair`: ~90 % unchanged, the rest reshaped, split or merged), a values
CSV with 100 count variables and an indicator catalog declaring them, then runs::

    wijkatlas reaggregate --source ... --values ... --target ... --catalog ... --out ...

as a subprocess (with its progress bar on stderr) and reports its wall time, its peak memory
(``ru_maxrss`` of that child, from ``os.wait4``) and whether every variable's total is
conserved in the written CSV.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.crosswalk_bench import count_catalog
from bench.pairs import year_pair

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench" / "country"


def _write_gpkg(frame, path: Path) -> None:
    tmp = path.with_name(f"tmp_{path.name}")
    frame[["code", "name", "geometry"]].to_file(tmp, driver="GPKG", layer="buurten")
    os.replace(tmp, path)


def prepare_country(n: int = 14_000, variables: int = 100, seed: int = 7,
                    cache: Path | None = None) -> dict[str, Path]:
    """Generate (once) the inputs of the country run; return their paths.

    Returns
    -------
    Paths ``source``, ``target`` (GeoPackages), ``values`` (CSV: ``code`` and one column per
    variable) and ``catalog`` (TOML declaring the variables as counts).
    """
    folder = (cache or CACHE) / f"n{n}_v{variables}_s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"source": folder / "source.gpkg", "target": folder / "target.gpkg",
             "values": folder / "values.csv", "catalog": folder / "catalog.toml"}
    names = [f"V{i:03d}" for i in range(variables)]
    if not all(p.exists() for p in paths.values()):
        source, target = year_pair(n, seed=seed)
        _write_gpkg(source, paths["source"])
        _write_gpkg(target, paths["target"])
        values = np.random.default_rng(seed).integers(0, 5_000, (len(source), variables))
        table = pd.DataFrame(values, columns=names)
        table.insert(0, "code", source["code"].to_numpy())
        tmp = paths["values"].with_suffix(".tmp")
        table.to_csv(tmp, index=False)
        os.replace(tmp, paths["values"])
        tmp = count_catalog(paths["catalog"].with_suffix(".tmp"), names)
        os.replace(tmp, paths["catalog"])
    return paths


def country_run(out: Path, n: int = 14_000, variables: int = 100, seed: int = 7,
                cache: Path | None = None) -> dict[str, float]:
    """Run ``wijkatlas reaggregate`` on the country-sized inputs and check the output.

    Parameters
    ----------
    out
        Long CSV the command writes.
    n, variables, seed
        Size of the synthetic country and its seed.
    cache
        Folder for the generated inputs (default ``build/bench/country``).

    Returns
    -------
    ``seconds`` (wall time of the command), ``peak_mb`` (its peak resident memory), ``rows``
    of the output and ``max_rel_diff`` of the per-variable totals (output vs input).
    """
    print(f"[country] inputs: {n:,} buurten x {variables} variabelen", flush=True)
    paths = prepare_country(n, variables, seed, cache)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("wijkatlas")
    command = [str(exe), "reaggregate", "--source", str(paths["source"]),
               "--values", str(paths["values"]), "--target", str(paths["target"]),
               "--catalog", str(paths["catalog"]), "--out", str(out)]
    print("[country] " + " ".join(command), flush=True)
    start = time.perf_counter()
    child = subprocess.Popen(command)
    # wait4 gives the resource usage of this child alone; getrusage(RUSAGE_CHILDREN) would
    # report the largest of every child so far (e.g. the bench's tobler workers).
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    peak_mb = usage.ru_maxrss / 1024
    result = pd.read_csv(out, usecols=["code", "variable", "value", "status"])
    values = pd.read_csv(paths["values"], index_col="code")
    totals_out = result.groupby("variable")["value"].sum().reindex(values.columns)
    totals_in = values.sum(axis=0).astype(float)
    diff = float((totals_out - totals_in).abs().div(totals_in).max())
    figures = {"seconds": seconds, "peak_mb": peak_mb, "rows": float(len(result)),
               "targets": float(result["code"].nunique()), "max_rel_diff": diff}
    print(f"[country] {n:,} buurten x {variables} variabelen -> {figures['targets']:,.0f} "
          f"doeleenheden ({len(result):,} rijen) in {seconds:.1f} s (hele commando: inlezen, "
          f"overlay, herverdelen, schrijven), piekgeheugen {peak_mb:.0f} MB; totalen behouden: "
          f"grootste relatieve verschil {diff:.1e}; geschreven: {out}", flush=True)
    if not diff <= 1e-9 or result["status"].ne("observed").any():
        raise SystemExit("totals not conserved or values not observed in the country run")
    return figures


def country_markdown(figures: dict[str, float], n: int, variables: int) -> str:
    """The country run as a markdown paragraph for ``bench/results.md``."""
    return (f"Country-sized run through the command line (`python -m bench country`: "
            f"`wijkatlas reaggregate`, {n:,} buurten x {variables} count variables onto the "
            f"next 'year', {figures['targets']:,.0f} target units, {figures['rows']:,.0f} output "
            f"rows): **{figures['seconds']:.1f} s** wall time for the whole command (reading, "
            f"overlay, reaggregation, writing the long CSV), peak memory "
            f"**{figures['peak_mb']:.0f} MB**; every variable's total conserved (largest "
            f"relative difference {figures['max_rel_diff']:.1e}).\n")
