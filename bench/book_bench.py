"""Bench: the atlas book for the 15 wijken of 2020 with every indicator.

Runs ``wijkatlas publish --version 2020`` as a whole process (what a user runs: profile pages,
the book and the 15 PDFs per wijk), and the book alone (one PDF) through the public API in a
fresh process, each several times; reports medians, page counts and file sizes.

    python -m bench.book_bench [--atlas build/atlas.gpkg] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOOK_ONLY = """
import sys, time
from geo.publish.book import build_book
from geo.publish.model import load_edition
t = time.perf_counter()
ed = load_edition(sys.argv[1], "2020")
build_book(sys.argv[1], sys.argv[2], versions=["2020"], per_wijk=False, editions={"2020": ed},
           workers=1)
print(time.perf_counter() - t)
"""


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in out.stdout.splitlines()
                    if line.startswith("Pages:")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--atlas", default="build/atlas.gpkg")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    atlas = Path(args.atlas).resolve()
    exe = Path(sys.executable).with_name("wijkatlas")
    whole, alone = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([str(exe), "publish", "--atlas", str(atlas), "--out", str(out / "w"),
                            "--version", "2020"], check=True, capture_output=True)
            whole.append(time.perf_counter() - t)
            res = subprocess.run([sys.executable, "-c", BOOK_ONLY, str(atlas), str(out / "b")],
                                 check=True, capture_output=True, text=True)
            alone.append(float(res.stdout.split()[-1]))
        book = out / "b" / "wijkatlas_2020_2022.pdf"
        wijk_pdfs = sorted((out / "w" / "book" / "2020").glob("*.pdf"))
        pages = out / "w" / "profiles" / "2020"
        rows = [
            ("book, 15 wijken, all indicators (one PDF, one process)",
             statistics.median(alone), f"{book.stat().st_size / 1e6:.2f} MB",
             f"{_pages(book)} pages"),
            ("`wijkatlas publish --version 2020` (15 profile pages + book + 15 wijk PDFs)",
             statistics.median(whole),
             f"{sum(p.stat().st_size for p in wijk_pdfs) / 1e6:.2f} MB wijk PDFs, "
             f"{sum(p.stat().st_size for p in pages.glob('*.html')) / 1e6:.2f} MB pages",
             f"wijk PDF {min(map(_pages, wijk_pdfs))}-{max(map(_pages, wijk_pdfs))} pages"),
        ]
    print(f"| what | median of {args.runs} (s) | size | pages |")
    print("|---|---:|---|---|")
    for what, seconds, size, pages_ in rows:
        print(f"| {what} | {seconds:.1f} | {size} | {pages_} |")
    print("runs:", [round(x, 1) for x in alone], [round(x, 1) for x in whole])


if __name__ == "__main__":
    main()
