"""geo.maps without a browser: classes, encoding, specs, page content, errors, atomic writes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import maps_fixture
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synthetic import voronoi_units
from geo.errors import WijkatlasError
from geo.maps import build_maps
from geo.maps.classes import (
    MAP_CLASSES_COLUMNS,
    assign_classes,
    class_bounds,
    format_nl,
    palette,
)
from geo.maps.data import decode_geometry, encode_geometry
from geo.maps.specs import SAFE_PALETTES, ClassSpec, read_spec

REPO = Path(__file__).resolve().parents[1]
MAPS = REPO / "maps"


@pytest.fixture(scope="module")
def atlas(tmp_path_factory):
    path = tmp_path_factory.mktemp("atlas") / "atlas.gpkg"
    tables = maps_fixture.write_atlas(path, MAPS)
    return path, tables


@pytest.fixture(scope="module")
def pages(atlas, tmp_path_factory):
    out = tmp_path_factory.mktemp("maps")
    return build_maps(atlas[0], MAPS, out)


def page_data(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="wijkatlas-data">(.*?)</script>',
                      text, re.S)
    return json.loads(block.group(1))


@pytest.mark.parametrize("value, decimals, text", [
    (1234.5, 1, "1.234,5"), (1234567, 0, "1.234.567"), (0.5, 0, "1"), (-2.5, 0, "-3"),
    (-0.01, 1, "0,0"), (12.0, 2, "12,00"), (float("nan"), 0, ""),
])
def test_format_nl(value, decimals, text):
    assert format_nl(value, decimals) == text


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
       st.sampled_from(["quantiles", "natural_breaks", "equal_interval"]),
       st.integers(1, 9))
@settings(max_examples=60, deadline=None)
def test_classes_cover_every_value_contiguously(values, scheme, k):
    values = np.array(values)
    bounds = class_bounds(values, ClassSpec(scheme=scheme, k=k))
    assert 1 <= len(bounds) <= min(k, len(np.unique(values)))
    assert bounds[0][0] == values.min() and bounds[-1][1] == values.max()
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    table = pd.DataFrame({"class_index": range(len(bounds)), "lower": [b[0] for b in bounds],
                          "upper": [b[1] for b in bounds]})
    idx = assign_classes(values, table, where="test")
    lowers, uppers = table["lower"].to_numpy()[idx], table["upper"].to_numpy()[idx]
    tol = 1e-9 * max(1.0, np.abs(values).max())
    assert np.all((values >= lowers - tol) & (values <= uppers + tol))


def test_fixed_breaks_are_kept_and_the_top_class_reaches_the_maximum():
    bounds = class_bounds(np.array([5.0, 15, 25, 99]), ClassSpec(scheme="fixed",
                                                                   breaks=(10, 20, 30)))
    assert bounds == [(5, 10), (10, 20), (20, 30), (30, 99)]


def test_values_outside_the_classes_are_refused():
    table = pd.DataFrame({"class_index": [0, 1], "lower": [0, 10], "upper": [10, 20]})
    with pytest.raises(WijkatlasError, match="outside every class"):
        assign_classes(np.array([5, 25.0]), table, where="X")


def test_palettes_are_the_safe_colorbrewer_ones():
    for name in SAFE_PALETTES:
        for k in range(1, 10):
            colours = palette(name, k)
            assert len(colours) == k == len(set(colours))
            assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)


def test_map_classes_are_per_indicator_the_same_in_every_version(atlas):
    _, tables = atlas
    classes = tables["map_classes"]
    assert list(classes.columns) == MAP_CLASSES_COLUMNS
    res = tables["results"]
    drawn = res[res["status"].isin(["observed", "partial"])]
    for variable, group in classes.groupby("variable"):
        values = drawn[drawn["variable"] == variable]["value"]  # every version and year
        assert group["lower"].min() == values.min() and group["upper"].max() == values.max()
        per_version = [g.drop(columns="version").reset_index(drop=True)
                       for _, g in group.groupby("version")]
        assert len(per_version) == 2
        pd.testing.assert_frame_equal(per_version[0], per_version[1])
        assert list(per_version[0]["class_index"]) == list(range(len(per_version[0])))
    # layers/atlas.toml: P_65_EO_JR equal interval, PuBu, in every version
    p65 = classes[classes["variable"] == "P_65_EO_JR"]
    assert set(p65["scheme"]) == {"equal_interval"}
    for _, group in p65.groupby("version"):
        assert list(group["colour"]) == palette("PuBu", 5)
        widths = (group["upper"] - group["lower"]).to_numpy()
        assert np.allclose(widths, widths[0])
    assert all(" - " in label for label in classes["label"])


def test_invalid_class_settings_and_page_class_keys_are_refused(tmp_path):
    from geo.classes import class_settings

    config = tmp_path / "atlas.toml"
    config.write_text('[classes]\npalette = "RdYlGn"\n')
    with pytest.raises(WijkatlasError, match="colour-blind-safe") as err:
        class_settings(config)
    assert "atlas.toml" in str(err.value) and "YlGnBu" in str(err.value)
    config.write_text('[classes.X]\nscheme = "fixed"\nbreaks = [3, 1]\n')
    with pytest.raises(WijkatlasError, match="increasing"):
        class_settings(config)
    config.write_text('[classes.X]\nscheme = "fixed"\nbreaks = [1, 3]\n')
    assert class_settings(config).spec("X") == ClassSpec(scheme="fixed", k=2, breaks=(1.0, 3.0))
    bad = tmp_path / "c.toml"
    bad.write_text('file = "c.html"\n[variables.X]\nscheme = "quantiles"\n')
    with pytest.raises(WijkatlasError, match="no longer a page setting") as err:
        read_spec(bad)
    assert "layers/atlas.toml" in str(err.value)


def test_geometry_encoding_round_trips_to_the_quantum():
    units = voronoi_units(300, seed=3, vertices=10).to_crs("EPSG:4326")
    holed = shapely.Polygon(shapely.box(5, 52, 5.1, 52.1).exterior.coords,
                            [shapely.box(5.02, 52.02, 5.03, 52.03).exterior.coords])
    multi = shapely.MultiPolygon([shapely.box(4, 51, 4.01, 51.01), shapely.box(4.1, 51, 4.2,
                                                                               51.1)])
    geoms = np.concatenate([units.geometry.values, [holed, multi]])
    enc = encode_geometry(geoms, decimals=6)
    decoded = decode_geometry(enc)
    assert len(decoded) == len(geoms)
    for geom, polys in zip(geoms, decoded, strict=True):
        parts = shapely.get_parts(geom)
        assert len(parts) == len(polys)
        for part, rings in zip(parts, polys, strict=True):
            originals = [part.exterior, *part.interiors]
            assert len(originals) == len(rings)
            for ring, xy in zip(originals, rings, strict=True):
                coords = np.asarray(ring.coords)[:-1]
                assert np.abs(coords - xy).max() <= 0.5e-6 + 1e-12


def test_pages_are_self_contained(pages):
    assert [p.name for p in pages] == ["index.html", "grenzen.html", "index_2016.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script[^>]+src=", text, re.I)
        assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", text, re.I)
        assert not re.search(r"url\((['\"]?)(https?:)?//", text)
        assert "Leaflet 1.9" in text and 'lang="nl"' in text
        assert page.stat().st_size < 1_500_000


def test_data_block_matches_the_atlas(atlas, pages):
    _, tables = atlas
    data = page_data(pages[0])
    res = tables["results"]
    units = tables["units"]["2020"]
    assert data["units"]["code"] == list(units["code"])
    # Profile links are made from the code (safe file names all): no list of 14,000 URLs.
    assert data["units"]["profileDir"] == "../profiles/2020/"
    assert data["units"]["profileStem"] == {}
    assert data["themes"] == ["woningvoorraad", "bevolkingssamenstelling", "werk en inkomen",
                              "veiligheid"]
    assert data["years"] == maps_fixture.YEARS and data["default"] == "AANT_INW"
    assert data["credit"].endswith("voorbeeldcijfers synthetisch")
    inds = {i["code"]: i for i in data["indicators"]}
    j = data["units"]["code"].index("W03")
    y = data["years"].index(2018)
    assert inds["P_65_EO_JR"]["cls"][y][j] == "s" and inds["P_65_EO_JR"]["v"][y][j] is None
    row = res[(res["version"] == "2020") & (res["unit_code"] == "W02")
              & (res["variable"] == "G_INK_PI") & (res["year"] == 2022)].iloc[0]
    assert inds["G_INK_PI"]["v"][-1][1] == round(row["value"], 1)
    classes = tables["map_classes"]
    cls = classes[(classes["version"] == "2020") & (classes["variable"] == "G_INK_PI")]
    k = int(inds["G_INK_PI"]["cls"][-1][1])
    assert cls["lower"].iloc[k] <= row["value"] <= cls["upper"].iloc[k]
    assert [c["colour"] for c in inds["G_INK_PI"]["classes"]] == list(cls["colour"])


def test_text_from_data_is_escaped(pages):
    text = pages[0].read_text(encoding="utf-8")
    assert maps_fixture.EVIL_NAME not in text
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in text
    assert page_data(pages[0])["units"]["name"][9] == maps_fixture.EVIL_NAME


def test_the_web_map_does_not_compute_classes_itself(tmp_path):
    gpkg = tmp_path / "no_classes.gpkg"
    maps_fixture.write_atlas(gpkg, MAPS, with_classes=False)
    with pytest.raises(WijkatlasError, match="no map_classes table") as err:
        build_maps(gpkg, MAPS, tmp_path / "out")
    assert "wijkatlas build" in str(err.value)


def test_bad_input_is_refused_and_nothing_is_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("old page")
    bad_row = pd.DataFrame([{"version": "2020", "unit_code": "W01", "unit_name": "x",
                             "year": 2016, "variable": "WONINGEN", "value": np.nan,
                             "lower": np.nan, "upper": np.nan, "status": "geheim",
                             "interpolated_share": 0.0, "method": "exact", "approximate": 0}])
    gpkg = tmp_path / "bad.gpkg"
    maps_fixture.write_atlas(gpkg, MAPS, with_classes=False, extra_results=bad_row)
    with pytest.raises(WijkatlasError, match="unknown status 'geheim'") as err:
        build_maps(gpkg, MAPS, out)
    assert "W01" in str(err.value) and "Fix:" in str(err.value)
    assert (out / "index.html").read_text() == "old page"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    with pytest.raises(WijkatlasError, match="does not exist"):
        build_maps(tmp_path / "nope.gpkg", MAPS, out)


def test_spec_naming_an_absent_version_or_indicator_is_refused(atlas, tmp_path):
    specs = tmp_path / "maps"
    specs.mkdir()
    spec = specs / "atlas.toml"
    spec.write_text('file = "index.html"\nversion = "2030"\n')
    with pytest.raises(WijkatlasError, match="2030"):
        build_maps(atlas[0], specs, tmp_path / "out")
    spec.write_text('file = "index.html"\nversion = "2020"\nindicators = ["NOPE"]\n')
    with pytest.raises(WijkatlasError, match="NOPE") as err:
        build_maps(atlas[0], specs, tmp_path / "out")
    assert "atlas.toml" in str(err.value)


def test_spec_subsets_and_year_range(atlas, tmp_path):
    specs = tmp_path / "maps"
    specs.mkdir()
    shutil.copy(MAPS / "atlas.toml", specs / "atlas.toml")
    text = (specs / "atlas.toml").read_text()
    (specs / "atlas.toml").write_text(text.replace(
        "# from_year = 2016", "from_year = 2018").replace(
        '# themes = ["woningvoorraad", "bevolkingssamenstelling"]',
        'themes = ["bevolkingssamenstelling"]'))
    data = page_data(build_maps(atlas[0], specs, tmp_path / "out")[0])
    assert data["years"] == list(range(2018, 2023))
    assert {i["code"] for i in data["indicators"]} == {"AANT_INW", "P_65_EO_JR"}


def test_pages_show_the_atlas_own_credit_line(atlas, tmp_path):
    """The credit comes from the atlas (layers/atlas.toml -> `atlas` table), not the code."""
    import shutil

    import pandas as pd
    import pyogrio

    from geo.maps.data import atlas_credit

    gpkg = tmp_path / "atlas.gpkg"
    shutil.copy(atlas[0], gpkg)
    inds = pyogrio.read_dataframe(gpkg, layer="indicators")
    assert atlas_credit(gpkg, inds).startswith("Bron: CBS / PDOK")  # fixture: no atlas table
    own = "Bron: gemeente Heusden, eigen telling; CBS / PDOK (CC BY 4.0)"
    pyogrio.write_dataframe(pd.DataFrame([{"name": "Wijkatlas Test", "credit": own,
                                           "synthetic": 0}]), gpkg, layer="atlas")
    assert atlas_credit(gpkg, inds) == own
