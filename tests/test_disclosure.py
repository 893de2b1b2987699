"""Disclosure control: primary and secondary suppression across partitions (geo.disclosure)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.disclosure import DisclosureRule, protect
from geo.errors import WijkatlasError


def _records(counts: dict[tuple[str, ...], int], columns: list[str]) -> pd.DataFrame:
    rows = [key for key, n in counts.items() for _ in range(n)]
    return pd.DataFrame(rows, columns=columns)


def test_vliedberg_minus_vliedberg_is_geerpark():
    """Vliedberg 2016 = Vliedberg 2020 + Geerpark 2020: with Geerpark at 3 one of the two
    Vliedbergen must go too, and the gemeente total stays."""
    recs = _records({("V", "V"): 10, ("V", "G"): 3, ("W1", "W1"): 7}, ["v2016", "v2020"])
    recs["gemeente"] = "GM"
    out = protect(recs, ["v2016", "v2020", "gemeente"],
                  units={"v2016": ["V", "W1", "W2"], "v2020": ["V", "G", "W1", "W2"]})
    got = {(r.partition, r.unit): (r.status, r.reason) for r in out.itertuples()}
    assert got[("v2020", "G")] == ("small", "primary")
    assert {got[("v2016", "V")], got[("v2020", "V")]} == {("observed", ""),
                                                         ("withheld", "secondary")}
    assert got[("gemeente", "GM")] == ("observed", "")
    assert got[("v2016", "W2")] == ("observed", "")  # zero is published
    assert out.loc[(out.partition == "v2016") & (out.unit == "W2"), "n"].item() == 0


def test_one_partition_with_total_needs_a_second_suppression():
    recs = _records({("A",): 3, ("B",): 9, ("C",): 20}, ["wijk"])
    recs["gemeente"] = "GM"
    out = protect(recs, ["wijk", "gemeente"]).set_index(["partition", "unit"])
    assert out.loc[("wijk", "A"), "status"] == "small"
    assert out.loc[("wijk", "B"), "status"] == "withheld"  # the smallest other wijk
    assert out.loc[("wijk", "C"), "status"] == "observed"
    assert out.loc[("gemeente", "GM"), "status"] == "observed"


def test_without_secondary_only_primary():
    recs = _records({("A",): 3, ("B",): 9}, ["wijk"])
    recs["gemeente"] = "GM"
    out = protect(recs, ["wijk", "gemeente"], rule=DisclosureRule(secondary=False))
    assert (out["status"] == "withheld").sum() == 0


def test_weights_and_threshold():
    recs = pd.DataFrame({"wijk": ["A", "A", "B"], "w": [0.5, 2.0, 10.0]})
    out = protect(recs, ["wijk"], weight="w", rule=DisclosureRule(threshold=3)).set_index("unit")
    assert out.loc["A", "status"] == "small" and out.loc["A", "n"] == 2.5
    assert out.loc["B", "status"] == "observed"
    assert DisclosureRule(threshold=10).label == "< 10"


@pytest.mark.parametrize("threshold", [0, 0.5, -1, float("nan")])
def test_threshold_below_one_refused(threshold):
    with pytest.raises(WijkatlasError, match="threshold"):
        DisclosureRule(threshold=threshold)


def test_unknown_partition_refused():
    with pytest.raises(WijkatlasError, match="partition column"):
        protect(pd.DataFrame({"a": ["x"]}), ["b"])


# --- property: nothing small can be computed from what is published -------------------------


def _in_span(matrix: np.ndarray, target: np.ndarray) -> bool:
    if len(matrix) == 0:
        return not target.any()
    coef, *_ = np.linalg.lstsq(matrix.T, target, rcond=None)
    return bool(np.allclose(matrix.T @ coef, target, atol=1e-7))


@st.composite
def scenarios(draw):
    n_atoms = draw(st.integers(4, 14))
    k_a = draw(st.integers(2, 5))
    k_b = draw(st.integers(2, 5))
    version_a = draw(st.lists(st.integers(0, k_a - 1), min_size=n_atoms, max_size=n_atoms))
    version_b = draw(st.lists(st.integers(0, k_b - 1), min_size=n_atoms, max_size=n_atoms))
    counts = draw(st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 15]),
                           min_size=n_atoms, max_size=n_atoms))
    kern = draw(st.booleans())  # a level: units of version b grouped in two
    threshold = draw(st.sampled_from([3, 5]))
    return version_a, version_b, counts, kern, threshold


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_no_small_count_can_be_computed(scenario):
    """Random records on random geometric atoms, published on two random boundary versions,
    the gemeente (and sometimes a level of kernen): no published figure, no difference of two
    published figures, and nothing else an outsider can compute with sums and differences of
    published figures (and the zeros they show) is a count between 1 and threshold - 1."""
    version_a, version_b, counts, kern, threshold = scenario
    n_atoms = len(counts)
    atoms = pd.DataFrame({"a": [f"A{v}" for v in version_a], "b": [f"B{v}" for v in version_b],
                          "gemeente": "GM"})
    atoms["kern"] = [f"K{v % 2}" for v in version_b]
    partitions = ["a", "b", "gemeente"] + (["kern"] if kern else [])
    recs = atoms.loc[np.repeat(np.arange(n_atoms), counts)].reset_index()
    units = {p: sorted(atoms[p].unique()) for p in partitions}
    out = protect(recs, partitions, units=units, rule=DisclosureRule(threshold=threshold))
    x = np.asarray(counts, dtype=float)

    cells, values, published = [], [], []
    for row in out.itertuples():
        vec = (atoms[row.partition] == row.unit).to_numpy().astype(float)
        assert row.n == pytest.approx(vec @ x)
        if row.status == "small":
            assert 0 < row.n < threshold
        cells.append(vec)
        values.append(row.n)
        published.append(row.status == "observed")
    cells = np.array(cells)
    pub = cells[np.array(published)]
    pub_values = np.array(values)[np.array(published)]

    def small(v: float) -> bool:
        return 0 < v < threshold

    # every published figure, and every difference of two nested published figures
    assert not any(small(v) for v in pub_values)
    for i, j in itertools.permutations(range(len(pub)), 2):
        if (pub[j] <= pub[i]).all():
            assert not small(pub_values[i] - pub_values[j])
    # anything computable: published cells plus the atoms inside published zeros
    known = [pub] + [np.eye(n_atoms)[vec > 0] for vec, v in zip(pub, pub_values, strict=True)
                     if v == 0]
    span = np.vstack(known)
    targets = list(cells) + list(np.eye(n_atoms))
    for c1, c2 in itertools.permutations(cells, 2):
        targets.append(np.clip(c1 - c2, 0, 1))
        targets.append(c1 * c2)
    for target in targets:
        if target.any() and _in_span(span, target):
            assert not small(target @ x), (target, target @ x)
