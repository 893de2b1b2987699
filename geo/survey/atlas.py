"""The survey in the atlas: every edition on every boundary version, as rows of the shared
result table (``source = "survey"``), plus the indicator rows and trend tables.

What enters: ``layers/enquete/enquete.toml`` (named by ``survey`` in ``layers/atlas.toml``):
per edition the respondent file and the questionnaire, and the options (min-n, weighting,
trimming). The population margins of a unit are the BRP counts (Kerncijfers) of the same year
reaggregated to the same version (:func:`geo.survey.weight.population_from_counts`). What
leaves: result rows in ``geo.units.RESULT_COLUMNS`` order, and the unplaced report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.catalog import Catalog, Indicator
from geo.errors import WijkatlasError
from geo.files import read_toml
from geo.survey import Edition, locate, survey_editions
from geo.survey.questionnaire import load_questionnaire
from geo.survey.respondents import read_respondents
from geo.survey.weight import WEIGHTINGS, population_from_counts

__all__ = ["SurveyConfig", "add_survey_indicators", "atlas_survey", "load_editions",
           "read_survey_config", "survey_trend"]

#: The BRP counts the margins are made of (Kerncijfers codes of the catalog).
MARGIN_VARIABLES = ("AANT_MAN", "AANT_VROUW", "A_15_24", "A_25_44", "A_45_64", "A_65_OO")


@dataclass(frozen=True)
class SurveyConfig:
    path: Path
    editions: tuple[tuple[int, Path, Path], ...]
    source: str
    gemeente_code: str
    gemeente_name: str
    min_n: int = 30
    indicative_n: int = 100
    weighting: str = "rake"
    trim: tuple[float, float] | None = (0.2, 5.0)
    min_age: int = 18


def read_survey_config(path: str | Path, *,
                       gemeente: tuple[str, str] = ("gemeente", "Gemeente")) -> SurveyConfig:
    """Read ``enquete.toml``: ``[[edition]]`` tables with ``year``, ``respondents`` and
    ``questions`` (paths relative to the file), and the options."""
    path = Path(path)
    if not path.exists():
        raise WijkatlasError("survey configuration not found.", file=path,
                             fix="correct `survey` in layers/atlas.toml or remove it.")
    raw = read_toml(path, what="survey configuration", fix="save it as UTF-8 TOML.")
    editions = []
    for i, entry in enumerate(raw.get("edition", []), start=1):
        for key in ("year", "respondents", "questions"):
            if key not in entry:
                raise WijkatlasError(f"`{key}` missing.", file=path, unit=f"edition {i}",
                                     fix="give year, respondents and questions per edition.")
        editions.append((int(entry["year"]), path.parent / entry["respondents"],
                         path.parent / entry["questions"]))
    if not editions:
        raise WijkatlasError("no [[edition]] tables.", file=path,
                             fix="add one [[edition]] per survey year.")
    weighting = raw.get("weighting", "rake")
    if weighting not in WEIGHTINGS:
        raise WijkatlasError(f"unknown weighting {weighting!r}.", file=path,
                             fix=f"use one of: {', '.join(WEIGHTINGS)}.")
    trim = raw.get("trim", [0.2, 5.0])
    return SurveyConfig(
        path=path, editions=tuple(sorted(editions)),
        source=str(raw.get("source", "bewonersenquête")),
        gemeente_code=str(raw.get("gemeente_code", gemeente[0])),
        gemeente_name=str(raw.get("gemeente_name", gemeente[1])),
        min_n=int(raw.get("min_n", 30)), indicative_n=int(raw.get("indicative_n", 100)),
        weighting=weighting, trim=tuple(trim) if trim else None,
        min_age=int(raw.get("min_age", 18)))


def load_editions(config: SurveyConfig, *, addresses: gpd.GeoDataFrame | None = None
                  ) -> list[Edition]:
    """Read every edition's questionnaire and respondent file (checked), and locate its
    respondents once (the points serve every version)."""
    out = []
    for year, respondents, questions in config.editions:
        q = load_questionnaire(questions)
        people = read_respondents(respondents, q)
        out.append(Edition(year, people, q, locate(people, addresses, year=year)))
    return out


def atlas_survey(editions: list[Edition], units: gpd.GeoDataFrame, counts: pd.DataFrame,
                 config: SurveyConfig, *, version: str,
                 addresses: gpd.GeoDataFrame | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey rows of every edition on one version.

    ``counts`` are the CBS result rows of that version (``unit_code, year, variable,
    value``); the margins of edition Y come from year Y.

    Returns
    -------
    results
        Rows in the shared layout (``source = survey``; ``approximate`` = 1 marks an
        indicative figure, n < ``indicative_n``; ``reason`` says why a figure is withheld).
    unplaced
        The unplaced report of every edition.
    """
    populations, margin_year = {}, {}
    margins = counts[counts["variable"].isin(MARGIN_VARIABLES)]
    available = sorted(int(y) for y in margins["year"].unique())
    if not available:
        raise WijkatlasError("no BRP counts (men, women, age groups) for the survey weights.",
                             file=config.path, fix="add Kerncijfers with AANT_MAN, AANT_VROUW "
                                                   "and the age groups A_15_24 .. A_65_OO.")
    for ed in editions:
        # the counts of the survey year; without them, the nearest year (said in `method`)
        year = min(available, key=lambda y: (abs(y - ed.year), y))
        margin_year[ed.year] = year
        populations[ed.year] = population_from_counts(
            margins[margins["year"] == year], min_age=config.min_age,
            source=f"Kerncijfers {year}")
    res = survey_editions(editions, units, populations, addresses=addresses,
                          min_n=config.min_n, indicative_n=config.indicative_n,
                          weighting=config.weighting, trim=config.trim,
                          gemeente=(config.gemeente_code, config.gemeente_name))
    r = res.results
    rows = pd.DataFrame({
        "version": version, "level": r["level"], "unit_code": r["code"], "unit_name": r["name"],
        "year": r["year"].astype(int), "variable": r["variable"], "value": r["value"],
        "lower": r["lower"], "upper": r["upper"], "status": r["status"],
        "interpolated_share": 0.0,
        "method": [w if margin_year[y] == y or not w else f"{w} (bevolking {margin_year[y]})"
                   for w, y in zip(r["weighting"], r["year"], strict=True)],
        "approximate": r["indicative"].astype(int), "source": "survey",
        "n": r["n"].astype(float), "significance": r["significance"],
        "reason": np.where(r["status"] == "too_few", f"n < {config.min_n}",
                           np.where(r["indicative"], f"indicatief (n < {config.indicative_n})",
                                    "")),
        "significance_first": r["significance_first"], "se": r["se"],
    })
    # GeoPackage column names are case-insensitive: N next to n would clash
    rows.attrs["weights"] = res.weights.rename(columns={"N": "population"}).assign(
        version=version)
    return rows, res.unplaced.assign(version=version)


def add_survey_indicators(catalog: Catalog, editions: list[Edition], source: str) -> Catalog:
    """The catalog plus one indicator per survey question (the latest edition's label)."""
    extra: dict[str, Indicator] = {}
    for ed in sorted(editions, key=lambda e: e.year):
        for q in ed.questionnaire.questions:
            if q.code in catalog.indicators:
                raise WijkatlasError(f"survey question {q.code} has the code of a CBS "
                                     "indicator.", file=ed.questionnaire.path, unit=q.code,
                                     fix="give the question its own code.")
            years = [e.year for e in editions if q.code in e.questionnaire.codes]
            extra[q.code] = Indicator(
                code=q.code, label=q.label, theme=q.theme, unit=q.unit, kind=q.kind,
                source=source, decimals=q.decimals,
                description=(q.description + " " if q.description else "")
                + "Bewonersenquête, gewogen naar leeftijd en geslacht; edities "
                + ", ".join(map(str, years)) + ".")
    return Catalog({**catalog.indicators, **extra}, catalog.path)


def survey_trend(trend: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``significance`` to a wide trend table (:func:`geo.series.trend_table`): for the
    survey rows, is the change from the first to the last edition with a figure significant
    at 95 %? Other rows get an empty text."""
    survey = rows[(rows["source"] == "survey") & rows["value"].notna()]
    if "significance_first" in survey:
        last = survey.sort_values("year").groupby(["unit_code", "variable"])[
            "significance_first"].last()
    else:  # rows read back from the atlas: compare first and last edition here
        last = _first_to_last(survey)
    keys = list(zip(trend["unit_code"], trend["variable"], strict=True))
    trend = trend.copy()
    trend["significance"] = [last.get(k, "") or "" for k in keys]
    return trend


def _first_to_last(survey: pd.DataFrame) -> pd.Series:
    from geo.survey.change import compare
    from geo.survey.estimate import Z95

    se = (survey["upper"] - survey["lower"]) / (2 * Z95)
    frame = survey.assign(se=se).sort_values("year")
    g = frame.groupby(["unit_code", "variable"])
    first, last = g.first(), g.last()
    verdict = compare(first["value"], first["se"], last["value"], last["se"])
    verdict = pd.Series(verdict, index=first.index)
    return verdict.where(g["year"].nunique() > 1, "")
