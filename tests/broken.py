"""Broken files a user could give any command: built once per test session.

Each file is small but "telling": it is broken the way a real one is (an empty export, a CSV
renamed to .xlsx, a truncated download, a GeoPackage that is not one, a table of NUL bytes).
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from tests.helpers import CBS, REPO

#: Bytes of NUL after the header of the "1 GiB of NUL bytes" case, scaled down: still far
#: more than the reader may look at (1 MiB), so reading it whole would show in time/memory.
NUL_BYTES = 48 * 1024 * 1024


def good_inputs(folder: Path) -> dict[str, Path]:
    """A working set: 2019 buurten (source), the 2020 wijken (target), their values."""
    folder.mkdir(parents=True, exist_ok=True)
    src = gpd.read_file(CBS / "cbs_buurten_2019_GM0797.geojson")[["statcode", "statnaam",
                                                                   "geometry"]]
    src.to_file(folder / "src.gpkg")
    tgt = gpd.read_file(REPO / "boundaries" / "2020" / "units.geojson")[["code", "name",
                                                                          "geometry"]]
    tgt.to_file(folder / "tgt.gpkg")
    shutil.copy(REPO / "layers" / "kerncijfers" / "kerncijfers_2019_GM0797.csv",
                folder / "values.csv")
    return {"src": folder / "src.gpkg", "tgt": folder / "tgt.gpkg",
            "values": folder / "values.csv"}


def values_frame() -> pd.DataFrame:
    return pd.read_csv(REPO / "layers" / "kerncijfers" / "kerncijfers_2019_GM0797.csv",
                       dtype=str, keep_default_na=False)


def with_cell(folder: Path, name: str, column: str, text: str) -> Path:
    """The good values table with one cell replaced by ``text``."""
    frame = values_frame()
    frame.loc[0, column] = text
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def xlsx_variants(folder: Path) -> dict[str, Path]:
    """A good workbook, a truncated one, a CSV named .xlsx, and one whose zip directory
    claims more than the file holds."""
    good = folder / "good.xlsx"
    values_frame().to_excel(good, index=False)
    data = good.read_bytes()
    (folder / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    shutil.copy(REPO / "layers" / "kerncijfers" / "kerncijfers_2019_GM0797.csv",
                folder / "csv_as.xlsx")
    lying = bytearray(data)
    pos = lying.find(b"PK\x01\x02")  # central directory: claim 2 GiB compressed per entry
    while pos >= 0:
        struct.pack_into("<I", lying, pos + 20, 0x7FFFFFFF)
        pos = lying.find(b"PK\x01\x02", pos + 4)
    (folder / "lying.xlsx").write_bytes(bytes(lying))
    return {name: folder / f"{name}.xlsx" for name in ("good", "truncated", "csv_as", "lying")}


def broken_files(folder: Path) -> dict[str, Path]:
    """The same set of broken files, fed to every command's file arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}

    def put(name: str, data: bytes) -> None:
        (folder / name).write_bytes(data)
        out[name] = folder / name

    put("empty.csv", b"")
    put("empty.gpkg", b"")
    put("nul.csv", b"BU_CODE,AANT_INW,P_65_EO_JR,WOZ\n" + b"\x00" * (1024 * 1024 + 10))
    put("text.gpkg", b"code,name\nW01,Centrum\n")
    put("corrupt.gpkg", b"SQLite format 3\x00" + b"\x00" * 84 + b"garbage" * 64)
    put("garbage.geojson", b'{"type": "FeatureCollection", "features": [ {"type": "Fea')
    put("latin1.toml", "naam = 'Café'\n".encode("latin-1"))
    put("notes.txt", b"this is not a table of anything\n")
    xl = xlsx_variants(folder)
    out["truncated.xlsx"], out["csv_as.xlsx"] = xl["truncated"], xl["csv_as"]
    good_gpkg = folder / "_good_for_truncation.gpkg"
    gpd.read_file(REPO / "boundaries" / "2020" / "units.geojson").to_file(good_gpkg)
    put("truncated.gpkg", good_gpkg.read_bytes()[:8192])
    good_gpkg.unlink()
    swapped = gpd.read_file(REPO / "boundaries" / "2020" / "units.geojson").to_crs(4326)
    swapped["geometry"] = shapely.transform(swapped.geometry.values, lambda c: c[:, ::-1])
    swapped.to_file(folder / "swapped.geojson")
    out["swapped.geojson"] = folder / "swapped.geojson"
    (folder / "a_folder.gpkg").mkdir()
    out["a_folder.gpkg"] = folder / "a_folder.gpkg"
    out["missing.gpkg"] = folder / "missing.gpkg"
    return out
