"""``python -m bench`` (``make bench``): crosswalks at national scale, side by side with tobler.

Commands::

    python -m bench                       # the full benchmark (~10 min), writes bench/results.md
    python -m bench --runs 5 --n 14000    # the same, explicit
    python -m bench --case "voronoi ~6 vertices" --runs 1 --n 2000   # a quick look
    python -m bench country --out build/country.csv   # 14,000 buurten x 100 variables
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.crosswalk_bench import APPLY, CASES, run


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the benchmark or the country-sized run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="crosswalk",
                        choices=["crosswalk", "country"])
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and case (>= 5 "
                        "for the README table)")
    parser.add_argument("--n", type=int, default=14_000, help="source units per case")
    parser.add_argument("--case", action="append", choices=[*CASES, APPLY],
                        help="only this case (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="table (crosswalk: default bench/results.md) or CSV (country: "
                        "default build/country.csv)")
    parser.add_argument("--variables", type=int, default=100, help="country: variables")
    args = parser.parse_args(argv)
    if args.command == "country":
        from bench.country import country_run

        country_run(args.out or Path("build/country.csv"), n=args.n, variables=args.variables)
    else:
        out = args.out or (Path(__file__).parent / "results.md")
        run(runs=args.runs, n=args.n, cases=args.case, out=out)


if __name__ == "__main__":
    main()
