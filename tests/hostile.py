"""Hostile names for the security tests, and a small atlas repository to build with them.

The repository is a copy of the sample (boundaries, layers, maps) keeping one or two years of
Kerncijfers so a build takes seconds; :func:`rename` gives units and versions other names,
written through the register (checksum included) as a user's edit in QGIS would arrive.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
from helpers import copy_repo

TEMPLATE_EVAL = "{{7*7}}"
TEMPLATE_VERSION = "V{{ 6*7 }}"
TEMPLATE_LOOP = "{% for i in range(3) %}x{% endfor %}"
FORMULAS = ('=HYPERLINK("http://example.invalid/?d="&A1;"klik")', "+1+1", "-2+3",
            "@SUM(1;1)", "=1+1")


def file_payload(marker: Path) -> str:
    """A name that, compiled as a Jinja2 template, runs a shell command creating ``marker``."""
    return "{{ cycler.__init__.__globals__.os.system('touch " + str(marker) + "') }}"


def small_repo(dest: Path, years: tuple[int, ...] = (2020,)) -> Path:
    """A copy of the sample atlas repository with Kerncijfers of ``years`` only and without
    the survey and partner registers (so a build takes seconds)."""
    import tomllib

    import tomli_w

    copy_repo(dest)
    for table in (dest / "layers" / "kerncijfers").glob("kerncijfers_*_GM0797.csv"):
        if int(re.search(r"_(\d{4})_", table.name).group(1)) not in years:
            table.unlink()
    config = dest / "layers" / "atlas.toml"  # CBS figures only: no survey, no registers
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    for key in ("survey", "records"):
        raw.pop(key, None)
    config.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return dest


def rename(root: Path, version_id: str, names: dict[str, str] | None = None,
           version_name: str | None = None) -> None:
    """Give units (by code) and the version other names, keeping it valid and published."""
    from geo import register

    version = register.load_version(root, version_id)
    units = version.units.copy()
    if names:
        units["name"] = [names.get(c, n) for c, n in zip(units["code"], units["name"],
                                                         strict=True)]
    meta = dict(version.meta)
    if version_name is not None:
        meta["name"] = version_name
    shutil.rmtree(version.path)
    register._write_version(root, meta, units)


def html_data(page: Path) -> dict:
    """The JSON data block of a wijkatlas page, as the page's script reads it."""
    text = page.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="wijkatlas-data">(.*?)</script>',
                      text, re.S)
    assert match, f"no data block in {page}"
    return json.loads(match.group(1))


def xlsx_cells(path: Path) -> list:
    """Every cell of every sheet of an .xlsx (openpyxl cells, with data_type)."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def read_csv_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def reseal(root: Path, version_id: str) -> None:
    """Recompute a version's checksum after its files were edited by hand (as a user with a
    text editor and this function's knowledge could), so other checks are what is tested."""
    import tomllib

    from geo.register import META_FILE, UNITS_FILE, _checksum

    folder = Path(root) / "boundaries" / version_id
    text = (folder / META_FILE).read_text(encoding="utf-8")
    meta = tomllib.loads(text)
    records = meta.pop("unit", [])
    new = _checksum(meta, records, (folder / UNITS_FILE).read_text(encoding="utf-8"))
    text = re.sub(r'^checksum = ".*"$', f'checksum = "{new}"', text, count=1, flags=re.M)
    (folder / META_FILE).write_text(text, encoding="utf-8")


CLI = "import sys; from geo.cli import app; sys.argv[0] = 'wijkatlas'; app()"


def cli(*args: str, root: Path | None = None, env: dict | None = None, **kwargs):
    """Run the command line in a fresh Python (the package of this checkout), capturing."""
    import os
    import subprocess
    import sys

    full = {**os.environ, **(env or {})}
    if root is not None:
        full["WIJKATLAS_ROOT"] = str(root)
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          env=full, cwd=Path(__file__).resolve().parents[1], **kwargs)


def build_hostile(tmp: Path) -> dict:
    """Build (with maps) a one-year sample atlas whose wijken, versions and page title carry
    template and formula payloads, recording every source Jinja2 compiles meanwhile."""
    import jinja2
    import pytest

    from geo.atlas import build_atlas

    root = small_repo(tmp / "repo")
    marker = tmp / "pwned"
    names = {"W01": TEMPLATE_EVAL, "W02": TEMPLATE_LOOP,
             "W03": file_payload(marker)}
    names.update({f"W{4 + i:02d}": f for i, f in enumerate(FORMULAS)})
    rename(root, "2016", names, version_name="V{{ 7*6 }}b")
    rename(root, "2020", names, version_name=TEMPLATE_VERSION)
    spec = root / "maps" / "atlas.toml"
    spec.write_text(spec.read_text(encoding="utf-8").replace(
        'title = "Wijkatlas Heusden"', 'title = "Wijkatlas {{7*7}}"'), encoding="utf-8")
    compiled: list[str] = []
    original = jinja2.Environment.compile

    def spy(self, source, *args, **kwargs):
        compiled.append(str(source))
        return original(self, source, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(jinja2.Environment, "compile", spy)
        build_atlas(root, tmp / "build", maps=True)
    return {"root": root, "out": tmp / "build", "names": names, "marker": marker,
            "compiled": compiled, "tmp": tmp}
