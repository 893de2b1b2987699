"""Make the SYNTHETIC sample record files of the partner registers (gemeente Heusden, GM0797).

Writes, deterministically (fixed seed), from the synthetic address points in
``layers/adressen/`` (run ``scripts/make_sample_data.py`` first), into ``layers/records/``:

* ``politie_incidenten_<year>.csv`` (2008-2022): police registrations (woninginbraak,
  fietsdiefstal, geweld, overlast) with x/y in RD New, about 1% without coordinates and a few
  just outside the gemeente;
* ``politie_incidenten_pc6.csv``: the same registrations delivered with a PC6 only (some
  empty, some unknown postcodes);
* ``wmo_clienten.csv`` (2015-2022, peildatum 1 januari): Wmo clients by PC6 + huisnummer
  (+ toevoeging) and type of support, with empty and unknown postcodes, house numbers that do
  not exist (placed by their PC6) and numbers written as "12 a";
* ``werklocaties.csv`` (2008-2022, peildatum 1 april): work locations as points with their
  number of jobs (banen) and sector.

Every file says it is synthetic in its ``bron`` column. Nothing here is real.
Run: ``python scripts/make_sample_records.py`` (a few seconds).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "layers" / "records"
ADDRESSES = ROOT / "layers" / "adressen" / "adressen_GM0797.gpkg"
SEED = 7970
YEARS = range(2008, 2023)
BRON = "SYNTHETISCH"  # every row says it: not a real registration
#: Registrations a year: first and last year, linear in between.
POLICE = {"woninginbraak": (130, 55), "fietsdiefstal": (160, 110), "geweld": (170, 140),
          "overlast": (520, 460)}
CENTRES = {"Drunen": 3.0, "Vlijmen": 2.5, "Heusden": 2.0, "Nieuwkuijk": 1.2}
WMO = {2015: 1450, 2016: 1520, 2017: 1580, 2018: 1650, 2019: 1720, 2020: 1760, 2021: 1810,
       2022: 1870}
SUPPORT = (["hulp bij het huishouden", "hulpmiddelen en woonvoorzieningen", "begeleiding"],
           [0.45, 0.35, 0.20])
SECTORS = {"detailhandel": (4, 0.22), "zorg": (15, 0.14), "horeca": (5, 0.10),
           "industrie": (30, 0.14), "zakelijke diensten": (6, 0.25), "onderwijs": (25, 0.05),
           "landbouw": (2, 0.10)}


def _write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".csv")
    os.close(fd)
    try:
        frame.to_csv(tmp, index=False, lineterminator="\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _dates(rng: np.random.Generator, year: int, n: int) -> np.ndarray:
    days = rng.integers(0, 365, n)
    return (np.datetime64(f"{year}-01-01") + days.astype("timedelta64[D]")).astype(str)


def police(rng: np.random.Generator, adr: pd.DataFrame) -> pd.DataFrame:
    rows = []
    span = YEARS[-1] - YEARS[0]
    for year in YEARS:
        now = adr[adr["bouwjaar"] <= year]
        for kind, (first, last) in POLICE.items():
            n = int(round(first + (last - first) * (year - YEARS[0]) / span
                          * rng.uniform(0.9, 1.1)))
            w = np.ones(len(now))
            if kind == "woninginbraak":
                w = now["woonfunctie"].to_numpy(dtype=float) + 0.01
            elif kind in ("fietsdiefstal", "geweld"):
                w = now["kern"].map(CENTRES).fillna(0.6).to_numpy()
            pick = rng.choice(len(now), n, p=w / w.sum())
            at = now.iloc[pick]
            rows.append(pd.DataFrame({
                "datum": _dates(rng, year, n), "soort": kind,
                "x": np.round(at["x"].to_numpy() + rng.normal(0, 6, n)),
                "y": np.round(at["y"].to_numpy() + rng.normal(0, 6, n)),
                "postcode": at["postcode"].to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out = out.sort_values("datum", kind="stable", ignore_index=True)
    out.insert(0, "registratienummer", [f"PL0797-{d[:4]}-{i:06d}" for i, d in
                                        enumerate(out["datum"], start=1)])
    n = len(out)
    no_xy = rng.random(n) < 0.01
    out["x"] = out["x"].astype("Int64").astype("string").where(~no_xy, "")
    out["y"] = out["y"].astype("Int64").astype("string").where(~no_xy, "")
    # a few registered just across the gemeente border (Waalwijk side)
    outside = rng.choice(n, 12, replace=False)
    out.loc[outside, "x"] = "128500"
    out.loc[outside, "y"] = "410500"
    out["bron"] = BRON
    return out


def police_pc6(rng: np.random.Generator, pts: pd.DataFrame) -> pd.DataFrame:
    out = pts[["registratienummer", "datum", "soort", "postcode"]].copy()
    n = len(out)
    u = rng.random(n)
    out["postcode"] = out["postcode"].where(u >= 0.008, "")
    out.loc[(u >= 0.008) & (u < 0.014), "postcode"] = "5159ZZ"  # not a Heusden postcode
    spaced = rng.random(n) < 0.3  # written as "5251 EB"
    out.loc[spaced, "postcode"] = (out.loc[spaced, "postcode"].str[:4] + " "
                                   + out.loc[spaced, "postcode"].str[4:]).str.strip()
    out["bron"] = BRON
    return out


def wmo(rng: np.random.Generator, adr: pd.DataFrame) -> pd.DataFrame:
    res = adr[adr["woonfunctie"] == 1]
    clients = []
    active: pd.DataFrame | None = None
    next_id = 1
    for year, total in WMO.items():
        now = res[res["bouwjaar"] <= year]
        if active is not None:
            active = active[rng.random(len(active)) < 0.72]  # about 3.5 years in care
        keep = 0 if active is None else len(active)
        new = max(total - keep, 0)
        w = now["personen"].to_numpy(dtype=float)
        pick = rng.choice(len(now), new, p=w / w.sum())
        fresh = pd.DataFrame({
            "clientnummer": [f"C{next_id + i:06d}" for i in range(new)],
            "address": now.index.to_numpy()[pick],
            "voorziening": rng.choice(SUPPORT[0], new, p=SUPPORT[1])})
        next_id += new
        active = fresh if active is None else pd.concat([active, fresh], ignore_index=True)
        clients.append(active.assign(peildatum=f"{year}-01-01"))
    out = pd.concat(clients, ignore_index=True)
    at = adr.loc[out["address"]]
    out["postcode"] = at["postcode"].to_numpy()
    out["huisnummer"] = at["huisnummer"].astype(str).to_numpy()
    out["toevoeging"] = at["toevoeging"].fillna("").to_numpy()
    n = len(out)
    u = rng.random(n)
    out.loc[u < 0.005, "postcode"] = ""
    out.loc[(u >= 0.005) & (u < 0.009), "postcode"] = "5260XX"  # unknown postcode
    wrong = (u >= 0.009) & (u < 0.02)  # a number that does not exist: placed by its PC6
    out.loc[wrong, "huisnummer"] = (out.loc[wrong, "huisnummer"].astype(int) + 300).astype(str)
    joined = (u >= 0.02) & (u < 0.05) & (out["toevoeging"] != "")  # "12 a" in one column
    out.loc[joined, "huisnummer"] = (out.loc[joined, "huisnummer"] + " "
                                     + out.loc[joined, "toevoeging"].str.lower())
    out.loc[joined, "toevoeging"] = ""
    out["bron"] = BRON
    return out[["clientnummer", "peildatum", "postcode", "huisnummer", "toevoeging",
                "voorziening", "bron"]]


def jobs(rng: np.random.Generator, adr: pd.DataFrame) -> pd.DataFrame:
    business = adr[adr["woonfunctie"] == 0]
    home = adr[adr["woonfunctie"] == 1].sample(frac=0.04, random_state=SEED)
    sites = pd.concat([business, home])
    n = len(sites)
    names = list(SECTORS)
    p = np.array([SECTORS[s][1] for s in names])
    sector = np.where(np.arange(n) < len(business), rng.choice(names, n, p=p / p.sum()),
                      rng.choice(["zakelijke diensten", "zorg", "detailhandel"], n))
    size = np.array([SECTORS[s][0] for s in sector], dtype=float)
    base = np.maximum(1, np.round(rng.lognormal(np.log(size), 0.8)))
    base[len(business):] = 1
    start = np.maximum(sites["bouwjaar"].to_numpy(), 2008 - rng.integers(0, 30, n))
    start = np.where(rng.random(n) < 0.25, rng.integers(2008, 2023, n), start)
    end = np.where(rng.random(n) < 0.3, rng.integers(2010, 2030, n), 2100)
    rows = []
    for year in YEARS:
        alive = (start <= year) & (end > year)
        drift = np.exp(rng.normal(0.01 * (year - 2008), 0.08, n))
        rows.append(pd.DataFrame({
            "vestigingsnummer": [f"V{i:06d}" for i in np.flatnonzero(alive)],
            "peildatum": f"{year}-04-01", "sector": sector[alive],
            "banen": np.maximum(1, np.round(base[alive] * drift[alive])).astype(int),
            "x": np.round(sites["x"].to_numpy()[alive], 1),
            "y": np.round(sites["y"].to_numpy()[alive], 1)}))
    out = pd.concat(rows, ignore_index=True)
    no_xy = rng.random(len(out)) < 0.005
    out["x"] = out["x"].astype("string").where(~no_xy, "")
    out["y"] = out["y"].astype("string").where(~no_xy, "")
    out["bron"] = BRON
    return out


def main() -> None:
    rng = np.random.default_rng(SEED)
    adr = pyogrio.read_dataframe(ADDRESSES)
    for column in ("postcode", "huisnummer", "toevoeging"):
        if column not in adr:
            sys.exit(f"{ADDRESSES}: no {column} column; run scripts/make_sample_data.py first")
    adr["x"], adr["y"] = adr.geometry.x, adr.geometry.y
    adr = pd.DataFrame(adr.drop(columns="geometry"))
    pts = police(rng, adr)
    for year in YEARS:
        part = pts[pts["datum"].str[:4] == str(year)].drop(columns="postcode")
        _write(part, OUT / f"politie_incidenten_{year}.csv")
    pc6 = police_pc6(rng, pts)
    _write(pc6, OUT / "politie_incidenten_pc6.csv")
    clients = wmo(rng, adr)
    _write(clients, OUT / "wmo_clienten.csv")
    sites = jobs(rng, adr)
    _write(sites, OUT / "werklocaties.csv")
    print(f"politie: {len(pts)} registraties in {len(YEARS)} bestanden (+ PC6-versie); "
          f"wmo: {len(clients)} client-jaren; werklocaties: {len(sites)} vestiging-jaren, "
          f"{int(sites['banen'].sum())} banen")


if __name__ == "__main__":
    main()
