"""Survey benchmark (not a test): ``python -m bench.survey_bench``.

1. **Large**: 100,000 respondents x 60 questions x 5 editions, each edition a CSV file as an
   agency delivers it, placed on two boundary versions (2016: 14 wijken, 2020: 15) with the
   address points (half by x/y, half by postcode + huisnummer), weighted by age x sex and
   estimated with intervals, plus the significance of change: the whole work of
   ``survey_editions`` after reading the files with ``read_respondents``.
2. **Sample atlas step**: the five sample editions (``layers/enquete``) on both versions, as
   ``make atlas`` runs them (reading the files included).

Each case runs in a fresh process (``--runs`` times, median); time is wall-clock, memory the
peak resident set size of that process (``ru_maxrss``). Seeded synthetic inputs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
EDITIONS = (2008, 2011, 2013, 2016, 2019)
CLASSES = ("18-24", "25-44", "45-64", "65+")


def make_inputs(folder: Path, respondents: int, questions: int, seed: int = 5) -> None:
    """Questionnaires, respondent CSVs and a population table per version."""
    import pyogrio

    from geo.register import load_version

    rng = np.random.default_rng(seed)
    adr = pyogrio.read_dataframe(REPO / "layers/adressen/adressen_GM0797.gpkg")
    adr = adr[adr["woonfunctie"] == 1]
    lines = ["edition = 2019"]
    for q in range(questions):
        if q % 6 == 5:
            lines += ["[[question]]", f'code = "q{q:02d}"', f'label = "Vraag {q}"',
                      'theme = "leefbaarheid"', 'kind = "mean"', f"valid = {list(range(1, 11))}",
                      "missing = [99]"]
        else:
            lines += ["[[question]]", f'code = "q{q:02d}"', f'label = "Vraag {q}"',
                      'theme = "leefbaarheid"', 'kind = "share"', "yes = [1]",
                      "valid = [1, 2, 3]", "missing = [9]"]
    (folder / "vragen.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for year in EDITIONS:
        existing = adr[adr["bouwjaar"] <= year]
        pick = existing.iloc[rng.integers(0, len(existing), respondents)]
        frame = pd.DataFrame({"respondent_id": np.arange(respondents),
                              "leeftijd": rng.integers(18, 96, respondents),
                              "geslacht": rng.choice(["man", "vrouw"], respondents)})
        by_xy = rng.random(respondents) < 0.5
        frame["x"] = np.where(by_xy, pick.geometry.x.round(1), np.nan)
        frame["y"] = np.where(by_xy, pick.geometry.y.round(1), np.nan)
        frame["postcode"] = np.where(by_xy, "", pick["postcode"])
        frame["huisnummer"] = np.where(by_xy, np.nan, pick["huisnummer"])
        frame["toevoeging"] = np.where(by_xy, "", pick["toevoeging"])
        for q in range(questions):
            if q % 6 == 5:
                answer = rng.integers(1, 11, respondents).astype(float)
                answer[rng.random(respondents) < 0.04] = 99
            else:
                answer = rng.choice([1, 2, 3, 9], respondents, p=[0.35, 0.4, 0.2, 0.05])
            frame[f"q{q:02d}"] = answer
        frame.to_csv(folder / f"resp_{year}.csv", index=False)
    for vid in ("2016", "2020"):
        codes = load_version(REPO, vid).units["code"]
        rows = [(c, s, k, float(rng.integers(300, 1500))) for c in codes
                for s in ("man", "vrouw") for k in CLASSES]
        pd.DataFrame(rows, columns=["code", "geslacht", "leeftijdsklasse", "aantal"]).to_csv(
            folder / f"pop_{vid}.csv", index=False)


def run_large(folder: Path) -> dict:
    import pyogrio

    from geo.register import load_version
    from geo.survey import (
        Edition,
        load_questionnaire,
        locate,
        read_population,
        read_respondents,
        survey_editions,
    )

    start = time.perf_counter()
    q = load_questionnaire(folder / "vragen.toml")
    editions = [Edition(y, read_respondents(folder / f"resp_{y}.csv", q), q) for y in EDITIONS]
    read_s = time.perf_counter() - start
    adr = pyogrio.read_dataframe(REPO / "layers/adressen/adressen_GM0797.gpkg")
    editions = [Edition(e.year, e.respondents, e.questionnaire,
                        locate(e.respondents, adr, year=e.year)) for e in editions]
    rows = 0
    for vid in ("2016", "2020"):
        units = load_version(REPO, vid).units
        pop = read_population(folder / f"pop_{vid}.csv")
        res = survey_editions(editions, units, dict.fromkeys(EDITIONS, pop), addresses=adr)
        rows += len(res.results)
    return {"seconds": time.perf_counter() - start, "read_seconds": read_s, "rows": rows}


def run_sample() -> dict:
    from geo.atlas import load_year_inputs, read_config
    from geo.catalog import load_catalog
    from geo.register import load_version
    from geo.series import harmonise

    config = read_config(REPO)
    catalog = load_catalog(config.catalog)
    inputs = [i for i in load_year_inputs(config, catalog) if i.year in EDITIONS]
    counts = {vid: harmonise(inputs, load_version(REPO, vid).units, catalog, version=vid)[0]
              for vid in config.versions}
    import pyogrio

    from geo.survey.atlas import atlas_survey, load_editions, read_survey_config

    start = time.perf_counter()
    survey = read_survey_config(config.survey)
    adr = pyogrio.read_dataframe(config.addresses, layer=config.addresses_layer)
    editions = load_editions(survey, addresses=adr)
    rows = 0
    for vid in config.versions:
        out, _ = atlas_survey(editions, load_version(REPO, vid).units, counts[vid], survey,
                              version=vid, addresses=adr)
        rows += len(out)
    return {"seconds": time.perf_counter() - start, "rows": rows}


def child(case: str, folder: str) -> None:
    result = run_large(Path(folder)) if case == "large" else run_sample()
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.survey_bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        make_inputs(Path(tmp), args.respondents, args.questions)
        for case in ("sample", "large"):
            runs = []
            for _ in range(args.runs):
                done = subprocess.run([sys.executable, "-m", "bench.survey_bench", "--child",
                                       case, tmp], cwd=REPO, capture_output=True, text=True,
                                      check=True)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            secs = statistics.median(r["seconds"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            extra = ""
            if case == "large":
                read = statistics.median(r["read_seconds"] for r in runs)
                extra = f", reading the 5 files {read:.1f} s"
            each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            print(f"{case}: {secs:.1f} s (median of {len(runs)}; runs {each}){extra}, peak "
                  f"memory {peak:.0f} MB, {runs[0]['rows']} result rows")


if __name__ == "__main__":
    main()
