"""The registry of indicator kinds: every consumer reads it, and a ratio of two counts works
end to end (catalog, reaggregation, gemeente figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.catalog import load_catalog
from geo.kinds import KINDS, RULES
from geo.reaggregate import reaggregate


def test_every_kind_has_a_known_rule_and_the_catalog_uses_them():
    catalog = load_catalog()
    assert all(k.rule in RULES for k in KINDS.values())
    assert {i.kind for i in catalog} <= set(KINDS)
    ratio = catalog["G_MISDR_1K"]
    assert ratio.kind == "ratio" and ratio.refs == ("A_MISDR", "AANT_INW") and ratio.per == 1000


def test_ratio_of_counts_is_recomputed_from_both_counts():
    """Two buurten into one wijk: 10 crimes / 1,000 inhabitants and 30 / 500 give
    40 / 1,500 x 1,000 = 26.67 per 1,000, not the mean of 10 and 60."""
    catalog = load_catalog()
    values = pd.DataFrame({
        "code": ["A", "A", "B", "B", "C", "C"],
        "variable": ["A_MISDR", "AANT_INW"] * 3,
        "value": [10.0, 1000.0, 30.0, 500.0, np.nan, 200.0],
        "status": ["observed"] * 4 + ["suppressed", "observed"],
    })
    cw = pd.DataFrame({"source_code": ["A", "B", "C"], "target_code": ["W", "W", "V"],
                       "weight": 1.0, "method": "exact"})
    res = reaggregate(values, cw, catalog, pd.Series([1.0, 1.0], index=["W", "V"]))
    got = res[res["variable"] == "G_MISDR_1K"].set_index("unit_code")
    assert got.loc["W", "value"] == pytest.approx(40 / 1500 * 1000)
    assert got.loc["W", "status"] == "observed"
    assert got.loc["W", "lower"] == pytest.approx(10) and got.loc["W", "upper"] == pytest.approx(60)
    assert got.loc["V", "status"] == "suppressed" and np.isnan(got.loc["V", "value"])


def test_gemeente_figure_of_a_ratio_follows_its_rule():
    from geo.maps.data import _municipal_average

    years, units = 1, 2
    cube = {"A_MISDR": (np.array([[10.0, 30.0]]), np.ones((years, units), bool)),
            "AANT_INW": (np.array([[1000.0, 500.0]]), np.ones((years, units), bool)),
            "G_MISDR_1K": (np.array([[10.0, 60.0]]), np.ones((years, units), bool))}
    ind = pd.Series({"code": "G_MISDR_1K", "kind": "ratio", "numerator": "A_MISDR",
                     "denominator": "AANT_INW", "per": 1000, "decimals": 1})
    avg, label = _municipal_average(cube, ind, np.ones((years, units)))[:2]
    assert label == "gemeente" and avg[0] == pytest.approx(40 / 1500 * 1000, abs=0.01)


def test_display_title_shows_the_unit_once():
    catalog = load_catalog()
    assert catalog["G_MISDR_1K"].title == "Misdrijven per 1.000 inwoners"
    assert catalog["AANT_INW"].title == "Aantal inwoners"
    assert catalog["P_65_EO_JR"].title.count("%") <= 1
