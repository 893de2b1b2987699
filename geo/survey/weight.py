"""Weighting respondents per unit to the unit's population by age class x sex.

What enters: placed respondents (``unit_code``, ``leeftijd``, ``geslacht``) and the population
of every unit, either as a table ``code, geslacht, leeftijdsklasse, aantal`` (joint cells;
class bounds read from labels such as ``18-34`` or ``75+``) or as two margins (age classes,
men/women) such as the BRP counts in the atlas. What leaves: one weight per respondent and
per unit the sample size, population, method, Kish design effect and effective sample size.

The adjustments are done by **svy** (``Sample.weighting.rake`` / ``poststratify`` /
``trim``), the maintained successor of samplics; see the README for why.

Notes
-----
Raking (iterative proportional fitting) adjusts the weights :math:`w_i` until, in every unit
:math:`u`, the weighted counts match both margins:

.. math:: \\sum_{i \\in u, a(i)=a} w_i = N_{u,a}, \\qquad \\sum_{i \\in u, s(i)=s} w_i = N_{u,s}

All units are raked in one call by crossing the margins with the unit (``unit|class`` and
``unit|sex``), which is the same as raking each unit on its own. An age class without
respondents in a unit is merged with its neighbour (collapsing), a sex without respondents
drops the sex margin of that unit. Post-stratification (``weighting="poststratify"``) uses
the joint cells :math:`N_{u,a,s}` of units whose every cell has at least ``min_cell``
respondents and rakes the others. Weights are then trimmed to
``[trim[0], trim[1]] x`` the unit's mean weight, the excess spread over the other weights
of the unit (svy ``trim(by=unit)``), so unit totals are kept.

Kish's design effect of unequal weights and the effective sample size per unit:

.. math:: \\text{deff}_u = n_u \\frac{\\sum w_i^2}{(\\sum w_i)^2}, \\qquad
          n_{\\text{eff},u} = n_u / \\text{deff}_u
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import WijkatlasError
from geo.survey.respondents import normalise_sex, read_table_file

__all__ = [
    "AgeClass", "Population", "WEIGHTINGS", "age_classes", "parse_age_class",
    "population_from_counts", "read_population", "weight_respondents",
]

WEIGHTINGS = ("rake", "poststratify", "none")
SEXES = ("man", "vrouw")


@dataclass(frozen=True)
class AgeClass:
    """An age class with inclusive bounds in whole years (``upper`` is inf for ``75+``)."""

    label: str
    lower: int
    upper: float


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|t/m|tot en met)\s*(\d+)\s*(?:jaar)?\s*$", re.I)
_OPEN = re.compile(r"^\s*(\d+)\s*(?:\+|jaar en ouder|en ouder|\s*en\s*ouder)\s*$", re.I)


def parse_age_class(label: str) -> AgeClass:
    """``18-34`` -> 18..34, ``18 t/m 34`` -> 18..34, ``75+`` / ``75 en ouder`` -> 75..inf."""
    text = str(label).strip()
    m = _RANGE.match(text)
    if m and int(m.group(1)) <= int(m.group(2)):
        return AgeClass(text, int(m.group(1)), float(m.group(2)))
    m = _OPEN.match(text)
    if m:
        return AgeClass(text, int(m.group(1)), math.inf)
    raise ValueError(text)


def _check_classes(classes: list[AgeClass], *, file) -> list[AgeClass]:
    classes = sorted(classes, key=lambda c: c.lower)
    for a, b in zip(classes, classes[1:], strict=False):
        if b.lower <= a.upper:
            raise WijkatlasError(f"age classes {a.label!r} and {b.label!r} overlap.", file=file,
                                 fix="use classes that do not overlap, e.g. 18-34, 35-49.")
    return classes


@dataclass
class Population:
    """Population per unit by age class and sex.

    ``age`` (units x class labels) and ``sex`` (units x man/vrouw) are the margins; ``cells``
    (units x (sex, class)) the joint counts when known.
    """

    classes: list[AgeClass]
    age: pd.DataFrame
    sex: pd.DataFrame
    cells: pd.DataFrame | None = None
    source: str = ""

    @property
    def total(self) -> pd.Series:
        return self.age.sum(axis=1)

    def require(self, codes, *, unit_kind: str = "unit") -> None:
        """Refuse when a unit of the target has no population."""
        missing = [c for c in codes if c not in self.age.index]
        if missing:
            raise WijkatlasError(
                f"the population table has no rows for {len(missing)} {unit_kind}(s) of the "
                f"target: {', '.join(map(str, missing[:5]))}.", file=self.source or None,
                unit=str(missing[0]), fix="add code, geslacht, leeftijdsklasse, aantal rows "
                                          "for every unit of the target.")

    def aggregate(self, mapping: pd.Series) -> Population:
        """Population of larger units: ``mapping`` from unit code to the larger unit."""
        def agg(frame):
            return None if frame is None else frame.groupby(mapping.reindex(frame.index)).sum()
        return Population(self.classes, agg(self.age), agg(self.sex), agg(self.cells),
                          self.source)


def age_classes(ages: np.ndarray, classes: list[AgeClass]) -> np.ndarray:
    """Label of the class of every age (whole years), ``None`` outside all classes."""
    ages = np.floor(np.asarray(ages, dtype=float))
    out = np.full(len(ages), None, dtype=object)
    for c in classes:
        out[(ages >= c.lower) & (ages <= c.upper)] = c.label
    return out


def read_population(path: str | Path, *, encoding: str | None = None) -> Population:
    """Read ``code, geslacht, leeftijdsklasse, aantal`` (CSV, Excel or SPSS).

    Raises
    ------
    WijkatlasError
        A missing column, an unreadable class label, overlapping classes, an unknown sex
        code, a negative or non-numeric ``aantal``, or a cell given twice.
    """
    path = Path(path)
    frame, labels = read_table_file(path, encoding=encoding)
    cols = {c.lower(): c for c in frame.columns}
    need = ("code", "geslacht", "leeftijdsklasse", "aantal")
    absent = [c for c in need if c not in cols]
    if absent:
        raise WijkatlasError(f"column(s) {', '.join(absent)} missing.", file=path,
                             fix="write the population as code, geslacht, leeftijdsklasse, "
                                 "aantal.")
    frame = frame.rename(columns={cols[c]: c for c in need})
    code = frame["code"].astype("string").str.strip()
    sex = normalise_sex(frame["geslacht"], labels.get(cols["geslacht"]))
    if sex.isna().any():
        i = int(np.flatnonzero(sex.isna())[0])
        raise WijkatlasError(f"unknown sex {frame['geslacht'].iloc[i]!r}.", file=path,
                             unit=f"row {i + 2}", fix="use man/vrouw, m/v or 1/2.")
    text = frame["aantal"].astype("string").str.strip()
    if frame.attrs.get("decimal_comma"):
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    count = pd.to_numeric(text, errors="coerce")
    bad = count.isna() | (count < 0) | ~np.isfinite(count.fillna(0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise WijkatlasError(f"aantal {frame['aantal'].iloc[i]!r} is not a count.", file=path,
                             unit=f"row {i + 2}", fix="give a number of persons (0 or more).")
    parsed = {}
    for label in frame["leeftijdsklasse"].astype("string").str.strip().unique():
        try:
            parsed[label] = parse_age_class(label)
        except ValueError:
            raise WijkatlasError(f"age class {label!r} not understood.", file=path,
                                 unit=f"leeftijdsklasse {label}",
                                 fix="write classes as 18-34, 35-49, ..., 75+.") from None
    classes = _check_classes(list(parsed.values()), file=path)
    long = pd.DataFrame({"code": code, "sex": sex,
                         "cls": frame["leeftijdsklasse"].astype("string").str.strip(),
                         "n": count.astype(float)})
    dup = long[long.duplicated(["code", "sex", "cls"])]
    if len(dup):
        row = dup.iloc[0]
        raise WijkatlasError(f"cell {row['sex']} {row['cls']} given twice.", file=path,
                             unit=str(row["code"]), fix="give every cell once.")
    order = [c.label for c in classes]
    cells = long.pivot_table(index="code", columns=["sex", "cls"], values="n", aggfunc="sum",
                             fill_value=0.0)
    age = long.pivot_table(index="code", columns="cls", values="n", aggfunc="sum",
                           fill_value=0.0).reindex(columns=order, fill_value=0.0)
    sexm = long.pivot_table(index="code", columns="sex", values="n", aggfunc="sum",
                            fill_value=0.0).reindex(columns=list(SEXES), fill_value=0.0)
    return Population(classes, age, sexm, cells, source=str(path))


def population_from_counts(counts: pd.DataFrame, *, min_age: int = 18,
                           source: str = "") -> Population:
    """Margins from BRP-style counts per unit (the Kerncijfers on a version).

    ``counts`` has columns ``unit_code, variable, value`` with ``AANT_MAN``, ``AANT_VROUW``
    and the age groups ``A_15_24``, ``A_25_44``, ``A_45_64``, ``A_65_OO``. The classes are
    ``18-24`` (the part ``(25 - min_age) / 10`` of 15-24, ages spread evenly), ``25-44``,
    ``45-64`` and ``65+``; the sex margin is the unit's men/women ratio applied to its
    ``min_age``+ total (the Kerncijfers have no age x sex cells). Both margins then add up to
    the same total, as raking needs.
    """
    wide = counts.pivot_table(index="unit_code", columns="variable", values="value",
                              aggfunc="sum")
    need = ["AANT_MAN", "AANT_VROUW", "A_15_24", "A_25_44", "A_45_64", "A_65_OO"]
    absent = [c for c in need if c not in wide.columns]
    if absent:
        raise WijkatlasError(f"BRP counts {', '.join(absent)} missing for the survey weights.",
                             file=source or None,
                             fix="give the Kerncijfers these columns, or a population table.")
    wide = wide[need].fillna(0.0).clip(lower=0.0)
    young = f"{min_age}-24"
    age = pd.DataFrame({young: wide["A_15_24"] * (25 - min_age) / 10.0,
                        "25-44": wide["A_25_44"], "45-64": wide["A_45_64"],
                        "65+": wide["A_65_OO"]})
    total = age.sum(axis=1)
    all_sex = (wide["AANT_MAN"] + wide["AANT_VROUW"]).replace(0, np.nan)
    share_men = (wide["AANT_MAN"] / all_sex).fillna(0.5)
    sex = pd.DataFrame({"man": total * share_men, "vrouw": total * (1 - share_men)})
    classes = [parse_age_class(c) for c in age.columns]
    return Population(classes, age, sex, None, source=source)


def _collapse_rows(present: np.ndarray) -> np.ndarray:
    """Per row (unit) the group of every class so that every group has respondents: an empty
    class joins the next class with respondents, trailing empty classes the last one with
    respondents (rows without any respondent keep their own classes)."""
    n, k = present.shape
    group = np.tile(np.arange(k), (n, 1))
    nxt = np.full(n, -1)
    for j in range(k - 1, -1, -1):  # loop over the few classes, vectorised over units
        nxt = np.where(present[:, j], j, nxt)
        group[:, j] = nxt
    last = np.where(present.any(axis=1), k - 1 - np.argmax(present[:, ::-1], axis=1), -1)
    trailing = group < 0
    group = np.where(trailing, last[:, None], group)
    return np.where(group < 0, np.arange(k)[None, :], group)


def weight_respondents(sample: pd.DataFrame, population: Population, *,
                       weighting: str = "rake", trim: tuple[float, float] | None = (0.2, 5.0),
                       min_cell: int = 10) -> tuple[pd.Series, pd.DataFrame]:
    """Weights per respondent, adjusted per unit to the unit's population.

    Parameters
    ----------
    sample
        ``unit_code``, ``age_class`` (labels of ``population.classes``), ``geslacht``.
    population
        Margins (and cells) per unit; every unit in ``sample`` must be in it.
    weighting
        ``rake`` (two margins), ``poststratify`` (joint cells where every cell has
        ``min_cell`` respondents, raking elsewhere) or ``none`` (N / n within the unit).
    trim
        Range of the weights relative to the unit's mean weight; ``None`` for no trimming.

    Returns
    -------
    weights
        Per respondent (index of ``sample``); NaN for units without population.
    summary
        Per unit: ``unit_code, n, N, method, deff, n_eff, w_min, w_max``.
    """
    import polars as pl
    import svy

    if weighting not in WEIGHTINGS:
        raise WijkatlasError(f"unknown weighting {weighting!r}.",
                             fix=f"use one of: {', '.join(WEIGHTINGS)}.")
    population.require(sorted(sample["unit_code"].unique()))
    labels = [c.label for c in population.classes]
    unit = sample["unit_code"].astype(str).to_numpy()
    cls = sample["age_class"].to_numpy()
    sex = sample["geslacht"].to_numpy()
    total = population.total
    n_unit = pd.Series(unit).value_counts()
    weights = np.full(len(sample), np.nan)
    method = {}
    good_units = [u for u in n_unit.index if total.get(u, 0) > 0]
    base = pd.Series(unit).map(total / n_unit).to_numpy()

    # per unit (rows) and class (columns): respondents, population, collapsed class groups
    good = np.array(good_units, dtype=object)
    ui = pd.Index(good).get_indexer(unit)
    in_good = ui >= 0
    k = len(labels)
    ci = pd.Index(labels).get_indexer(cls)
    counts = np.zeros((len(good), k))
    np.add.at(counts, (ui[in_good], ci[in_good]), 1)
    group = _collapse_rows(counts > 0)
    margin = population.age.reindex(good)[labels].to_numpy(dtype=float)
    gmargin = np.zeros_like(margin)
    np.add.at(gmargin, (np.repeat(np.arange(len(good)), k), group.ravel()), margin.ravel())
    tot = margin.sum(axis=1)
    gmargin = np.where((counts > 0) & (gmargin <= 0), 1e-9 * tot[:, None], gmargin)
    unit_s = good.astype(str)
    ua = np.full(len(sample), "", dtype=object)
    ua[in_good] = np.char.add(np.char.add(unit_s[ui[in_good]], "|"),
                              np.array(labels, dtype=str)[group[ui[in_good], ci[in_good]]])
    rep_u, rep_k = np.nonzero(counts > 0)
    ctrl_age = dict(zip(np.char.add(np.char.add(unit_s[rep_u], "|"),
                                    np.array(labels, dtype=str)[rep_k]).tolist(),
                        gmargin[rep_u, rep_k].tolist(), strict=True))
    si = pd.Index(list(SEXES)).get_indexer(sex)
    scount = np.zeros((len(good), 2))
    np.add.at(scount, (ui[in_good], si[in_good]), 1)
    both = (scount > 0).all(axis=1)
    sm = population.sex.reindex(good)[list(SEXES)].to_numpy(dtype=float)
    ssum = sm.sum(axis=1, keepdims=True)
    sm = np.where(ssum > 0, sm / np.where(ssum > 0, ssum, 1) * tot[:, None], 0.5 * tot[:, None])
    us = np.full(len(sample), "", dtype=object)
    sex_s = np.where(both[ui[in_good]], np.asarray(sex[in_good], dtype=str), "alle")
    us[in_good] = np.char.add(np.char.add(unit_s[ui[in_good]], "|"), sex_s.astype(str))
    ctrl_sex = {}
    for j, s in enumerate(SEXES):
        ctrl_sex.update(zip(np.char.add(unit_s[both], f"|{s}").tolist(),
                            sm[both, j].tolist(), strict=True))
    ctrl_sex.update(zip(np.char.add(unit_s[~both], "|alle").tolist(), tot[~both].tolist(),
                        strict=True))
    post_units, cell_ctrl = set(), {}
    if weighting == "poststratify" and population.cells is not None:
        cell_n = np.zeros((len(good), 2, k))
        np.add.at(cell_n, (ui[in_good], si[in_good], ci[in_good]), 1)
        ok = (cell_n >= min_cell).all(axis=(1, 2))
        cells = population.cells.reindex(good).fillna(0.0)
        for u in good[ok]:
            post_units.add(u)
            for s in SEXES:
                for c in labels:
                    cell_ctrl[f"{u}|{s}|{c}"] = float(cells.loc[u].get((s, c), 0.0))
    for u in good:
        method[u] = "poststratify" if u in post_units else (
            "rake" if weighting != "none" else "none")

    if weighting == "none":
        weights[in_good] = base[in_good]
    else:
        post = in_good & np.isin(unit, list(post_units))
        rake = in_good & ~post
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if rake.any():
                frame = pl.DataFrame({"i": np.flatnonzero(rake), "ua": ua[rake].astype(str),
                                      "us": us[rake].astype(str), "w0": base[rake]})
                keys_a = set(frame["ua"].unique().to_list())
                keys_s = set(frame["us"].unique().to_list())
                s = svy.Sample(frame, svy.Design(wgt="w0"))
                s = s.weighting.rake(
                    controls={"ua": {k: v for k, v in ctrl_age.items() if k in keys_a},
                              "us": {k: v for k, v in ctrl_sex.items() if k in keys_s}},
                    wgt_name="w", on_nonconvergence="ignore", max_iter=200)
                weights[s.data["i"].to_numpy()] = s.data["w"].to_numpy()
            if post.any():
                uc = np.char.add(np.char.add(np.char.add(unit[post].astype(str), "|"),
                                             np.char.add(sex[post].astype(str), "|")),
                                 cls[post].astype(str))
                frame = pl.DataFrame({"i": np.flatnonzero(post), "uc": uc, "w0": base[post]})
                keys = set(uc.tolist())
                s = svy.Sample(frame, svy.Design(wgt="w0"))
                s = s.weighting.poststratify(
                    controls={k: v for k, v in cell_ctrl.items() if k in keys}, cells="uc",
                    wgt_name="w")
                weights[s.data["i"].to_numpy()] = s.data["w"].to_numpy()
        if trim is not None and in_good.any():
            weights[in_good] = _trim(weights[in_good], unit[in_good], trim)

    frame = pd.DataFrame({"unit_code": unit, "w": weights, "w2": weights ** 2})
    g = frame[np.isfinite(weights)].groupby("unit_code")["w"]
    summary = pd.DataFrame({"n": n_unit})
    summary["N"] = total.reindex(summary.index)
    summary["method"] = pd.Series(method).reindex(summary.index).fillna("geen bevolking")
    sw = g.sum()
    sw2 = frame[np.isfinite(weights)].groupby("unit_code")["w2"].sum()
    summary["deff"] = (summary["n"] * sw2 / sw ** 2).reindex(summary.index)
    summary["n_eff"] = summary["n"] / summary["deff"]
    summary["w_min"], summary["w_max"] = g.min(), g.max()
    summary = summary.rename_axis("unit_code").reset_index()
    return pd.Series(weights, index=sample.index, name="weight"), summary


def _trim(weights: np.ndarray, unit: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    """Trim to ``trim`` x the unit mean with svy, spreading the excess within the unit."""
    import polars as pl
    import svy

    lo, hi = trim
    if not (0 < lo < 1 < hi):
        raise WijkatlasError(f"trim range {trim} must be below and above 1 (e.g. 0.2, 5).",
                             fix="give --trim LOW HIGH with LOW < 1 < HIGH.")
    frame = pl.DataFrame({"i": np.arange(len(weights)), "u": unit.astype(str), "w": weights})
    s = svy.Sample(frame, svy.Design(wgt="w"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = s.weighting.trim(upper=svy.Threshold("mean", hi), lower=svy.Threshold("mean", lo),
                             by="u", wgt_name="wt", on_nonconvergence="ignore", min_cell_size=2)
    out = np.empty(len(weights))
    out[s.data["i"].to_numpy()] = s.data["wt"].to_numpy()
    return out
