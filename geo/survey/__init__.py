"""The resident survey (bewonersenquête): respondents placed in the units of any boundary
version, weighted per unit by age class x sex, estimated with n, a 95 % interval and the
significance of change between editions.

Data flow (one module per step)::

    questionnaire.toml --> questionnaire.load_questionnaire
    respondent file ----> respondents.read_respondents   (CSV / Excel / SPSS)
                          place.locate + place.place      (x/y, address id, postcode; any units)
    population ---------> weight.read_population / population_from_counts
                          weight.weight_respondents       (svy: rake / poststratify, trim)
                          estimate.estimate               (svy: Taylor linearisation + fpc)
                          change.significance             (between editions)

:func:`survey_results` runs one edition on any units GeoDataFrame (wijken of a version, kernen,
wijkteams, ...); :func:`survey_editions` runs several and adds the significance of change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo.errors import WijkatlasError
from geo.survey.change import SIGNIFICANCE, compare, significance
from geo.survey.estimate import Z95, estimate
from geo.survey.place import REASONS, locate, place, unplaced_report
from geo.survey.questionnaire import Question, Questionnaire, load_questionnaire
from geo.survey.respondents import read_respondents
from geo.survey.weight import (
    WEIGHTINGS,
    Population,
    age_classes,
    population_from_counts,
    read_population,
    weight_respondents,
)

__all__ = [
    "REASONS", "SIGNIFICANCE", "WEIGHTINGS", "Z95", "Edition", "Population", "Question",
    "Questionnaire", "SurveyResult", "compare", "estimate", "load_questionnaire", "locate",
    "place", "population_from_counts", "read_population", "read_respondents",
    "significance", "survey_editions", "survey_results", "weight_respondents",
]

#: Columns of the survey's long output (``wijkatlas survey`` writes these).
OUTPUT_COLUMNS = (
    "level", "code", "name", "year", "variable", "label", "value", "lower", "upper",
    "margin", "n", "status", "indicative", "significance", "significance_first", "se",
    "deff", "n_eff", "weighting",
)


@dataclass
class SurveyResult:
    """What one or more editions give on one set of units."""

    results: pd.DataFrame
    unplaced: pd.DataFrame
    weights: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Edition:
    """One survey edition: its year, respondents (read) and questionnaire; ``located``
    optionally the respondents' points (:func:`locate`), shared by every version."""

    year: int
    respondents: pd.DataFrame
    questionnaire: Questionnaire
    located: pd.DataFrame | None = None


def survey_results(
    respondents: pd.DataFrame,
    questionnaire: Questionnaire,
    units: gpd.GeoDataFrame,
    population: Population,
    *,
    code: str = "code",
    name: str | None = "name",
    addresses: gpd.GeoDataFrame | None = None,
    year: int | None = None,
    level: str = "wijk",
    min_n: int = 30,
    indicative_n: int = 100,
    weighting: str = "rake",
    trim: tuple[float, float] | None = (0.2, 5.0),
    gemeente: tuple[str, str] | None = ("gemeente", "Gemeente"),
    located: pd.DataFrame | None = None,
) -> SurveyResult:
    """Survey figures of one edition on any units.

    Parameters
    ----------
    respondents
        From :func:`read_respondents`.
    questionnaire
        From :func:`load_questionnaire`.
    units
        Polygons (any version, level or gemeente) with a ``code`` column; RD New.
    population
        Population by age class x sex of every unit (:func:`read_population`, or
        :func:`population_from_counts` on the BRP counts of the same year and units).
    addresses
        Address points (``address_id``, ``postcode``, ``huisnummer``, ``toevoeging``,
        ``bouwjaar``) to place respondents without x/y; those of ``year`` are used.
    min_n, indicative_n
        Fewer valid answers than ``min_n``: no figure (``too_few``); fewer than
        ``indicative_n``: ``indicative``.
    gemeente
        ``(code, name)`` of an extra row for all units together (weighted to the sum of the
        units' populations), or ``None``.
    located
        The respondents already located (:func:`locate`, same order), to place one edition
        in several versions without joining the addresses again.

    Notes
    -----
    Higher levels (kernen, wijkteams) are just other units: pass their polygons and their
    population, e.g. ``population.aggregate(wijk_to_kern)`` (a Series from wijk code to kern
    code) when the margins are known per wijk. Each unit is weighted to its own margins.

    Returns
    -------
    SurveyResult
        ``results`` (columns :data:`OUTPUT_COLUMNS`), ``unplaced`` (one row per respondent
        not in the figures, with the reason) and ``weights`` (per unit n, N, deff, n_eff).
    """
    if min_n < 2:
        raise WijkatlasError(f"min-n {min_n} is too small for an interval.",
                             fix="use a minimum of at least 2 (30 is usual).")
    if code not in units.columns:
        raise WijkatlasError(f"the units have no column {code!r}.",
                             fix=f"name the code column (one of: {', '.join(units.columns)}).")
    codes = units[code].astype(str)
    if codes.duplicated().any():
        raise WijkatlasError("a unit code occurs twice in the target.",
                             unit=str(codes[codes.duplicated()].iloc[0]),
                             fix="give every unit its own code.")
    population.require(list(codes))
    names = dict(zip(codes, units[name].astype(str) if name and name in units else codes,
                     strict=True))
    if located is None:
        located = locate(respondents, addresses, year=year)
    unit = place(located, units, code=code)
    reason = located["reason"].copy()
    reason[(reason == "") & unit.isna().to_numpy()] = "outside"
    cls = age_classes(respondents["leeftijd"].to_numpy(), population.classes)
    reason[(reason == "") & pd.isna(cls)] = "age_outside_classes"
    unplaced = unplaced_report(respondents, reason, year=year)
    keep = (reason == "").to_numpy()
    sample = respondents.loc[keep, ["respondent_id", "geslacht", *questionnaire.codes]].copy()
    sample["unit_code"] = unit[keep].to_numpy()
    sample["age_class"] = cls[keep]

    rows, summaries = [], []
    weights, summary = weight_respondents(sample, population, weighting=weighting, trim=trim)
    sample["weight"] = weights
    est = estimate(sample, questionnaire, population.total, min_n=min_n,
                   indicative_n=indicative_n, units=list(codes))
    rows.append(est.assign(level=level, name=est["unit_code"].map(names)))
    summaries.append(summary.assign(level=level))
    if gemeente is not None:
        gcode, gname = gemeente
        gpop = population.aggregate(pd.Series(gcode, index=population.age.index))
        gsample = sample.drop(columns="weight").assign(unit_code=gcode)
        gw, gsummary = weight_respondents(gsample, gpop, weighting=weighting, trim=trim)
        gsample["weight"] = gw
        gest = estimate(gsample, questionnaire, gpop.total, min_n=min_n,
                        indicative_n=indicative_n, units=[gcode])
        rows.append(gest.assign(level="gemeente", name=gname))
        summaries.append(gsummary.assign(level="gemeente"))
    out = pd.concat(rows, ignore_index=True)
    summary = pd.concat(summaries, ignore_index=True)
    out = out.merge(summary[["level", "unit_code", "deff", "n_eff", "method"]],
                    on=["level", "unit_code"], how="left")
    out["weighting"] = out["method"].fillna("")
    out["year"] = year if year is not None else questionnaire.edition
    labels = {q.code: q.label for q in questionnaire.questions}
    out["label"] = out["variable"].map(labels)
    out["margin"] = Z95 * out["se"]
    out["significance"] = ""
    out["significance_first"] = ""
    out = out.rename(columns={"unit_code": "code"})
    return SurveyResult(out[list(OUTPUT_COLUMNS)], unplaced, summary)


def survey_editions(editions: list[Edition], units: gpd.GeoDataFrame,
                    populations: dict[int, Population], **options) -> SurveyResult:
    """Several editions on the same units, with the significance of change since the previous
    and the first edition (:func:`geo.survey.change.significance`). ``options`` as for
    :func:`survey_results`; ``populations`` per edition year."""
    parts, unplaced, weights = [], [], []
    for ed in sorted(editions, key=lambda e: e.year):
        if ed.year not in populations:
            raise WijkatlasError(f"no population for the {ed.year} edition.",
                                 unit=str(ed.year), fix="give the population of that year.")
        res = survey_results(ed.respondents, ed.questionnaire, units, populations[ed.year],
                             year=ed.year, located=ed.located, **options)
        parts.append(res.results)
        unplaced.append(res.unplaced)
        weights.append(res.weights.assign(year=ed.year))
    results = pd.concat(parts, ignore_index=True)
    results = significance(results.rename(columns={"code": "unit_code"}),
                           by=("level", "unit_code", "variable")).rename(
        columns={"unit_code": "code"})
    return SurveyResult(results[list(OUTPUT_COLUMNS)].reset_index(drop=True),
                        pd.concat(unplaced, ignore_index=True),
                        pd.concat(weights, ignore_index=True))
