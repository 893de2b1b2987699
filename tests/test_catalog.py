"""The indicator catalog (geo/data/indicators.toml) and its loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.catalog import KINDS, THEMES, load_catalog
from geo.errors import WijkatlasError

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_catalog_covers_every_theme_and_kind(catalog):
    from geo.survey import load_questionnaire

    assert len(catalog) >= 25
    # leefbaarheid comes from the resident survey (its questionnaires), not from buurt shares
    survey = load_questionnaire(REPO / "layers/enquete/vragenlijst_2019.toml")
    assert {i.theme for i in catalog} | {q.theme for q in survey.questions} == set(THEMES)
    assert {i.kind for i in catalog} == set(KINDS)


def test_every_indicator_is_described(catalog):
    for ind in catalog:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", ind.code), ind.code
        assert ind.label and ind.unit and ind.source, ind.code
        assert ind.aliases, f"{ind.code} has no kwb/StatLine alias"


def test_references_name_counts_and_medians_are_flagged(catalog):
    ref = {"share": "denominator", "mean": "weight", "median": "weight", "density": "count"}
    for ind in catalog:
        if ind.kind in ref:
            assert catalog[getattr(ind, ref[ind.kind])].kind == "count", ind.code
        if ind.kind == "median":
            assert ind.approximate
    assert catalog["G_INK_PI"].approximate and not catalog["AANT_INW"].approximate
    assert catalog["G_MISDR_1K"].per == 1000
    assert catalog["P_65_EO_JR"].denominator == "AANT_INW"
    assert catalog["WOZ"].weight == "WONINGEN"


@pytest.mark.parametrize(("name", "code"), [
    ("AANT_INW", "AANT_INW"), ("a_inw", "AANT_INW"), ("AantalInwoners_5", "AANT_INW"),
    ("p_65_eo_jr", "P_65_EO_JR"), ("g_wozbag", "WOZ"), (" A_HH ", "AANTAL_HH"),
    ("percentage_koopwoningen", "P_KOOPWON"), ("no_such_column", None),
])
def test_resolve_maps_cbs_names_and_aliases(catalog, name, code):
    assert catalog.resolve(name) == code


BASE = """
[[indicator]]
code = "AANT_INW"
label = "Inwoners"
theme = "bevolkingssamenstelling"
unit = "personen"
kind = "count"
source = "CBS"
aliases = ["a_inw"]
"""


@pytest.mark.parametrize(("extra", "message"), [
    ('[[indicator]]\ncode = "P_X"\nlabel = "x"\ntheme = "veiligheid"\nunit = "%"\n'
     'kind = "share"\nsource = "CBS"\ndenominator = "P_Y"\n', "denominator"),
    ('[[indicator]]\ncode = "X"\nlabel = "x"\ntheme = "veiligheid"\nunit = "%"\n'
     'kind = "count"\nsource = "CBS"\naliases = ["A_INW"]\n', "used by both"),
    ('[[indicator]]\ncode = "X"\nlabel = "x"\ntheme = "sport"\nunit = "%"\n'
     'kind = "count"\nsource = "CBS"\n', "unknown theme"),
    ('[[indicator]]\ncode = "X"\nlabel = "x"\ntheme = "veiligheid"\nunit = "%"\n'
     'kind = "sum"\nsource = "CBS"\n', "unknown kind"),
])
def test_bad_catalogs_are_refused(tmp_path, extra, message):
    path = tmp_path / "indicators.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(WijkatlasError, match=message) as err:
        load_catalog(path)
    assert str(path) in str(err.value) and "Fix:" in str(err.value)
