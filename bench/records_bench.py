"""Register records at national scale, side by side with a plain geopandas sjoin + groupby.

``python -m bench.records_bench`` (part of ``make bench``) runs two cases, each tool in a fresh
process, several runs, medians, and writes ``bench/records.md``:

* **points**: 10 million point records (4 kinds, 8 years) onto 14,000 Voronoi units over the
  RD extent. wijkatlas: ``prepare_records`` + ``locate_records`` + ``count_records`` (counts
  per unit, kind and year on the units and a gemeente total, with disclosure control).
  Reference: ``geopandas.points_from_xy`` + ``sjoin(predicate="within")`` + ``groupby``.
* **addresses**: 1 million PC6 + huisnummer records through 2 million address points onto the
  same units. wijkatlas: the same three calls (addresses placed in the units once, records
  joined to their address of that year). Reference: ``pandas.merge`` on postcode + huisnummer,
  ``points_from_xy`` + ``sjoin`` + ``groupby``.

Both tools get the same records in memory (generated from a seed before the timer). Their
counts are compared cell by cell (wijkatlas: the cells it publishes, which are all cells at
these sizes but the few withheld by disclosure control).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.crosswalk_bench import _memory, _release_freed_memory, _reset_peak

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "records.md"
KINDS = np.array(["woninginbraak", "fietsdiefstal", "geweld", "overlast"], dtype=object)
YEARS = np.arange(2015, 2023)


def _units(n: int):
    from bench.synthetic import voronoi_units

    return voronoi_units(n, seed=11)


def point_records(n: int, seed: int = 5) -> pd.DataFrame:
    from bench.synthetic import RD_EXTENT

    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = RD_EXTENT
    return pd.DataFrame({
        "datum": pd.to_datetime(rng.choice(YEARS, n).astype(str)),
        "soort": pd.Categorical.from_codes(rng.integers(0, len(KINDS), n), KINDS),
        "x": rng.uniform(xmin, xmax, n), "y": rng.uniform(ymin, ymax, n)})


def addresses(n: int, seed: int = 6) -> pd.DataFrame:
    """Synthetic address points with a PC6 per 300 m grid cell and numbers 1.. in it."""
    from bench.synthetic import RD_EXTENT

    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = RD_EXTENT
    x, y = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    cell = (np.floor((x - xmin) / 300).astype(np.int64) * 10_000
            + np.floor((y - ymin) / 300).astype(np.int64))
    _, pc = np.unique(cell, return_inverse=True)
    letters = np.array([a + b for a in "ABCDEFGHJKLMNPRSTVWXZ" for b in "ABCDEFGHJKLMNPRSTVWXZ"])
    postcode = (np.char.add((1000 + pc // len(letters)).astype(str), letters[pc % len(letters)]))
    frame = pd.DataFrame({"postcode": postcode, "x": x, "y": y,
                          "bouwjaar": rng.integers(1900, 2015, n)})
    frame["huisnummer"] = frame.groupby("postcode").cumcount() + 1
    return frame


def address_records(n: int, adr: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(adr), n)
    return pd.DataFrame({
        "datum": pd.to_datetime(rng.choice(YEARS, n).astype(str)),
        "soort": pd.Categorical.from_codes(rng.integers(0, len(KINDS), n), KINDS),
        "postcode": adr["postcode"].to_numpy()[pick],
        "huisnummer": adr["huisnummer"].to_numpy()[pick]})


def _source(tmp: Path, location: str):
    from geo.records import load_record_source

    inds = "".join(f'\n[[indicator]]\ncode = "R_{k.upper()[:6]}"\nlabel = "{k}"\n'
                   f'theme = "veiligheid"\nunit = "registraties"\nwhere = {{ soort = "{k}" }}\n'
                   for k in KINDS)
    path = tmp / "source.toml"
    path.write_text(f'name = "bench"\ndate = "datum"\n[location]\n{location}\n{inds}')
    return load_record_source(path)


def worker(tool: str, case: str, n: int, units_n: int, out: Path) -> None:
    """One timed run in this (fresh) process; writes figures and the counts to ``out``."""
    units = _units(units_n)
    if case == "points":
        records = point_records(n)
        adr = None
    else:
        adr = addresses(2 * n)
        records = address_records(n, adr)
    tmp = Path(tempfile.mkdtemp())
    _release_freed_memory()
    loaded = _memory()["VmRSS"]
    _reset_peak()
    t0 = time.perf_counter()
    if tool == "wijkatlas":
        import geopandas as gpd

        from geo.records import count_records, locate_records, prepare_records

        src = _source(tmp, 'method = "xy"\nx = "x"\ny = "y"' if case == "points" else
                      'method = "pc6_huisnummer"\npostcode = "postcode"\n'
                      'huisnummer = "huisnummer"\nfallback_pc6 = false')
        targets = {"v": units}
        points = None
        if adr is not None:
            points = gpd.GeoDataFrame(adr, geometry=gpd.points_from_xy(adr["x"], adr["y"]),
                                      crs="EPSG:28992")
        prepared = prepare_records(records, src)
        placement = locate_records(prepared, src, targets, points)
        res = count_records(placement, src, targets)
        elapsed = time.perf_counter() - t0
        got = res[(res["level"] == "wijk") & (res["status"] == "observed")]
        got = got.assign(kind=got["variable"]).set_index(["unit_code", "year", "kind"])["value"]
        kinds = {f"R_{k.upper()[:6]}": k for k in KINDS}
        got.index = got.index.set_levels(got.index.levels[2].map(kinds), level=2)
    else:
        import geopandas as gpd

        frame = records
        if adr is not None:
            frame = records.merge(adr[["postcode", "huisnummer", "x", "y"]],
                                  on=["postcode", "huisnummer"], how="inner")
        pts = gpd.GeoDataFrame(frame[["datum", "soort"]],
                               geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                               crs="EPSG:28992")
        joined = gpd.sjoin(pts, units[["code", "geometry"]], predicate="within")
        got = joined.groupby([joined["code"], joined["datum"].dt.year,
                              joined["soort"].astype(str)]).size().astype(float)
        elapsed = time.perf_counter() - t0
        got.index.names = ["unit_code", "year", "kind"]
    mem = _memory()
    got = got.reset_index()
    got.columns = ["unit_code", "year", "kind", "value"]
    got.to_csv(out.with_suffix(".csv"), index=False)
    out.write_text(json.dumps({"seconds": elapsed, "loaded": loaded, "peak": mem["VmHWM"]}))


def _spawn(tool: str, case: str, n: int, units_n: int, tmp: Path, run: int) -> dict:
    out = tmp / f"{tool}_{case}_{run}.json"
    subprocess.run([sys.executable, "-m", "bench.records_bench", "--worker", tool, case,
                    "--n", str(n), "--units", str(units_n), "--result", str(out)],
                   check=True, cwd=ROOT)
    figures = json.loads(out.read_text())
    figures["counts"] = pd.read_csv(out.with_suffix(".csv"), dtype={"unit_code": str})
    return figures


def _agree(ours: pd.DataFrame, ref: pd.DataFrame) -> tuple[bool, int, int]:
    """Cells published by wijkatlas equal the reference (cells it lacks are 0 there or
    withheld); returns (agree, published cells, reference cells)."""
    key = ["unit_code", "year", "kind"]
    ref = ref.set_index(key)["value"]
    ours = ours.set_index(key)["value"]
    ours_nz = ours[ours > 0]
    same = ref.reindex(ours_nz.index).fillna(0).to_numpy()
    return bool(np.array_equal(same, ours_nz.to_numpy())), len(ours_nz), len(ref)


def run(runs: int, n_points: int, n_addresses: int, units_n: int) -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for case, n in (("points", n_points), ("addresses", n_addresses)):
            figures = {}
            for tool in ("geopandas", "wijkatlas"):
                got = [_spawn(tool, case, n, units_n, tmp, r) for r in range(runs)]
                figures[tool] = got
                print(f"{case} {tool}: " + ", ".join(f"{g['seconds']:.1f}s" for g in got),
                      flush=True)
            agree, published, ref_cells = _agree(figures["wijkatlas"][0]["counts"],
                                                 figures["geopandas"][0]["counts"])
            med = {t: {k: float(np.median([g[k] for g in figures[t]]))
                       for k in ("seconds", "loaded", "peak")} for t in figures}
            rows.append((case, n, med, agree, published, ref_cells))
    lines = [f"# Register records at national scale ({units_n:,} units)", "",
             f"Medians of {runs} runs, each tool in a fresh process, same records in memory. "
             "Memory in MB: *loaded* = resident with the inputs, *peak* = while timed.", "",
             "| case | records | geopandas sjoin + groupby | wijkatlas (locate + count + "
             "disclosure) | ratio | peak memory geopandas / wijkatlas | over inputs "
             "geopandas / wijkatlas | counts agree |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for case, n, med, agree, published, ref_cells in rows:
        g, w = med["geopandas"], med["wijkatlas"]
        lines.append(
            f"| {case} | {n:,} | {g['seconds']:.1f} s | {w['seconds']:.1f} s | "
            f"{g['seconds'] / w['seconds']:.1f}x | {g['peak']:.0f} / {w['peak']:.0f} | "
            f"{g['peak'] - g['loaded']:.0f} / {w['peak'] - w['loaded']:.0f} | "
            f"{'yes' if agree else 'NO'} ({published:,} of {ref_cells:,} cells published) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.records_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--n", type=int, default=10_000_000, help="point records")
    parser.add_argument("--addresses-n", type=int, default=1_000_000,
                        help="PC6 + huisnummer records")
    parser.add_argument("--units", type=int, default=14_000)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, n=args.n, units_n=args.units, out=args.result)
        return
    from geo.atomic import write_text

    text = run(args.runs, args.n, args.addresses_n, args.units)
    write_text(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
