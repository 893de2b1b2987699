"""The resident survey (geo.survey): readers, placing, weighting, estimates, change, command.

Everything here runs on small files made in the test (not the sample), except where a test
says it uses the sample editions in ``layers/enquete/``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import WijkatlasError
from geo.survey import (
    Z95,
    Population,
    Question,
    Questionnaire,
    compare,
    estimate,
    load_questionnaire,
    read_population,
    read_respondents,
    significance,
    survey_results,
    weight_respondents,
)
from geo.survey.weight import parse_age_class, population_from_counts

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = """
edition = 2020
[[question]]
code = "vrijwil"
label = "Doet vrijwilligerswerk"
theme = "verenigingsleven en sociale netwerken"
kind = "share"
yes = [1]
valid = [1, 2]
missing = [9]

[[question]]
code = "cijfer"
label = "Rapportcijfer buurt"
theme = "leefbaarheid"
kind = "mean"
valid = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
"""
CLASSES = ["18-34", "35-49", "50-64", "65-74", "75+"]


# --- small world: two square wijken, respondents, population ------------------------------

#: The small world lies in the Netherlands (RD New): layers elsewhere are refused.
X0, Y0 = 140_000.0, 410_000.0


def two_wijken() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"wijkcode": ["A", "B"], "wijknaam": ["Noord", "Zuid"]},
                            geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000),
                                      shapely.box(X0, Y0 - 1000, X0 + 1000, Y0)],
                            crs="EPSG:28992")


def respondents_frame(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 95, n)
    sex = rng.choice(["man", "vrouw"], n)
    y = np.where(rng.random(n) < 0.5, 100.0, -500.0) + rng.random(n) * 300 + Y0
    return pd.DataFrame({
        "respondent_id": [f"r{i}" for i in range(n)], "x": rng.random(n) * 900 + 50 + X0,
        "y": y, "leeftijd": age, "geslacht": sex,
        "vrijwil": rng.choice([1, 2, 9], n, p=[0.4, 0.55, 0.05]),
        "cijfer": rng.integers(5, 11, n)})


def population_table(path: Path, per_cell: float = 400.0, codes=("A", "B")) -> Path:
    rows = [(c, s, k, per_cell) for c in codes for s in ("man", "vrouw") for k in CLASSES]
    pd.DataFrame(rows, columns=["code", "geslacht", "leeftijdsklasse", "aantal"]).to_csv(
        path, index=False)
    return path


@pytest.fixture
def world(tmp_path):
    q = tmp_path / "vragen.toml"
    q.write_text(QUESTIONS, encoding="utf-8")
    units = tmp_path / "wijken.gpkg"
    two_wijken().to_file(units, layer="wijken")
    resp = tmp_path / "resp.csv"
    respondents_frame().to_csv(resp, index=False)
    pop = population_table(tmp_path / "bevolking.csv")
    return {"q": q, "units": units, "resp": resp, "pop": pop, "dir": tmp_path}


# --- the published margin ------------------------------------------------------------------

def test_margin_reproduces_the_published_example():
    """4602.75 / 11626.85 = 39.6 % with n = 408 and N = 11626.85 gives +- 4.66 points."""
    n, yes = 408, 161
    weights = np.r_[np.full(yes, 4602.75 / yes), np.full(n - yes, (11626.85 - 4602.75) / (n - yes))]
    sample = pd.DataFrame({"unit_code": "W", "weight": weights,
                           "Q": np.r_[np.ones(yes), np.zeros(n - yes)]})
    q = Questionnaire(Path("q.toml"), None, "", (Question("Q", "q", "leefbaarheid", "share",
                                                          (0.0, 1.0), (1.0,)),))
    est = estimate(sample, q, pd.Series({"W": 11626.85})).iloc[0]
    assert est["value"] == pytest.approx(39.59, abs=0.01)
    assert est["n"] == 408
    margin = est["upper"] - est["value"]
    assert margin == pytest.approx(4.66, abs=0.015)
    # without the finite-population correction the margin is wider (4.75)
    est_inf = estimate(sample, q, pd.Series({"W": 1e12})).iloc[0]
    assert est_inf["upper"] - est_inf["value"] == pytest.approx(4.75, abs=0.015)


# --- simulation: coverage of the intervals, and weighting removes bias ----------------------

def test_intervals_cover_the_truth_and_weighting_beats_no_weighting():
    """400 samples with age-dependent response from a known population; each replicate is
    weighted and estimated on its own (as a separate unit, in one vectorised run)."""
    rng = np.random.default_rng(7)
    big_n, reps, invited = 20_000, 400, 1000
    cls = rng.choice(5, big_n, p=[0.25, 0.25, 0.25, 0.13, 0.12])
    sex = np.where(rng.random(big_n) < 0.49, "man", "vrouw")
    p = 1 / (1 + np.exp(-(-1.2 + 0.45 * cls + 0.4 * (sex == "vrouw"))))
    y = (rng.random(big_n) < p).astype(float)
    truth = y.mean() * 100
    response = np.array([0.25, 0.35, 0.5, 0.65, 0.6])[cls]
    parts = []
    for r in range(reps):
        inv = rng.choice(big_n, invited, replace=False)
        got = inv[rng.random(invited) < response[inv]]
        parts.append(pd.DataFrame({"unit_code": f"R{r:03d}",
                                   "age_class": np.array(CLASSES)[cls[got]],
                                   "geslacht": sex[got], "Q": y[got]}))
    sample = pd.concat(parts, ignore_index=True)
    units = [f"R{r:03d}" for r in range(reps)]
    age = pd.Series(np.bincount(cls, minlength=5).astype(float), index=CLASSES)
    men = float((sex == "man").sum())
    pop = Population([parse_age_class(c) for c in CLASSES], pd.DataFrame([age] * reps, index=units),
                     pd.DataFrame([{"man": men, "vrouw": big_n - men}] * reps, index=units))
    sample["weight"], _ = weight_respondents(sample, pop)
    q = Questionnaire(Path("q.toml"), None, "", (Question("Q", "q", "leefbaarheid", "share",
                                                          (0.0, 1.0), (1.0,)),))
    est = estimate(sample, q, pop.total, units=units)
    coverage = ((est["lower"] <= truth) & (est["upper"] >= truth)).mean()
    assert 0.93 <= coverage <= 0.97, coverage
    unweighted = sample.groupby("unit_code")["Q"].mean() * 100
    weighted_error = (est.set_index("unit_code")["value"] - truth).abs().mean()
    assert weighted_error < 0.6 * (unweighted - truth).abs().mean()


# --- weighting ------------------------------------------------------------------------------

def test_raking_meets_both_margins_and_trimming_keeps_the_range(world):
    q = load_questionnaire(world["q"])
    people = read_respondents(world["resp"], q)
    pop = read_population(world["pop"])
    res = survey_results(people, q, two_wijken(), pop, code="wijkcode", name="wijknaam",
                         trim=None)
    assert set(res.weights["method"]) == {"rake"}
    # weighted totals per unit equal the population (2 x 5 x 400 = 4000)
    assert res.weights.set_index("unit_code").loc[["A", "B"], "N"].tolist() == [4000, 4000]
    summary = res.weights.set_index("unit_code")
    assert (summary.loc[["A", "B"], "deff"] >= 1).all()
    assert np.allclose(summary.loc[["A", "B"], "n_eff"],
                       summary.loc[["A", "B"], "n"] / summary.loc[["A", "B"], "deff"])


def test_weights_match_the_margins_exactly():
    rng = np.random.default_rng(3)
    n = 600
    sample = pd.DataFrame({"unit_code": rng.choice(["A", "B"], n),
                           "age_class": rng.choice(CLASSES, n, p=[.1, .2, .3, .2, .2]),
                           "geslacht": rng.choice(["man", "vrouw"], n, p=[.3, .7])})
    age = pd.DataFrame({c: [1000.0 + 100 * i, 500.0] for i, c in enumerate(CLASSES)},
                       index=["A", "B"])
    sexm = pd.DataFrame({"man": age.sum(axis=1) * 0.5, "vrouw": age.sum(axis=1) * 0.5})
    pop = Population([parse_age_class(c) for c in CLASSES], age, sexm)
    w, summary = weight_respondents(sample, pop, trim=None)
    got_age = sample.assign(w=w).pivot_table(index="unit_code", columns="age_class",
                                             values="w", aggfunc="sum")[CLASSES]
    assert np.allclose(got_age.to_numpy(), age.to_numpy(), rtol=1e-3)
    got_sex = sample.assign(w=w).pivot_table(index="unit_code", columns="geslacht",
                                             values="w", aggfunc="sum")
    assert np.allclose(got_sex.to_numpy(), sexm.to_numpy(), rtol=1e-3)
    # trimmed: within 0.2 .. 5 x the unit's mean weight, unit totals kept
    wt, _ = weight_respondents(sample, pop, trim=(0.5, 1.5))
    frame = sample.assign(w=wt)
    rel = frame["w"] / frame.groupby("unit_code")["w"].transform("mean")
    assert rel.max() <= 1.5 + 1e-6 and rel.min() >= 0.5 - 1e-6
    assert np.allclose(frame.groupby("unit_code")["w"].sum(), age.sum(axis=1), rtol=1e-6)


def test_empty_age_class_is_collapsed_not_failed():
    sample = pd.DataFrame({"unit_code": ["A"] * 60,
                           "age_class": ["18-34"] * 20 + ["50-64"] * 40,
                           "geslacht": ["man", "vrouw"] * 30})
    age = pd.DataFrame({c: [100.0] for c in CLASSES}, index=["A"])
    pop = Population([parse_age_class(c) for c in CLASSES], age,
                     pd.DataFrame({"man": [250.0], "vrouw": [250.0]}, index=["A"]))
    w, _ = weight_respondents(sample, pop, trim=None)
    assert w.sum() == pytest.approx(500.0, rel=1e-3)
    # 35-49 joined 50-64, 65-74 and 75+ joined 50-64 too (the last class with respondents)
    assert w[sample["age_class"] == "18-34"].sum() == pytest.approx(100.0, rel=1e-3)


def test_poststratification_where_cells_are_large_enough(world):
    q = load_questionnaire(world["q"])
    people = read_respondents(world["resp"], q)
    pop = read_population(world["pop"])
    res = survey_results(people, q, two_wijken(), pop, code="wijkcode", weighting="poststratify")
    methods = res.weights.set_index("unit_code")["method"]
    assert set(methods) <= {"poststratify", "rake"}
    res_none = survey_results(people, q, two_wijken(), pop, code="wijkcode", weighting="none")
    assert set(res_none.weights["method"]) == {"none"}


# --- estimates and status -------------------------------------------------------------------

def test_too_few_and_indicative(world):
    q = load_questionnaire(world["q"])
    people = read_respondents(world["resp"], q)
    pop = read_population(world["pop"])
    small = people.iloc[:150]
    res = survey_results(small, q, two_wijken(), pop, code="wijkcode", min_n=40).results
    wijk = res[res["level"] == "wijk"]
    assert (wijk["n"] < 100).all() and wijk["indicative"][wijk["status"] == "observed"].all()
    few = survey_results(small.iloc[:50], q, two_wijken(), pop, code="wijkcode").results
    row = few[(few["level"] == "wijk")].iloc[0]
    assert row["status"] == "too_few" and np.isnan(row["value"]) and np.isnan(row["lower"])
    assert row["n"] < 30


def test_gemeente_row_and_shares_in_percent(world):
    q = load_questionnaire(world["q"])
    people = read_respondents(world["resp"], q)
    res = survey_results(people, q, two_wijken(), read_population(world["pop"]),
                         code="wijkcode", name="wijknaam").results
    g = res[res["level"] == "gemeente"].set_index("variable")
    assert g.loc["vrijwil", "n"] == res[(res["level"] == "wijk")
                                        & (res["variable"] == "vrijwil")]["n"].sum()
    assert 20 < g.loc["vrijwil", "value"] < 60  # % of valid answers (9 = weet niet left out)
    assert 5 <= g.loc["cijfer", "value"] <= 10
    assert g.loc["vrijwil", "lower"] < g.loc["vrijwil", "value"] < g.loc["vrijwil", "upper"]
    assert set(res[res["level"] == "wijk"]["name"]) == {"Noord", "Zuid"}


# --- change -----------------------------------------------------------------------------------

def test_significance_of_change():
    assert list(compare([40, 40, 40], [2, 2, 2], [50, 43, 30], [2, 2, 2])) == [
        "significant gestegen", "geen significante verandering", "significant gedaald"]
    assert compare([np.nan], [1], [3], [1])[0] == ""
    rows = pd.DataFrame({"unit_code": "A", "variable": "Q", "year": [2008, 2011, 2013],
                         "value": [40.0, 41.0, 52.0], "se": [2.0, 2.0, 2.0]})
    out = significance(rows).set_index("year")
    assert out.loc[2008, "significance"] == ""
    assert out.loc[2011, "significance"] == "geen significante verandering"
    assert out.loc[2013, "significance"] == "significant gestegen"
    assert out.loc[2013, "significance_first"] == "significant gestegen"


# --- readers ------------------------------------------------------------------------------------

def test_readers_csv_semicolon_latin1_excel_and_spss(world, tmp_path):
    q = load_questionnaire(world["q"])
    frame = respondents_frame(60)
    frame["opmerking"] = "één café"
    frame["geslacht"] = np.where(frame["geslacht"] == "man", "M", "V")
    semi = tmp_path / "semi.csv"
    frame.assign(x=frame["x"].map(lambda v: f"{v:.1f}".replace(".", ","))).to_csv(
        semi, sep=";", index=False, encoding="latin-1")
    a = read_respondents(semi, q)
    assert (a["x"] - X0).between(50, 950).all() and set(a["geslacht"]) == {"man", "vrouw"}
    xlsx = tmp_path / "r.xlsx"
    frame.to_excel(xlsx, index=False)
    b = read_respondents(xlsx, q)
    import pyreadstat

    sav = tmp_path / "r.sav"
    spss = frame.drop(columns="opmerking").assign(
        geslacht=np.where(frame["geslacht"] == "M", 1, 2))
    pyreadstat.write_sav(spss, str(sav), variable_value_labels={"geslacht": {1: "man",
                                                                             2: "vrouw"}})
    c = read_respondents(sav, q)
    for other in (b, c):
        assert list(other["geslacht"]) == list(a["geslacht"])
        assert np.allclose(other["vrijwil"].fillna(-1), a["vrijwil"].fillna(-1))
    assert a["vrijwil"].isin([0.0, 1.0]).sum() + a["vrijwil"].isna().sum() == 60


def test_sample_editions_read_in_every_format():
    for year, ext in ((2008, "sav"), (2011, "csv"), (2013, "xlsx"), (2016, "csv"),
                      (2019, "sav")):
        q = load_questionnaire(REPO / f"layers/enquete/vragenlijst_{year}.toml")
        people = read_respondents(REPO / f"layers/enquete/respondenten_{year}.{ext}", q)
        assert 2400 < len(people) < 3200
        assert people["leeftijd"].min() >= 18
        # older people answer more often (age-dependent response) than the adults they were
        # drawn from (the Kerncijfers of that year)
        kwb = pd.read_csv(REPO / f"layers/kerncijfers/kerncijfers_{year}_GM0797.csv")
        adults = (0.7 * kwb["A_15_24"] + kwb["A_25_44"] + kwb["A_45_64"] + kwb["A_65_OO"]).sum()
        assert (people["leeftijd"] >= 65).mean() > 1.2 * kwb["A_65_OO"].sum() / adults


# --- placing ------------------------------------------------------------------------------------

def test_placing_by_xy_address_id_and_postcode_with_reasons(tmp_path):
    q = load_questionnaire(REPO / "layers/enquete/vragenlijst_2019.toml")
    addresses = gpd.GeoDataFrame(
        {"address_id": ["0797200000000001", "0797200000000002", "0797200000000003"],
         "postcode": ["5151AA", "5151AA", "5151AB"], "huisnummer": [1, 3, 3],
         "toevoeging": ["", "", "A"], "bouwjaar": [1990, 2021, 1990]},
        geometry=shapely.points([[X0 + 500, Y0 + 500], [X0 + 500, Y0 - 500],
                                 [X0 + 200, Y0 - 200]]), crs="EPSG:28992")
    people = pd.DataFrame({
        "respondent_id": ["xy", "id", "pc", "pc-toev", "pc-unknown-toev", "none", "gone",
                          "outside", "future"],
        "x": [X0 + 100, None, None, None, None, None, None, X0 + 5000, None],
        "y": [Y0 + 100, None, None, None, None, None, None, Y0 + 5000, None],
        "address_id": ["", "797200000000001", "", "", "", "", "0797209999999999", "",
                       "0797200000000002"],
        "postcode": ["", "", "5151 aa", "5151AB", "5151AA", "", "", "", ""],
        "huisnummer": [None, None, 1, 3, 1, None, None, None, None],
        "toevoeging": ["", "", "", "a", "B", "", "", "", ""],
        "leeftijd": 40, "geslacht": "man"})
    for code in q.codes:
        people[code] = 1
    path = tmp_path / "p.csv"
    people.to_csv(path, index=False)
    read = read_respondents(path, q)
    pop = read_population(population_table(tmp_path / "pop.csv", codes=("A", "B")))
    res = survey_results(read, q, two_wijken().rename(columns={"wijkcode": "code"}), pop,
                         addresses=addresses, year=2019, min_n=2)
    reasons = dict(zip(res.unplaced["respondent_id"], res.unplaced["reason"], strict=True))
    assert reasons == {"none": "geen locatie", "gone": "adres niet gevonden",
                       "outside": "buiten de gemeente", "future": "adres niet gevonden"}
    wijk = res.results[(res.results["level"] == "wijk") & (res.results["variable"] == q.codes[0])]
    # xy, address id, postcode, and postcode with an unknown toevoeging (-> the number) in A;
    # postcode + toevoeging "a" (-> 3A) in B
    assert dict(zip(wijk["code"], wijk["n"], strict=True)) == {"A": 4, "B": 1}


def test_population_from_brp_counts_has_equal_margins():
    counts = pd.DataFrame({"unit_code": "W1", "variable": ["AANT_MAN", "AANT_VROUW", "A_15_24",
                                                         "A_25_44", "A_45_64", "A_65_OO"],
                           "value": [500.0, 520.0, 100.0, 300.0, 300.0, 200.0]})
    pop = population_from_counts(counts)
    assert pop.age.loc["W1", "18-24"] == pytest.approx(70.0)
    assert pop.sex.loc["W1"].sum() == pytest.approx(pop.age.loc["W1"].sum())
    assert [c.label for c in pop.classes] == ["18-24", "25-44", "45-64", "65+"]


# --- the command and its refusals -----------------------------------------------------------------

def run_cli(*args):
    """The command in-process (typer's runner), stdout and stderr apart."""
    from typer.testing import CliRunner

    from geo.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    return SimpleNamespace(returncode=res.exit_code, stdout=res.stdout, stderr=res.stderr)


def survey_args(world, out, **over):
    args = {"--respondents": world["resp"], "--questions": world["q"],
            "--population": world["pop"], "--target": world["units"],
            "--target-code": "wijkcode", "--target-name": "wijknaam", "--out": out}
    args.update(over)
    flat = []
    for k, v in args.items():
        flat += [k, v]
    return ["survey", *flat]


def test_command_writes_long_csv_and_unplaced_report(world):
    out = world["dir"] / "uit.csv"
    done = run_cli(*survey_args(world, out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    for column in ("code", "variable", "value", "lower", "upper", "n", "status"):
        assert column in table.columns
    assert set(table["code"]) == {"A", "B", "gemeente"}
    unplaced = pd.read_csv(world["dir"] / "uit_niet_geplaatst.csv")
    assert list(unplaced.columns[:3]) == ["year", "respondent_id", "reason"]
    assert "respondents placed" in done.stdout


def _bad_inputs(world):
    d = world["dir"]
    base = respondents_frame()
    cases = {}
    q_bad = d / "q_bad.toml"
    q_bad.write_text(QUESTIONS.replace('code = "cijfer"', 'code = "cijfer_2"'), encoding="utf-8")
    cases["question code not a column"] = ({"--questions": q_bad}, "not a column")
    f = d / "code.csv"
    base.assign(vrijwil=base["vrijwil"].where(base.index > 5, 7)).to_csv(f, index=False)
    cases["answer code outside valid and missing"] = ({"--respondents": f}, "7 (6x)")
    f = d / "age.csv"
    base.assign(leeftijd=base["leeftijd"].where(base.index != 3, 130)).to_csv(f, index=False)
    cases["age outside 0-120"] = ({"--respondents": f}, "outside 0-120")
    f = d / "sex.csv"
    base.assign(geslacht=base["geslacht"].where(base.index != 4, "x")).to_csv(f, index=False)
    cases["unknown sex"] = ({"--respondents": f}, "unknown sex code")
    f = d / "dup.csv"
    base.assign(respondent_id=base["respondent_id"].where(base.index != 1, "r0")).to_csv(
        f, index=False)
    cases["duplicate ids"] = ({"--respondents": f}, "duplicate respondent id")
    cases["population without a unit"] = (
        {"--population": population_table(d / "popA.csv", codes=("A",))}, "no rows for 1")
    f = d / "utf16.csv"
    f.write_bytes(base.to_csv(index=False).encode("utf-16"))
    cases["unreadable encoding"] = ({"--respondents": f}, "unreadable encoding")
    return cases


def test_every_bad_input_is_refused_with_one_line_and_nothing_written(world):
    for name, (override, expected) in _bad_inputs(world).items():
        out = world["dir"] / f"out_{len(name)}.csv"
        done = run_cli(*survey_args(world, out, **override))
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, done.stderr)
        assert expected in lines[0], (name, lines[0])
        assert "Fix:" in lines[0], (name, lines[0])
        assert not out.exists() and not out.with_name(out.stem + "_niet_geplaatst.csv").exists()


def test_questionnaire_refusals(tmp_path):
    cases = {
        'kind = "mean"\nvalid = [1, 2]': None,
        'kind = "share"\nvalid = [1, 2]': "needs `yes`",
        'kind = "share"\nyes = [3]\nvalid = [1, 2]': "not in `valid`",
        'kind = "ratio"\nvalid = [1]': "unknown kind",
        'kind = "share"\nyes = [1]\nvalid = [1, 2]\nmissing = [2]': "both",
    }
    for body, expected in cases.items():
        path = tmp_path / "q.toml"
        path.write_text(f'[[question]]\ncode = "a"\nlabel = "A"\ntheme = "leefbaarheid"\n{body}\n',
                        encoding="utf-8")
        if expected is None:
            assert load_questionnaire(path).codes == ["a"]
        else:
            with pytest.raises(WijkatlasError, match=expected):
                load_questionnaire(path)


def test_item_nonresponse_is_not_an_answer():
    assert pytest.approx(1.96, abs=1e-3) == Z95
    frame = pd.DataFrame({"vrijwil": [1, 2, 9, None, 1]})
    from geo.survey.questionnaire import answer_matrix

    q = Questionnaire(Path("q.toml"), None, "", (Question(
        "vrijwil", "v", "leefbaarheid", "share", (1.0, 2.0), (1.0,), (9.0,)),))
    values = answer_matrix(frame, q, file="f.csv")["vrijwil"]
    assert values[0] == 1.0 and values[1] == 0.0 and values[4] == 1.0
    assert np.isnan(values[2]) and np.isnan(values[3])  # 9 "weet niet" and empty


def test_command_on_a_draft_version_of_the_register(tmp_path):
    """`--version` places the sample 2019 respondents in a draft (any version, not only
    published ones), with the sample's address points for the postcodes."""
    from geo.register import draft_version, load_version
    from tests.helpers import copy_repo

    root = copy_repo(tmp_path / "atlas")
    draft_version(root, "2024", "2020")
    codes = load_version(root, "2024").units["code"]
    pop = population_table(tmp_path / "pop.csv", codes=tuple(codes))
    pop_frame = pd.read_csv(pop)
    pop_frame["leeftijdsklasse"] = pop_frame["leeftijdsklasse"].replace({"18-34": "18 t/m 34"})
    pop_frame.to_csv(pop, index=False)
    out = tmp_path / "uit.csv"
    from geo.cli import STATE

    before = STATE["root"]
    try:
        done = run_cli("--root", root, "survey", "--version", "2024",
                       "--respondents", root / "layers/enquete/respondenten_2019.sav",
                       "--questions", root / "layers/enquete/vragenlijst_2019.toml",
                       "--population", pop, "--addresses",
                       root / "layers/adressen/adressen_GM0797.gpkg", "--out", out)
    finally:
        STATE["root"] = before
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    wijk = table[table["level"] == "wijk"]
    assert set(wijk["code"]) == set(codes)
    report = pd.read_csv(tmp_path / "uit_niet_geplaatst.csv")
    assert 0 < len(report) < 60
    placed = wijk[wijk["variable"] == "P_VRIJWIL"]["n"].sum()
    assert placed > 2400


def test_atlas_margins_from_the_nearest_year_when_the_edition_year_is_missing():
    from geo.register import load_version
    from geo.survey import Edition
    from geo.survey.atlas import atlas_survey, read_survey_config

    cfg = read_survey_config(REPO / "layers/enquete/enquete.toml")
    q = load_questionnaire(REPO / "layers/enquete/vragenlijst_2016.toml")
    people = read_respondents(REPO / "layers/enquete/respondenten_2016.csv", q)
    units = load_version(REPO, "2016").units
    counts = pd.DataFrame([
        {"unit_code": c, "year": 2015, "variable": v, "value": x} for c in units["code"]
        for v, x in (("AANT_MAN", 1000), ("AANT_VROUW", 1000), ("A_15_24", 200),
                     ("A_25_44", 500), ("A_45_64", 600), ("A_65_OO", 400))])
    rows, unplaced = atlas_survey([Edition(2016, people, q)], units, counts, cfg, version="2016")
    observed = rows[rows["status"] == "observed"]
    assert set(observed["method"]) == {"rake (bevolking 2015)"}
    assert len(unplaced) > 0 and set(rows["year"]) == {2016}
