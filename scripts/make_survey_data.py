"""Make the SYNTHETIC respondent files of the sample resident survey (bewonersenquête).

Writes, deterministically (fixed seed), into ``layers/enquete/``:

* ``vragenlijst_<year>.toml``: the questionnaire of each edition (2008, 2011, 2013, 2016,
  2019);
* ``respondenten_<year>.<ext>``: about 2,800 respondents per edition, in the formats a
  research agency delivers: 2008 SPSS with x/y, 2011 CSV (semicolon, Latin-1) with postcode +
  huisnummer + toevoeging, 2013 Excel with the BAG address id, 2016 CSV (comma, UTF-8) with
  x/y, 2019 SPSS with postcode + huisnummer.

How the respondents are made: a synthetic population of that year is drawn at the address
points (``layers/adressen/``; persons per address, ages and sexes per buurt from the sample
Kerncijfers of that year). The sample is drawn per wijk of the 2016 wijkindeling (the one in
force when each edition was held), with more invitations in small wijken so every wijk is
represented (6,300 invitations in all). Response is age-dependent (older people answer more
often, women a little more than men) and comes to about 44 %. Answers depend on the wijk,
age, sex and edition; 2-6 % item non-response ("weet niet" or empty), and a few respondents
have no usable address (empty, or a postcode/address id not in that year's register).

Nothing here is real. Run: ``python scripts/make_survey_data.py`` (a few seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.register import load_version  # noqa: E402
from geo.sources import load_cbs_buurten  # noqa: E402

SEED = 20191
OUT = ROOT / "layers" / "enquete"
EDITIONS = {
    2008: ("sav", "xy"), 2011: ("csv-latin1", "postcode"), 2013: ("xlsx", "address_id"),
    2016: ("csv", "xy"), 2019: ("sav", "postcode"),
}
INVITED = 6300
SYNTHETIC = "synthetische voorbeelddata, geen echte respondenten"

# code, label, theme, kind, scale (answer codes), yes, missing, base, effects
QUESTIONS = [
    dict(code="P_VRIJWIL", label="Doet vrijwilligerswerk",
         theme="verenigingsleven en sociale netwerken", kind="share", valid=[1, 2], yes=[1],
         missing=[9], base=-0.75, wijk=0.35, age=0.25, women=0.10, trend=-0.03,
         text="Heeft u het afgelopen jaar vrijwilligerswerk gedaan? 1 ja, 2 nee, 9 weet niet"),
    dict(code="P_LID_VER", label="Lid van een vereniging",
         theme="verenigingsleven en sociale netwerken", kind="share", valid=[1, 2], yes=[1],
         missing=[9], base=0.0, wijk=0.30, age=-0.10, women=-0.15, trend=-0.04,
         text="Bent u lid van een sport-, muziek- of andere vereniging? 1 ja, 2 nee"),
    dict(code="C_WOONOMG", label="Rapportcijfer woonomgeving", theme="leefbaarheid",
         kind="mean", valid=list(range(1, 11)), missing=[99], base=7.4, wijk=0.35, age=0.15,
         women=0.05, trend=0.02, unit="rapportcijfer (1-10)",
         text="Welk rapportcijfer geeft u uw woonomgeving? 1-10, 99 weet niet"),
    dict(code="P_TEVR_GR", label="Tevreden over het groen in de buurt", theme="leefbaarheid",
         kind="share", valid=[1, 2, 3, 4, 5], yes=[1, 2], missing=[9], base=0.9, wijk=0.45,
         age=0.10, women=0.0, trend=0.03,
         text="Hoe tevreden bent u over het groen? 1 zeer tevreden .. 5 zeer ontevreden"),
    dict(code="P_VERLOED", label="Ervaart verloedering in de buurt", theme="leefbaarheid",
         kind="share", valid=[1, 2, 3], yes=[1], missing=[9], base=-1.4, wijk=-0.5,
         age=-0.1, women=0.05, trend=0.05,
         text="Hoe vaak heeft u last van rommel, vernieling of hondenpoep? 1 vaak 2 soms 3 nooit"),
    dict(code="P_ONVEILIG", label="Voelt zich weleens onveilig in de buurt",
         theme="veiligheid", kind="share", valid=[1, 2, 3], yes=[1, 2], missing=[9],
         base=-1.15, wijk=-0.45, age=-0.05, women=0.45, trend=-0.04,
         text="Voelt u zich weleens onveilig in uw buurt? 1 vaak 2 soms 3 (bijna) nooit"),
    dict(code="P_CONTACT", label="Heeft veel contact met buurtbewoners",
         theme="verenigingsleven en sociale netwerken", kind="share", valid=[1, 2, 3, 4],
         yes=[1, 2], missing=[9], base=-0.2, wijk=0.25, age=0.30, women=0.05, trend=0.0,
         since=2013, text="Hoeveel contact heeft u met buurtbewoners? 1 veel .. 4 geen"),
]
AGE_EFFECT_CLASSES = np.array([18, 25, 45, 65, 75])
#: response propensity by age class 18-24, 25-44, 45-64, 65-74, 75+ (older answer more often)
RESPONSE = np.array([0.22, 0.33, 0.48, 0.62, 0.54])


def _atomic(path: Path, write) -> None:
    """``write(tmp)`` then rename onto ``path`` (geo.atomic: nothing half-written)."""
    from geo.atomic import atomic_path

    with atomic_path(path) as tmp:
        write(tmp)


def population(year: int, rng: np.random.Generator, addresses: gpd.GeoDataFrame
               ) -> pd.DataFrame:
    """Persons of ``year`` at the residential addresses, age and sex per buurt from the
    Kerncijfers of that year (adults only are kept)."""
    pts = addresses[(addresses.bouwjaar <= year) & (addresses.woonfunctie == 1)]
    buurten = load_cbs_buurten(ROOT / f"layers/cbs/cbs_buurten_{year}_GM0797.geojson", year)
    code = "code"
    joined = gpd.sjoin(pts, buurten[[code, "geometry"]], predicate="within", how="left")
    joined = joined[~joined.index.duplicated()]
    kwb = pd.read_csv(ROOT / f"layers/kerncijfers/kerncijfers_{year}_GM0797.csv"
                      ).set_index("BU_CODE")
    persons = joined.loc[joined.index.repeat(joined.personen.clip(lower=0))]
    bu = persons[code].to_numpy()
    ages = kwb[["A_00_14", "A_15_24", "A_25_44", "A_45_64", "A_65_OO"]].clip(lower=0)
    probs = ages.div(ages.sum(axis=1), axis=0).fillna(0.2).reindex(bu).fillna(0.2).to_numpy()
    u = rng.random(len(bu))[:, None]
    cls = (u > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, 4)
    lo = np.array([0, 15, 25, 45, 65])[cls]
    width = np.array([15, 10, 20, 20, 30])[cls]
    age = lo + np.floor(rng.random(len(bu)) ** np.where(cls == 4, 1.6, 1.0) * width)
    men = (kwb.AANT_MAN / (kwb.AANT_MAN + kwb.AANT_VROUW)).reindex(bu).fillna(0.5).to_numpy()
    sex = np.where(rng.random(len(bu)) < men, "man", "vrouw")
    out = pd.DataFrame({"address_id": persons.address_id.to_numpy(),
                        "postcode": persons.postcode.to_numpy(),
                        "huisnummer": persons.huisnummer.to_numpy(),
                        "toevoeging": persons.toevoeging.to_numpy(),
                        "x": persons.geometry.x.to_numpy(), "y": persons.geometry.y.to_numpy(),
                        "kern": persons.kern.to_numpy(), "leeftijd": age, "geslacht": sex})
    return out[out.leeftijd >= 18].reset_index(drop=True)


def draw(year: int, rng: np.random.Generator, people: pd.DataFrame,
         wijken: gpd.GeoDataFrame) -> pd.DataFrame:
    """Invitations per wijk (more in small wijken), age-dependent response, answers."""
    pts = gpd.GeoDataFrame(people, geometry=gpd.points_from_xy(people.x, people.y),
                           crs="EPSG:28992")
    wijk = gpd.sjoin(pts, wijken[["code", "geometry"]], predicate="within", how="left")
    wijk = wijk[~wijk.index.duplicated()]["code"].to_numpy()
    size = pd.Series(wijk).value_counts()
    alloc = np.sqrt(size) / np.sqrt(size).sum() * INVITED
    chosen = []
    for code, k in alloc.items():
        idx = np.flatnonzero(wijk == code)
        chosen.append(rng.choice(idx, size=min(len(idx), int(round(k))), replace=False))
    inv = people.iloc[np.concatenate(chosen)].copy()
    inv["wijk"] = wijk[np.concatenate(chosen)]
    cls = np.searchsorted(AGE_EFFECT_CLASSES, inv.leeftijd.to_numpy(), side="right") - 1
    p = RESPONSE[cls] * np.where(inv.geslacht == "vrouw", 1.08, 0.94)
    resp = inv[rng.random(len(inv)) < p].copy()
    cls = np.searchsorted(AGE_EFFECT_CLASSES, resp.leeftijd.to_numpy(), side="right") - 1
    # a wijk effect per kern (Heusden vesting and the villages differ from Drunen-centrum)
    kern_effect = {"Drunen": -0.2, "Vlijmen": -0.35, "Nieuwkuijk": 0.1, "Haarsteeg": 0.45,
                   "Elshout": 0.5, "Heusden": 0.7, "Oudheusden": 0.4, "Herpt": 0.6,
                   "Hedikhuizen": 0.5, "Heesbeen": 0.55, "Doeveren": 0.5, "Geerpark": -0.6,
                   "buitengebied": 0.3}
    wijk_noise = {w: rng.normal(0, 0.25) for w in sorted(set(resp.wijk.dropna()))}
    effect = resp.kern.map(kern_effect).fillna(0).to_numpy() + \
        resp.wijk.map(wijk_noise).fillna(0).to_numpy()
    age_z = (cls - 2) / 2.0
    women = (resp.geslacht == "vrouw").to_numpy()
    t = (year - 2008) / 3.0
    for q in QUESTIONS:
        if q.get("since", 0) > year:
            continue
        eta = q["base"] + q["wijk"] * effect + q["age"] * age_z + q["women"] * women + \
            q["trend"] * t
        if q["kind"] == "mean":
            value = np.clip(np.round(eta + rng.normal(0, 1.1, len(resp))), 1, 10)
        else:
            yes = rng.random(len(resp)) < 1 / (1 + np.exp(-eta))
            others = [c for c in q["valid"] if c not in q["yes"]]
            value = np.where(yes, rng.choice(q["yes"], len(resp)),
                             rng.choice(others, len(resp))).astype(float)
        nonresp = rng.random(len(resp))
        rate = 0.02 + 0.04 * (cls == 4)  # the oldest skip more items
        value = np.where(nonresp < rate * 0.6, q["missing"][0], value)
        value = np.where((nonresp >= rate * 0.6) & (nonresp < rate), np.nan, value)
        resp[q["code"]] = value
    resp["respondent_id"] = [f"{year}-{i:05d}" for i in range(1, len(resp) + 1)]
    return resp.reset_index(drop=True)


def spoil_locations(resp: pd.DataFrame, how: str, rng: np.random.Generator) -> pd.DataFrame:
    """A few respondents without a usable address, as in real deliveries."""
    k = max(3, len(resp) // 250)
    bad = rng.choice(len(resp), size=2 * k, replace=False)
    empty, unknown = bad[:k], bad[k:]
    resp = resp.copy()
    if how == "xy":
        resp.loc[empty, ["x", "y"]] = np.nan
        resp.loc[unknown, "x"] = resp.loc[unknown, "x"] + 60_000  # geocoded outside Heusden
    elif how == "postcode":
        resp.loc[empty, ["postcode", "huisnummer", "toevoeging"]] = ["", np.nan, ""]
        resp.loc[unknown, "postcode"] = "5151ZZ"  # not in the register
    else:
        resp.loc[empty, "address_id"] = ""
        resp.loc[unknown, "address_id"] = "0797209999999999"
    return resp


def write_questionnaire(year: int) -> None:
    lines = [f"# Vragenlijst bewonersenquête Heusden {year}: SYNTHETISCH voorbeeld (geo.survey).",
             "# Een [[question]] per vraag; `code` is de kolom in het respondentbestand.",
             f"edition = {year}", f'title = "Bewonersenquête {year} (synthetisch)"', ""]
    for q in QUESTIONS:
        if q.get("since", 0) > year:
            continue
        lines += ["[[question]]", f'code = "{q["code"]}"', f'label = "{q["label"]}"',
                  f'theme = "{q["theme"]}"', f'kind = "{q["kind"]}"']
        if q["kind"] == "share":
            lines.append(f"yes = {q['yes']}")
        lines += [f"valid = {q['valid']}", f"missing = {q['missing']}"]
        if "unit" in q:
            lines.append(f'unit = "{q["unit"]}"')
        lines += [f'description = "{q["text"]}"', ""]
    text = "\n".join(lines)
    _atomic(OUT / f"vragenlijst_{year}.toml", lambda p: p.write_text(text, encoding="utf-8"))


def write_respondents(year: int, resp: pd.DataFrame, fmt: str, how: str) -> Path:
    codes = [q["code"] for q in QUESTIONS if q.get("since", 0) <= year]
    loc = {"xy": ["x", "y"], "postcode": ["postcode", "huisnummer", "toevoeging"],
           "address_id": ["address_id"]}[how]
    frame = resp[["respondent_id", *loc, "leeftijd", "geslacht", *codes]].copy()
    frame["leeftijd"] = frame["leeftijd"].astype(int)
    if how == "xy":
        frame[["x", "y"]] = frame[["x", "y"]].round(1)
    frame["bron"] = SYNTHETIC
    if fmt == "sav":
        import pyreadstat

        frame["geslacht"] = np.where(frame.geslacht == "man", 1, 2)
        frame["respondent_id"] = frame["respondent_id"].str.replace("-", "").astype(int)
        path = OUT / f"respondenten_{year}.sav"
        labels = {"geslacht": {1: "man", 2: "vrouw"}}
        for q in QUESTIONS:
            if q["code"] in frame:
                labels[q["code"]] = {float(m): "weet niet" for m in q["missing"]}
        _atomic(path, lambda p: pyreadstat.write_sav(
            frame, str(p), file_label=f"Bewonersenquete Heusden {year} SYNTHETISCH",
            variable_value_labels=labels))
    elif fmt == "xlsx":
        path = OUT / f"respondenten_{year}.xlsx"
        frame["geslacht"] = np.where(frame.geslacht == "man", "man", "vrouw")
        _atomic(path, lambda p: frame.to_excel(p, index=False, sheet_name="respondenten"))
    elif fmt == "csv-latin1":
        frame["geslacht"] = np.where(frame.geslacht == "man", "M", "V")
        frame["bron"] = "synthetisch; geen échte respondenten"
        path = OUT / f"respondenten_{year}.csv"
        _atomic(path, lambda p: frame.to_csv(p, sep=";", index=False, encoding="latin-1",
                                             lineterminator="\n", float_format="%g"))
    else:
        path = OUT / f"respondenten_{year}.csv"
        _atomic(path, lambda p: frame.to_csv(p, index=False, lineterminator="\n",
                                             float_format="%g"))
    return path


def main() -> None:
    addresses = pyogrio.read_dataframe(ROOT / "layers/adressen/adressen_GM0797.gpkg",
                                       layer="adressen")
    wijken = load_version(ROOT, "2016").units
    for year, (fmt, how) in EDITIONS.items():
        rng = np.random.default_rng([SEED, year])
        people = population(year, rng, addresses)
        resp = spoil_locations(draw(year, rng, people, wijken), how, rng)
        write_questionnaire(year)
        path = write_respondents(year, resp, fmt, how)
        print(f"{year}: {len(people)} adults, {len(resp)} respondents -> {path.name}")


if __name__ == "__main__":
    main()
