"""Partner registers: reading, locating, counting, rates and disclosure (geo.records)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from geo.cli import app
from geo.errors import WijkatlasError
from geo.records import (
    count_records,
    load_record_source,
    locate_records,
    point_units,
    prepare_records,
    records_results,
)
from geo.register import load_version
from tests.helpers import REPO, grid

RECORDS = REPO / "layers" / "records"
SAMPLE = ["politie", "politie_pc6", "wmo", "werklocaties"]


def source_toml(tmp: Path, location: str, *, threshold: float = 5, extra: str = "",
                name: str = "src") -> Path:
    text = textwrap.dedent(f"""\
        name = "{name}"
        files = "records.csv"
        date = "datum"
        id = "nr"

        [location]
        {location}

        [disclosure]
        threshold = {threshold}
        min_population = 50

        [[indicator]]
        code = "R_ALL"
        label = "Alle registraties"
        theme = "veiligheid"
        unit = "registraties"
        """) + textwrap.dedent(extra)
    path = tmp / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


XY = 'method = "xy"\nx = "x"\ny = "y"\ncrs = "EPSG:28992"'


@pytest.fixture(scope="module")
def targets():
    return {v: load_version(REPO, v).units for v in ("2016", "2020")}


@pytest.fixture(scope="module")
def addresses():
    return pyogrio.read_dataframe(REPO / "layers" / "adressen" / "adressen_GM0797.gpkg")


@pytest.fixture(scope="module")
def sample(targets, addresses):
    out = {}
    for name in SAMPLE:
        src = load_record_source(RECORDS / f"{name}.toml")
        out[name] = (src, *records_results(src, targets, addresses=addresses))
    return out


# --- conservation ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE)
def test_placed_plus_unplaced_is_input(sample, name):
    src, _, placement = sample[name]
    report = placement.report()
    n_input = placement.records.groupby(placement.records["year"].astype("Int64")).size()
    for vid in ("2016", "2020"):
        rep = report[report["version"] == vid].set_index("year")
        assert rep["balanced"].all()
        assert np.allclose(rep["placed"] + rep["unplaced"], rep["records"], atol=1e-9)
        got = rep.loc[[str(y) for y in n_input.index], "records"].to_numpy()
        assert np.array_equal(got, n_input.to_numpy())
    unplaced = placement.unplaced()
    for vid in ("2016", "2020"):
        listed = unplaced[unplaced["version"].isin(["", vid])]["share"].sum()
        assert listed == pytest.approx(report[report["version"] == vid]["unplaced"].sum())
    assert len(unplaced) > 0  # the sample has records without a location


def test_sample_has_the_awkward_records(sample):
    reasons = {name: set(sample[name][2].unplaced()["reason"]) for name in SAMPLE}
    assert {"no_location", "outside_units"} <= reasons["politie"]
    assert {"no_location", "unknown_postcode"} <= reasons["politie_pc6"]
    assert {"no_location", "unknown_postcode"} <= reasons["wmo"]
    wmo = sample["wmo"][2]
    assert (wmo.fragments["method"] == "pc6").any()  # house numbers not found: split by PC6


@pytest.mark.parametrize("name", SAMPLE)
def test_gemeente_total_equals_sum_over_units(targets, addresses, name, tmp_path):
    """Without disclosure (threshold 1) the gemeente total is the sum over the units on every
    version, and equals the number of placed records."""
    src = load_record_source(RECORDS / f"{name}.toml")
    from dataclasses import replace

    from geo.disclosure import DisclosureRule

    src = replace(src, rule=DisclosureRule(threshold=1, secondary=False))
    res, placement = records_results(src, targets, addresses=addresses)
    counts = res[res["variable"].isin([i.code for i in src.counts])]
    assert counts["status"].isin(["observed", "small"]).all()
    for (vid, var, year), g in counts.groupby(["version", "variable", "year"]):
        wijk = g[g["level"] == "wijk"]
        total = g.loc[g["level"] == "gemeente", "value"].item()
        if wijk["status"].eq("observed").all():
            assert wijk["value"].sum() == pytest.approx(total, abs=1e-9), (vid, var, year)
    first = src.counts[0]
    if not first.where and not first.value:
        rep = placement.report().set_index(["version", "year"])
        tot = counts[(counts["level"] == "gemeente") & (counts["variable"] == first.code)]
        for row in tot.itertuples():
            assert row.value == pytest.approx(rep.loc[(row.version, str(row.year)), "placed"])


# --- published figures are protected --------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLE)
def test_no_small_count_published(sample, name):
    src, res, _ = sample[name]
    counts = res[res["variable"].isin([i.code for i in src.counts])]
    shown = counts[counts["status"] == "observed"]
    t = src.rule.threshold
    assert not ((shown["value"] > 1e-9) & (shown["value"] < t - 1e-9)).any()
    hidden = res[res["status"].isin(["small", "withheld"])]
    assert hidden["value"].isna().all()
    assert set(hidden["reason"]) <= {"primary", "secondary", "min_population"}
    assert (res["status"] == "withheld").any() and (res["status"] == "small").any()
    # nested published pairs across versions: 2016 Vliedberg minus 2020 Vliedberg
    for (var, year), g in counts.groupby(["variable", "year"]):
        g = g.set_index(["version", "unit_code"])
        v16, v20 = g.loc[("2016", "W08")], g.loc[("2020", "W08")]
        if v16["status"] == "observed" and v20["status"] == "observed":
            diff = v16["value"] - v20["value"]
            assert not (1e-9 < diff < t - 1e-9), (var, year, diff)


def test_geerpark_small_withholds_a_vliedberg(tmp_path, targets):
    """3 records in Geerpark and 20 elsewhere in Vliedberg: Geerpark 2020 is '< 5' and one of
    the Vliedbergen is withheld, so 2016 minus 2020 shows nothing."""
    u20 = targets["2020"].set_index("code")
    geer = shapely.point_on_surface(u20.loc["W15", "geometry"])
    vlied = shapely.point_on_surface(u20.loc["W08", "geometry"])
    rows = [(geer.x, geer.y)] * 3 + [(vlied.x, vlied.y)] * 20
    path = tmp_path / "records.csv"
    pd.DataFrame({"nr": range(len(rows)), "datum": "2021-05-01",
                  "x": [r[0] for r in rows], "y": [r[1] for r in rows]}).to_csv(path,
                                                                               index=False)
    src = load_record_source(source_toml(tmp_path, XY))
    res, _ = records_results(src, targets)
    res = res.set_index(["version", "level", "unit_code"])
    assert res.loc[("2020", "wijk", "W15"), "status"] == "small"
    assert res.loc[("2020", "wijk", "W15"), "reason"] == "primary"
    assert np.isnan(res.loc[("2020", "wijk", "W15"), "value"])
    pair = {res.loc[("2016", "wijk", "W08"), "status"], res.loc[("2020", "wijk", "W08"),
                                                                 "status"]}
    assert pair == {"observed", "withheld"}
    assert res.loc[("2020", "gemeente", "gemeente"), "value"] == 23


# --- locating --------------------------------------------------------------------------------


def _two_units():
    units = grid(2, 1, size=1000.0)
    units["code"] = ["A", "B"]
    return units


def _addresses(rows):
    """rows: (x, y, postcode, huisnummer, toevoeging, bag_id, bouwjaar)"""
    df = pd.DataFrame(rows, columns=["x", "y", "postcode", "huisnummer", "toevoeging",
                                     "bag_id", "bouwjaar"])
    df["woonfunctie"] = 1
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs="EPSG:28992")


def test_pc6_split_in_proportion_to_addresses(tmp_path):
    units = _two_units()
    x0, y0 = 140_000, 410_000
    adr = _addresses([(x0 + 100, y0 + 100, "1234AB", 1, "", "1", 2000),
                      (x0 + 200, y0 + 100, "1234AB", 2, "", "2", 2000),
                      (x0 + 300, y0 + 100, "1234AB", 3, "", "3", 2000),
                      (x0 + 1500, y0 + 100, "1234AB", 4, "", "4", 2000),
                      # built later: does not count for earlier years
                      (x0 + 1600, y0 + 100, "1234AB", 5, "", "5", 2020),
                      (x0 + 1700, y0 + 100, "1234AB", 6, "", "6", 2020)])
    (tmp_path / "records.csv").write_text(
        "nr;datum;postcode\n" + "".join(f"{i};2015-03-0{1 + i % 9};1234 ab\n" for i in range(8))
        + "".join(f"{i};2021-01-01;1234AB\n" for i in range(8, 14)), encoding="utf-8")
    src = load_record_source(source_toml(tmp_path, 'method = "pc6"\npostcode = "postcode"',
                                         threshold=1))
    res, placement = records_results(src, {"v": units}, addresses=adr)
    got = res[res["level"] == "wijk"].set_index(["year", "unit_code"])["value"]
    assert got[(2015, "A")] == pytest.approx(6.0)  # 8 x 3/4
    assert got[(2015, "B")] == pytest.approx(2.0)  # 8 x 1/4
    assert got[(2021, "A")] == pytest.approx(3.0)  # 6 x 3/6
    assert got[(2021, "B")] == pytest.approx(3.0)
    frag = placement.fragments.groupby("rec")["weight"].sum()
    assert np.allclose(frag, 1.0)


def test_pc6_huisnummer_toevoeging_and_bag(tmp_path):
    units = _two_units()
    x0, y0 = 140_000, 410_000
    adr = _addresses([(x0 + 100, y0 + 100, "1234AB", 12, "", "0797010000000001", 1990),
                      (x0 + 1100, y0 + 100, "1234AB", 12, "A", "0797010000000002", 1990),
                      (x0 + 1200, y0 + 100, "1234AB", 14, "", "0797010000000003", 1990),
                      (x0 + 300, y0 + 100, "1234AB", 16, "", "0797010000000004", 1990)])
    (tmp_path / "records.csv").write_text(textwrap.dedent("""\
        nr,datum,postcode,huisnummer,toevoeging
        1,2019-01-01,1234AB,12,
        2,2019-01-01,1234AB,12,a
        3,2019-01-01,1234ab,12 A,
        4,2019-01-01,1234AB,14,
        5,2019-01-01,1234AB,99,
        6,2019-01-01,9999ZZ,1,
        7,2019-01-01,,1,
        """), encoding="utf-8")
    loc = ('method = "pc6_huisnummer"\npostcode = "postcode"\nhuisnummer = "huisnummer"\n'
           'toevoeging = "toevoeging"')
    src = load_record_source(source_toml(tmp_path, loc, threshold=1))
    res, placement = records_results(src, {"v": units}, addresses=adr)
    got = res[res["level"] == "wijk"].set_index("unit_code")["value"]
    # 1 -> A (12), 2 and 3 -> B (12A), 4 -> B (14); 5: number unknown, split over the PC6's
    # four addresses (2 in A, 2 in B); 6 and 7 unplaced
    assert got["A"] == pytest.approx(1 + 0.5)
    assert got["B"] == pytest.approx(3 + 0.5)
    un = placement.unplaced().set_index("id")["reason"]
    assert un.to_dict() == {"6": "unknown_postcode", "7": "no_location"}

    (tmp_path / "records.csv").write_text("nr,datum,bag\n1,2019-01-01,797010000000003\n"
                                          "2,2019-01-01,0797010000000001\n"
                                          "3,2019-01-01,0797019999999999\n", encoding="utf-8")
    src = load_record_source(source_toml(tmp_path, 'method = "bag"\nbag_id = "bag"',
                                         threshold=1, name="bag"))
    res, placement = records_results(src, {"v": units}, files=[tmp_path / "records.csv"],
                                     addresses=adr)
    got = res[res["level"] == "wijk"].set_index("unit_code")["value"]
    assert got.to_dict() == {"A": 1.0, "B": 1.0}
    assert placement.unplaced()["reason"].tolist() == ["unknown_bag_id"]


def test_pc4_spanning_units_refused_unless_apportioned(tmp_path):
    units = _two_units()
    x0, y0 = 140_000, 410_000
    adr = _addresses([(x0 + 100, y0 + 100, "1234AB", 1, "", "1", 1990),
                      (x0 + 1100, y0 + 100, "1234AC", 1, "", "2", 1990),
                      (x0 + 1300, y0 + 100, "5678AC", 1, "", "3", 1990)])
    (tmp_path / "records.csv").write_text("nr,datum,pc\n1,2019-01-01,1234\n2,2019-01-01,5678\n"
                                          "3,2019-01-01,1234\n", encoding="utf-8")
    src = load_record_source(source_toml(tmp_path, 'method = "pc4"\npostcode = "pc"',
                                         threshold=1))
    with pytest.raises(WijkatlasError, match="PC4 1234 spans 2 units"):
        records_results(src, {"v": units}, addresses=adr)
    res, _ = records_results(src, {"v": units}, addresses=adr, apportion=True)
    got = res[res["level"] == "wijk"].set_index("unit_code")["value"]
    assert got.to_dict() == {"A": 1.0, "B": 2.0}


def test_point_units_raster_path_equals_exact():
    """The raster shortcut for many points gives exactly the polygon test's answer."""
    from bench.synthetic import voronoi_units

    units = voronoi_units(300, seed=3)
    rng = np.random.default_rng(1)
    xmin, ymin, xmax, ymax = units.total_bounds
    x = rng.uniform(xmin - 1000, xmax + 1000, 150_000)
    y = rng.uniform(ymin - 1000, ymax + 1000, 150_000)
    fast = point_units(x, y, units.geometry)
    tree = shapely.STRtree(units.geometry.values)
    pi, ui = tree.query(shapely.points(x, y), predicate="intersects")
    exact = np.full(len(x), -1)
    exact[pi] = ui
    assert np.array_equal(fast, exact)
    assert (fast == -1).any() and (fast >= 0).any()


# --- rates -----------------------------------------------------------------------------------


def test_rates_from_population_and_min_population(tmp_path):
    units = _two_units()
    x0, y0 = 140_000, 410_000
    rows = [(x0 + 100, y0 + 100)] * 12 + [(x0 + 1100, y0 + 100)] * 6
    pd.DataFrame({"nr": range(18), "datum": "2019-06-01", "x": [r[0] for r in rows],
                  "y": [r[1] for r in rows]}).to_csv(tmp_path / "records.csv", index=False)
    extra = """
        [[indicator]]
        code = "R_ALL_1K"
        label = "Per 1.000 inwoners"
        theme = "veiligheid"
        unit = "per 1.000 inwoners"
        kind = "rate"
        count = "R_ALL"
        denominator = "AANT_INW"
        per = 1000
        """
    src = load_record_source(source_toml(tmp_path, XY, extra=extra))
    pop = pd.DataFrame({"version": "v", "unit_code": ["A", "B", "A"], "year": [2019, 2019, 2018],
                        "variable": "AANT_INW", "value": [3000.0, 40.0, 2900.0],
                        "status": "observed"})
    res, _ = records_results(src, {"v": units}, populations=pop)
    rate = res[res["variable"] == "R_ALL_1K"].set_index(["level", "unit_code"])
    assert rate.loc[("wijk", "A"), "value"] == pytest.approx(12 / 3000 * 1000)
    assert rate.loc[("wijk", "B"), "status"] == "withheld"  # 40 inhabitants < 50
    assert rate.loc[("wijk", "B"), "reason"] == "min_population"
    assert rate.loc[("gemeente", "gemeente"), "value"] == pytest.approx(18 / 3040 * 1000)
    res, _ = records_results(src, {"v": units})
    assert (res.loc[res["variable"] == "R_ALL_1K", "status"] == "missing").all()


# --- the property: two random boundary versions of random records ----------------------------


@st.composite
def worlds(draw):
    nx, ny = 4, 3
    la = draw(st.lists(st.integers(0, 3), min_size=nx * ny, max_size=nx * ny))
    lb = draw(st.lists(st.integers(0, 4), min_size=nx * ny, max_size=nx * ny))
    counts = draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 6, 11]), min_size=nx * ny,
                           max_size=nx * ny))
    return nx, ny, la, lb, counts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(worlds())
def test_property_no_figure_or_difference_reveals_a_small_count(tmp_path, world):
    """Random record sets on two random boundary versions (unions of grid cells) and the
    gemeente: no published figure, nor any difference of two published figures of the same
    records and year whose areas nest (the differences that are counts of an area), is a
    count between 1 and threshold - 1."""
    nx, ny, la, lb, counts = world
    assume(sum(counts) > 0)
    cells = grid(nx, ny, size=100.0)
    cells["a"] = [f"A{v}" for v in la]
    cells["b"] = [f"B{v}" for v in lb]
    targets = {}
    for name in ("a", "b"):
        units = cells.dissolve(by=name).reset_index()[[name, "geometry"]]
        targets[name] = gpd.GeoDataFrame({"code": units[name], "name": units[name]},
                                         geometry=units.geometry, crs=cells.crs)
    centres = shapely.centroid(cells.geometry.values)
    pos = np.repeat(np.arange(len(cells)), counts)
    records = pd.DataFrame({"nr": np.arange(len(pos)).astype(str), "datum": "2020-01-01",
                            "x": shapely.get_x(centres)[pos], "y": shapely.get_y(centres)[pos]})
    src = load_record_source(source_toml(tmp_path, XY))
    prepared = prepare_records(records, src)
    placement = locate_records(prepared, src, targets)
    res = count_records(placement, src, targets)
    member = {("a", c): set(cells.index[cells["a"] == c]) for c in cells["a"].unique()}
    member |= {("b", c): set(cells.index[cells["b"] == c]) for c in cells["b"].unique()}
    member |= {(v, "gemeente"): set(cells.index) for v in ("a", "b")}
    pub = res[res["status"] == "observed"]
    figures = [(member[(r.version, r.unit_code)], r.value) for r in pub.itertuples()]
    t = src.rule.threshold
    for _area, value in figures:
        assert not (0 < value < t)
    for area1, v1 in figures:
        for area2, v2 in figures:
            if area2 < area1:
                assert not (0 < v1 - v2 < t), (area1, area2, v1, v2)
    x = np.asarray(counts)
    for r in res.itertuples():  # every unit is in the table, and counts are right
        assert r.status != "observed" or r.value == x[list(member[(r.version, r.unit_code)])
                                                      ].sum()


# --- bad input: one line, nothing written ------------------------------------------------------


def _cli(tmp_path: Path, source: Path, records: str, *extra: str):
    (tmp_path / "in.csv").write_text(records, encoding="utf-8")
    out = tmp_path / "out" / "result.csv"
    result = CliRunner().invoke(app, [
        "records", "--source", str(source), "--records", str(tmp_path / "in.csv"),
        "--target", str(REPO / "boundaries" / "2020" / "units.geojson"), "--out", str(out),
        *extra])
    written = list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else []
    return result, written


@pytest.mark.parametrize("case, records, toml_location, expect", [
    ("unknown location column", "nr,datum,xx,y\n1,2020-01-01,141000,411000\n", XY,
     "'x'"),
    ("date that is not a date", "nr,datum,x,y\n1,2020-01-01,141000,411000\n"
     "2,31-02-2020,141000,411000\n", XY, "row 3"),
    ("coordinates in another CRS", "nr,datum,x,y\n1,2020-01-01,5.12,51.68\n"
     "2,2020-01-01,5.13,51.69\n", XY, "another CRS"),
    ("RD coordinates declared as WGS 84", "nr,datum,x,y\n1,2020-01-01,141000,411000\n",
     'method = "xy"\nx = "x"\ny = "y"\ncrs = "EPSG:4326"', "another CRS"),
    ("empty file", "", XY, "empty"),
    ("header only", "nr,datum,x,y\n", XY, "no records"),
])
def test_bad_input_refused_nothing_written(tmp_path, case, records, toml_location, expect):
    source = source_toml(tmp_path, toml_location)
    result, written = _cli(tmp_path, source, records)
    assert result.exit_code == 2, (case, result.output)
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert expect in lines[0], lines[0]
    assert written == []


@pytest.mark.parametrize("threshold", ["0", "0.5", "-3"])
def test_threshold_below_one_refused(tmp_path, threshold):
    source = source_toml(tmp_path, XY, threshold=float(threshold))
    result, written = _cli(tmp_path, source, "nr,datum,x,y\n1,2020-01-01,141000,411000\n")
    assert result.exit_code == 2
    assert "threshold" in result.output and written == []


def test_cli_on_sample_with_two_versions_and_population(tmp_path):
    pop = tmp_path / "pop.csv"
    rows = []
    for v in ("2016", "2020"):
        for code in load_version(REPO, v).units["code"]:
            rows.append({"version": v, "code": code, "year": 2019, "variable": "AANT_INW",
                         "value": 3000})
    pd.DataFrame(rows).to_csv(pop, index=False)
    out = tmp_path / "wmo.csv"
    result = CliRunner().invoke(app, [
        "--root", str(REPO), "records", "--source", str(RECORDS / "wmo.toml"),
        "--target", str(REPO / "boundaries" / "2016" / "units.geojson"),
        "--target", "2020",  # a version id of the register
        "--addresses", str(REPO / "layers" / "adressen" / "adressen_GM0797.gpkg"),
        "--population", str(pop), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "they add up" in result.output
    table = pd.read_csv(out, dtype={"code": str, "version": str})
    assert set(table["version"]) == {"2016", "2020"}
    assert {"code", "variable", "year", "value", "status", "reason"} <= set(table.columns)
    rate = table[(table["variable"] == "R_WMO_1K") & (table["year"] == 2019)]
    assert rate["status"].eq("observed").any()
    unplaced = pd.read_csv(out.with_suffix(".unplaced.csv"))
    assert {"file", "row", "reason"} <= set(unplaced.columns)
    assert "postcode" not in unplaced.columns  # no personal data in the report
