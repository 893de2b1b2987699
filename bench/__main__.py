"""``python -m bench`` (``make bench``): crosswalks at national scale, side by side with tobler.

Commands::

    python -m bench                       # everything (~10 min), writes bench/results.md
    python -m bench --runs 5 --n 14000    # the same, explicit
    python -m bench --case "voronoi ~6 vertices" --runs 1 --n 2000   # a quick look
    python -m bench country               # `wijkatlas reaggregate`: 14,000 buurten x 100 variables
    python -m bench.whole_process         # only the hard year-over-year pair, whole process

The full run ends with the country-sized run and the hard year-over-year pair timed as whole
processes (command line against a tobler script; also written to bench/whole_process.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.crosswalk_bench import ALL_CASES, run
from geo.atomic import write_text

NOTES = "<!-- notes: kept when the bench is rerun -->"


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark or the country-sized run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="crosswalk",
                        choices=["crosswalk", "country"])
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and case (>= 5 "
                        "for the README table)")
    parser.add_argument("--n", type=int, default=14_000, help="source units per case")
    parser.add_argument("--case", action="append", choices=ALL_CASES,
                        help="only this case (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="table (crosswalk: default bench/results.md) or CSV (country: "
                        "default build/country.csv)")
    parser.add_argument("--variables", type=int, default=100, help="country: variables")
    parser.add_argument("--no-country", action="store_true",
                        help="crosswalk: do not append the country-sized run to the table")
    parser.add_argument("--no-whole", action="store_true",
                        help="crosswalk: do not append the hard pair, whole process")
    args = parser.parse_args(argv)
    if args.command == "country":
        from bench.country import country_run

        country_run(args.out or Path("build/country.csv"), n=args.n, variables=args.variables)
    else:
        out = args.out or (Path(__file__).parent / "results.md")
        notes = keep_notes(out)
        # The whole-process runs go first, while this process is small: a child's peak memory
        # (ru_maxrss from wait4) starts from the size of the process that started it.
        extra = []
        if args.case is None and not args.no_country:
            from bench.country import ROOT, country_markdown, country_run

            figures = country_run(ROOT / "build" / "country.csv", n=args.n,
                                  variables=args.variables)
            extra.append(country_markdown(figures, args.n, args.variables))
        if args.case is None and not args.no_whole:
            from bench import whole_process

            whole = whole_process.markdown(whole_process.run(args.runs, args.n), args.n)
            write_text(Path(__file__).parent / "whole_process.md", whole)
            extra.append(whole)
        run(runs=args.runs, n=args.n, cases=args.case, out=out)
        text = "\n".join([out.read_text(), *extra])
        write_text(out, text + ("\n" + notes if notes else ""))


def keep_notes(path: Path) -> str:
    """The hand-written part of a results file (from the ``NOTES`` marker on), kept on rerun."""
    text = path.read_text() if path.exists() else ""
    return text[text.index(NOTES):] if NOTES in text else ""


if __name__ == "__main__":
    main()
