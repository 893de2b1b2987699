"""Size and first-render time of the web atlas: Heusden and a national-scale map.

Run: ``python -m bench.maps_bench [--units 14000] [--years 5] [--compare]``.

* Heusden: the sample atlas as ``make atlas`` builds it (15 wijken, every indicator of the
  catalog, 2008-2022). Target < 1.5 MB.
* National: ``bench.synthetic.voronoi_units`` polygons with one indicator over ``--years``
  years (statuses and interpolation bounds included). Target < 3 MB of HTML and first render
  in headless Chromium < 3 s (offline, file:// URL; "first render" is the moment the page's
  own code has drawn every polygon and the browser has painted the frame).
* ``--compare`` also writes folium's default output (one ``folium.GeoJson`` per year with the
  values as properties) for the national map, for the size comparison.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

from bench.synthetic import voronoi_units
from geo.maps import build_maps
from geo.maps.classes import map_classes_table

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SPEC = """kind = "atlas"
file = "index.html"
title = "Nationale proef"
version = "nl"
"""


def national_atlas(path: Path, specs: Path, n: int, years: int, seed: int = 1) -> None:
    """Write a contract-conforming atlas of ``n`` synthetic units and one indicator."""
    units = voronoi_units(n, seed)
    units["version"], units["lineage"], units["lineage_parents"] = "nl", "new", ""
    units["definition"], units["area_ha"] = "drawn", units.area / 10_000
    rng = np.random.default_rng(seed)
    yrs = np.arange(2018, 2018 + years)
    grid = pd.MultiIndex.from_product([units["code"], yrs], names=["unit_code", "year"])
    res = grid.to_frame(index=False)
    res["version"], res["variable"] = "nl", "inwoners"
    res["unit_name"] = res["unit_code"]
    res["value"] = np.round(rng.gamma(2.0, 800.0, len(res)))
    status = rng.choice(["observed", "partial", "suppressed", "missing"], len(res),
                        p=[0.94, 0.02, 0.02, 0.02])
    res["status"] = status
    res.loc[np.isin(status, ["suppressed", "missing"]), "value"] = np.nan
    interp = rng.random(len(res)) < 0.3
    res["interpolated_share"] = np.where(interp, rng.random(len(res)), 0.0)
    res["lower"] = np.where(interp, res["value"] * 0.9, np.nan)
    res["upper"] = np.where(interp & (status == "observed"), res["value"] * 1.1, np.nan)
    res["method"], res["approximate"] = np.where(interp, "area", "exact"), 0
    indicators = pd.DataFrame([("inwoners", "Inwoners", "bevolkingssamenstelling", "inwoners",
                                "count", "", "", "", "synthetisch", 0, "")],
                              columns=["code", "label", "theme", "unit", "kind", "denominator",
                                       "weight", "count", "source", "decimals", "description"])
    versions = pd.DataFrame({"id": ["nl"], "name": ["Synthetische buurten"],
                             "valid_from": ["2018-01-01"], "status": ["published"],
                             "parent": [""], "checksum": [""], "n_units": [n],
                             "description": ["bench"]})
    (specs / "atlas.toml").write_text(SPEC, encoding="utf-8")
    pyogrio.write_dataframe(units, path, layer="wijkindeling_nl", driver="GPKG",
                            promote_to_multi=True)
    for name, df in (("versions", versions), ("indicators", indicators), ("results", res),
                     ("map_classes", map_classes_table(res, indicators, specs))):
        pyogrio.write_dataframe(df, path, layer=name, driver="GPKG")


def folium_default(atlas: Path, out: Path, years: int) -> int:
    """Size of folium's default output: one GeoJson layer per year, values as properties."""
    import folium

    units = pyogrio.read_dataframe(atlas, layer="wijkindeling_nl").to_crs("EPSG:4326")
    res = pyogrio.read_dataframe(atlas, layer="results")
    m = folium.Map(location=[52.2, 5.3], zoom_start=8)
    for year, sub in res.groupby("year"):
        gdf = units.merge(sub[["unit_code", "value", "status"]], left_on="code",
                          right_on="unit_code")
        folium.GeoJson(gdf[["code", "name", "value", "status", "geometry"]], name=str(year),
                       tooltip=folium.GeoJsonTooltip(["name", "value", "status"])).add_to(m)
    m.save(out)
    return out.stat().st_size


def first_render(page: Path, runs: int = 3) -> float:
    """Median seconds from navigation start to the first painted frame with all polygons."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(runs):
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            tab.goto(page.as_uri())
            tab.wait_for_function("window.wijkatlas && window.wijkatlas.ready", timeout=60_000)
            if errors:
                raise RuntimeError(f"JavaScript errors on {page}: {errors}")
            times.append(tab.evaluate("window.wijkatlas.readyAt") / 1000.0)
            context.close()
        browser.close()
    return float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=14_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--compare", action="store_true", help="also measure folium's default")
    args = ap.parse_args(argv)
    from geo.atlas import build_atlas

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gpkg = build_atlas(REPO, tmp / "heusden_atlas")
        t0 = time.perf_counter()
        pages = build_maps(gpkg, REPO / "maps", tmp / "heusden")
        build_s = time.perf_counter() - t0
        index = pages[0]
        rows.append(("Heusden sample atlas (15 wijken, 2008-2022)", index.stat().st_size, 1.5e6,
                     build_s, first_render(index)))
        specs = tmp / "specs"
        specs.mkdir()
        gpkg = tmp / "national.gpkg"
        national_atlas(gpkg, specs, args.units, args.years)
        t0 = time.perf_counter()
        index = build_maps(gpkg, specs, tmp / "national")[0]
        build_s = time.perf_counter() - t0
        rows.append((f"national ({args.units:,} polygons, {args.years} years)",
                     index.stat().st_size, 3e6, build_s, first_render(index)))
        if args.compare:
            size = folium_default(gpkg, tmp / "folium.html", args.years)
            rows.append((f"folium default, same data ({args.years} GeoJson layers)", size, None,
                         None, None))
    print(f"{'map':<48} {'HTML MB':>8} {'limit':>6} {'build s':>8} {'render s':>9}")
    ok = True
    for name, size, limit, build_s, render_s in rows:
        over = limit is not None and size > limit
        slow = render_s is not None and render_s > 3.0
        ok &= not (over or slow)
        print(f"{name:<48} {size / 1e6:>8.2f} {'' if limit is None else f'{limit / 1e6:.1f}':>6} "
              f"{'' if build_s is None else f'{build_s:.1f}':>8} "
              f"{'' if render_s is None else f'{render_s:.2f}':>9}")
    print("all within limits" if ok else "LIMIT EXCEEDED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
