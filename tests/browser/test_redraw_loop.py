"""The whole redraw loop on a fresh copy of the sample, as the README tells a GIS officer:

draft 2024 from 2020, assign a buurt, export, edit polygons as QGIS would (a GeoPackage written
by GDAL), import, diff, publish, build; then 2024 is in the GeoPackage, the trend tables, both
web maps (real Chromium) and the QGIS plugin's version list (real QGIS). The copy is the
whole sample (all years, registers and survey), so the build is the one a user runs.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import textwrap
from pathlib import Path

import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from geo.cli import app
from geo.sources import load_cbs_buurten
from tests.helpers import REPO, copy_repo

runner = CliRunner()
SYSPY = "/usr/bin/python3"


def cli(root: Path, *args: str):
    res = runner.invoke(app, ["--root", str(root), *args])
    return res


def ok(root: Path, *args: str) -> str:
    res = cli(root, *args)
    assert res.exit_code == 0, res.output
    return res.output


def one(units, code):
    return units.loc[units["code"] == code, "geometry"].iloc[0]


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    root = copy_repo(tmp_path_factory.mktemp("fresh"))
    ok(root, "versions", "draft", "2024", "--from", "2020")
    ok(root, "versions", "assign", "2024", "BU07970900=W16", "--name", "W16=Herpt")
    edit = root / "edit.gpkg"
    ok(root, "versions", "export", "2024", str(edit))
    # In "QGIS": move a 500 m block of Vlijmen Dorp (W06) to Vijfhoeven (W07), rename W12 and
    # merge Centrum Drunen (W01) into Braken West (W03); saved by GDAL as a GeoPackage.
    units = pyogrio.read_dataframe(edit, layer="units")
    g6 = one(units, "W06")
    c = shapely.centroid(g6)
    block = shapely.intersection(shapely.box(c.x - 250, c.y - 250, c.x + 250, c.y + 250), g6)
    units.loc[units["code"] == "W06", "geometry"] = shapely.difference(g6, block)
    units.loc[units["code"] == "W07", "geometry"] = shapely.union(one(units, "W07"), block)
    units.loc[units["code"] == "W12", "name"] = "Heusden Vesting"
    units.loc[units["code"] == "W03", "geometry"] = shapely.union(one(units, "W03"),
                                                                  one(units, "W01"))
    units = units[units["code"] != "W01"]
    edit.unlink()
    pyogrio.write_dataframe(units, edit, layer="units", driver="GPKG")
    ok(root, "versions", "import", "2024", str(edit))
    diff_json = json.loads(ok(root, "versions", "diff", "2020", "2024", "--json"))
    diff_text = ok(root, "versions", "diff", "2020", "2024", "--changes",
                   str(root / "changed.gpkg"))
    ok(root, "versions", "publish", "2024")
    build = root / "build"
    ok(root, "build", "--out", str(build))
    return {"root": root, "build": build, "diff": diff_json, "text": diff_text,
            "block_ha": block.area / 1e4,
            "herpt_ha": shapely.area(load_cbs_buurten(
                REPO / "layers" / "cbs" / "cbs_buurten_2016_GM0797.geojson").set_index("code")
                .geometry["BU07970900"]) / 1e4}


def test_the_diff_states_every_move_the_rename_and_the_merge(loop):
    units = {u["code"]: u for u in loop["diff"]["units"]}
    moves = sorted((src, u["code"], round(ha, 1)) for u in units.values()
                   if u["change"] != "removed" for src, _, ha in u["received"])
    assert moves == sorted([("W14", "W16", round(loop["herpt_ha"], 1)),
                            ("W06", "W07", round(loop["block_ha"], 1)),
                            ("W01", "W03", 11.7)])
    assert units["W14"]["gave"][0][:2] == ["W16", "Herpt"]
    assert units["W06"]["gave"][0][0] == "W07" and units["W06"]["received"] == []
    assert units["W16"]["change"] == "split" and units["W16"]["parents"] == ["W14"]
    assert units["W12"]["change"] == "renamed" and units["W12"]["old_name"] == "Vesting Heusden"
    assert units["W03"]["change"] == "merged" and units["W01"]["change"] == "removed"
    text = loop["text"]
    assert text.startswith("Changes from 2020 (15 units) to 2024 (15 units)")
    assert f"W14  Andere kernen: boundary changed: gave {loop['herpt_ha']:.1f} ha to W16 Herpt" \
        in text
    assert f"W07  Vijfhoeven: boundary changed: received {loop['block_ha']:.1f} ha from W06" \
        in text
    assert 'W12  Heusden Vesting: renamed from "Vesting Heusden"' in text
    assert "W01  Centrum Drunen: removed, merged into W03 Braken West" in text
    assert "3 moved piece(s)" in text and "(layer changes)" in text


def test_the_new_version_is_in_the_geopackage_and_the_trend_tables(loop):
    gpkg = loop["build"] / "atlas.gpkg"
    layers = set(pyogrio.list_layers(gpkg)[:, 0])
    assert {"wijkindeling_2024", "changes_2020_2024", "trend_2024"} <= layers
    versions = pyogrio.read_dataframe(gpkg, layer="versions")
    assert list(versions["id"].astype(str)) == ["2016", "2020", "2024"]
    w24 = pyogrio.read_dataframe(gpkg, layer="wijkindeling_2024").set_index("code")
    assert w24.loc["W16", "lineage"] == "split_from"
    assert "afgesplitst van W14 Andere kernen" in w24.loc["W16", "lineage_text"]
    assert "samengevoegd met W01 Centrum Drunen" in w24.loc["W03", "lineage_text"]
    changes = pyogrio.read_dataframe(gpkg, layer="changes_2020_2024")
    assert sorted(zip(changes["from_code"], changes["to_code"], strict=True)) == [
        ("W01", "W03"), ("W06", "W07"), ("W14", "W16")]
    trend = pyogrio.read_dataframe(gpkg, layer="trend_2024")
    assert "W16" in set(trend["unit_code"]) and "W01" not in set(trend["unit_code"])
    csv = (loop["build"] / "exports" / "trend_2024.csv").read_text(encoding="utf-8")
    assert "Herpt" in csv
    classes = pyogrio.read_dataframe(gpkg, layer="map_classes")
    per = {v: g.drop(columns="version").reset_index(drop=True)
           for v, g in classes.groupby("version")}
    assert set(per) == {"2016", "2020", "2024"}
    assert per["2024"].equals(per["2016"])  # one scheme, palette and breaks per indicator


def test_both_web_maps_offer_the_new_version(loop, open_page):
    maps = loop["build"] / "maps"
    assert {p.name for p in maps.glob("*.html")} == {"index.html", "index_2016.html",
                                                     "index_2020.html", "grenzen.html"}
    p = open_page((maps / "index.html").as_uri())
    data = p.page.evaluate("window.wijkatlas.data")
    assert data["version"] == "2024" and "W16" in data["units"]["code"]
    options = p.page.eval_on_selector_all("#wa-version option", "o => o.map(x => x.textContent)")
    assert options == ["Wijkindeling Heusden 2016 (14 wijken)",
                       "Wijkindeling Heusden 2020 (15 wijken)", "Wijkindeling 2024"]
    p.page.select_option("#wa-version", "index_2016.html")
    p.page.wait_for_url("**/index_2016.html")
    p.page.wait_for_function("window.wijkatlas && window.wijkatlas.ready", timeout=20_000)
    assert p.page.evaluate("window.wijkatlas.data.version") == "2016"
    assert p.page.evaluate("window.wijkatlas.data.units.code.length") == 14
    assert not p.js_errors and not p.requests
    g = open_page((maps / "grenzen.html").as_uri())
    labels = g.page.eval_on_selector_all(".leaflet-control-layers-base label",
                                         "l => l.map(x => x.textContent.trim())")
    assert "Wijkindeling 2024" in labels
    text = g.page.evaluate("""() => {
        var out = []; window.wijkatlas.layers['2024'].units.eachLayer(function (l) {
            if (l.unitCode === 'W16') { out.push(l.getTooltip().getContent()); } });
        return out.join(''); }""")
    assert "afgesplitst van W14 Andere kernen" in text
    assert not g.js_errors


QGIS_SCRIPT = textwrap.dedent("""
    import sys
    from qgis.core import QgsApplication
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], True)
    app.initQgis()
    sys.path.insert(0, sys.argv[2])
    from wijkatlas.panel import WijkatlasPanel
    panel = WijkatlasPanel()
    panel.open_atlas(sys.argv[1])
    box = panel.version_box
    print([box.itemData(i) for i in range(box.count())])
    print([box.itemText(i) for i in range(box.count())])
    del panel
    app.exitQgis()
""")


def test_the_qgis_plugin_lists_the_new_version(loop, tmp_path):
    if not Path(SYSPY).exists() or subprocess.run(
            [SYSPY, "-c", "import qgis.core"], capture_output=True).returncode != 0:
        if os.environ.get("CI"):
            pytest.fail("QGIS Python bindings missing (CI must run the QGIS tests)")
        pytest.skip("QGIS Python bindings missing")
    script = tmp_path / "versions.py"
    script.write_text(QGIS_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(QT_QPA_PLATFORM="offscreen", WIJKATLAS_LANG="nl", HOME=str(tmp_path))
    proc = subprocess.run([SYSPY, str(script), str(loop["build"] / "atlas.gpkg"),
                           str(REPO / "qgis_plugin")], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ids, texts = (ast.literal_eval(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert ids == ["2016", "2020", "2024"]
    assert texts[-1].startswith("Wijkindeling 2024")
