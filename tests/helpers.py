"""Small builders shared by the engine tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parent.parent
CBS = REPO / "layers" / "cbs"


def copy_repo(dest: Path) -> Path:
    """A writable copy of the atlas repository's data (boundaries, layers, maps)."""
    for name in ("boundaries", "layers", "maps"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name)
    return dest


def grid(nx: int, ny: int, size: float = 100.0, prefix: str = "U", x0: float = 140_000.0,
         y0: float = 410_000.0, crs: str = "EPSG:28992") -> gpd.GeoDataFrame:
    """A tessellation of ``nx`` x ``ny`` squares."""
    xs, ys = np.meshgrid(np.arange(nx), np.arange(ny))
    boxes = shapely.box(x0 + xs.ravel() * size, y0 + ys.ravel() * size,
                        x0 + (xs.ravel() + 1) * size, y0 + (ys.ravel() + 1) * size)
    codes = [f"{prefix}{i:03d}" for i in range(len(boxes))]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Unit {c}" for c in codes]},
                            geometry=boxes, crs=crs)


def write(gdf: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    gdf.to_file(path, **kwargs)
    return path
