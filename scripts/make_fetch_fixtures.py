"""Build the recorded-response fixtures of tests/fixtures/fetch/ (run from the repository root).

PDOK responses: the buurt polygons and their code/name/id properties are the real CBS files
of ``layers/cbs/`` (Heusden 2022, Loon op Zand 2012 and 2013); they are wrapped in the
response documents of the services (OGC API Features items pages with ``links``, WFS 2.0
GeoJSON FeatureCollections with ``numberMatched``/``numberReturned``) under each service's
property names. StatLine responses: the OData v3 documents ``cbsodata`` reads (``index``,
``TableInfos``, ``UntypedDataSet``, ``DataProperties``, ``CategoryGroups``,
``WijkenEnBuurten``), with the tables' column keys and CBS's padded untyped cells; the
figures are SYNTHETIC (Heusden 2022 from the synthetic sample in ``layers/kerncijfers/``,
2023 derived from it, Loon op Zand seeded random), the wijk names of Heusden are real (CBS
wijken 2024). Seeded: rerunning gives the same files.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CBS = ROOT / "layers" / "cbs"
OUT = ROOT / "tests" / "fixtures" / "fetch"
ODATA = "https://opendata.cbs.nl/ODataFeed/odata"

# StatLine column keys per table convention (the catalog resolves them without the suffix).
KEYS_2022 = {  # 85318NED / 85618NED / 85984NED convention
    "AANT_INW": "AantalInwoners_5", "AANT_MAN": "Mannen_6", "AANT_VROUW": "Vrouwen_7",
    "A_00_14": "k_0Tot15Jaar_8", "A_15_24": "k_15Tot25Jaar_9", "A_25_44": "k_25Tot45Jaar_10",
    "A_45_64": "k_45Tot65Jaar_11", "A_65_OO": "k_65JaarOfOuder_12",
    "AANTAL_HH": "HuishoudensTotaal_29", "P_EENP_HH": "Eenpersoonshuishoudens_30",
    "GEM_HH_GR": "GemiddeldeHuishoudensgrootte_33", "BEV_DICHTH": "Bevolkingsdichtheid_34",
    "WONINGEN": "Woningvoorraad_35", "WOZ": "GemiddeldeWOZWaardeVanWoningen_39",
    "P_KOOPWON": "Koopwoningen_47", "P_HUURWON": "HuurwoningenTotaal_48",
    "A_BEDV": "BedrijfsvestigingenTotaal_95",
}
COUNTS = {"AANT_INW", "AANT_MAN", "AANT_VROUW", "A_00_14", "A_15_24", "A_25_44", "A_45_64",
          "A_65_OO", "AANTAL_HH", "P_EENP_HH", "WONINGEN", "A_BEDV"}
KEYS_2013 = {  # 82339NED convention (and, constructed, 70904NED)
    "AANT_INW": "AantalInwoners_5", "AANT_MAN": "Mannen_6", "AANT_VROUW": "Vrouwen_7",
    "A_00_14": "k_0Tot15Jaar_8", "A_15_24": "k_15Tot25Jaar_9", "A_25_44": "k_25Tot45Jaar_10",
    "A_45_64": "k_45Tot65Jaar_11", "A_65_OO": "k_65JaarOfOuder_12",
    "AANTAL_HH": "HuishoudensTotaal_28", "GEM_HH_GR": "GemiddeldeHuishoudensgrootte_32",
    "BEV_DICHTH": "Bevolkingsdichtheid_33", "WONINGEN": "Woningvoorraad_34",
    "WOZ": "GemiddeldeWoningwaarde_35", "P_KOOPWON": "Koopwoningen_40",
}


def dump(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def real(name: str) -> list[dict]:
    return json.loads((CBS / name).read_text(encoding="utf-8"))["features"]


def pad(value, width: int = 10) -> str:
    if isinstance(value, str):
        return value.rjust(width)
    if isinstance(value, float) and not float(value).is_integer():
        return f"{value:.1f}".rjust(width)
    return str(int(value)).rjust(width)


# --- PDOK -------------------------------------------------------------------------------------


def ogcapi_2023_heusden() -> None:
    """Two OGC API items pages (10 + 7 buurten) of wijken-en-buurten-2023 for GM0797.

    Geometry: the real generalised 2022 polygons (the 2023 buurt division of Heusden has the
    same 17 codes and names); properties under the 2023 service's names."""
    base = "https://api.pdok.nl/cbs/wijken-en-buurten-2023/ogc/v1/collections/buurten/items"
    feats = []
    for i, f in enumerate(real("cbs_buurten_2022_GM0797.geojson")):
        p = f["properties"]
        code = p["statcode"]
        feats.append({"type": "Feature", "id": 30000 + i, "geometry": f["geometry"],
                      "properties": {
                          "buurtcode": code, "buurtnaam": p["statnaam"],
                          "wijkcode": "WK" + code[2:8], "gemeentecode": "GM0797",
                          "gemeentenaam": "Heusden", "jrstatcode": "2023" + code,
                          "jaar": 2023, "water": "NEE",
                          "indelingswijziging_wijken_en_buurten": 1,
                          "meest_voorkomende_postcode": None, "dekkingspercentage": None}})
    cursor = "Aw4AAAACCw"
    pages = [feats[:10], feats[10:]]
    for n, page in enumerate(pages, start=1):
        links = [{"rel": "self", "type": "application/geo+json", "title": "This document",
                  "href": f"{base}?f=json&gemeentecode=GM0797"}]
        if n == 1:
            links.append({"rel": "next", "type": "application/geo+json", "title": "Next page",
                          "href": f"{base}?cursor={cursor}&f=json&gemeentecode=GM0797"
                                  "&limit=10"})
        dump(OUT / "pdok" / f"ogcapi_2023_GM0797_p{n}.json", {
            "type": "FeatureCollection", "timeStamp": "2026-11-30T12:00:00Z",
            "links": links, "numberReturned": len(page), "features": page})


def wfs(name: str, source: str, year: int, layer: str, props) -> None:
    feats = []
    for f in real(source):
        p = f["properties"]
        fid = p.get("FID") or f"{layer}.{uuid.uuid5(uuid.NAMESPACE_URL, p['statcode'])}"
        feats.append({"type": "Feature", "id": fid, "geometry": f["geometry"],
                      "geometry_name": "geom", "properties": props(p)})
    dump(OUT / "pdok" / name, {
        "type": "FeatureCollection", "numberMatched": len(feats),
        "numberReturned": len(feats), "timeStamp": "2026-11-30T12:00:00Z",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
        "features": feats})


def wfs_fixtures() -> None:
    wfs("wfs_wijkenbuurten_2022_GM0797.json", "cbs_buurten_2022_GM0797.geojson", 2022,
        "buurten", lambda p: {
            "buurtcode": p["statcode"], "buurtnaam": p["statnaam"],
            "wijkcode": "WK" + p["statcode"][2:8], "gemeentecode": "GM0797",
            "gemeentenaam": "Heusden", "indelingswijziging_wijken_en_buurten": 1,
            "water": "NEE"})
    for year in (2012, 2013):
        wfs(f"wfs_gebiedsindelingen_{year}_GM0809.json", f"cbs_buurten_{year}_GM0809.geojson",
            year, "buurt_gegeneraliseerd", lambda p: {
                k: p[k] for k in ("id", "statcode", "jrstatcode", "statnaam", "rubriek")})


# --- StatLine ---------------------------------------------------------------------------------


def statline_table(table: str, title: str, period: str, rows: list[dict],
                   regions: list[tuple[str, str]], keys: list[str]) -> None:
    d = OUT / "statline" / table
    meta = f"{ODATA}/{table}/$metadata"
    names = ["TableInfos", "UntypedDataSet", "TypedDataSet", "DataProperties",
             "CategoryGroups", "WijkenEnBuurten"] + (["Perioden"] if period else [])
    dump(d / "index.json", {"odata.metadata": meta, "value": [
        {"name": n, "url": f"{ODATA}/{table}/{n}"} for n in names]})
    dump(d / "TableInfos.json", {"odata.metadata": meta + "#Cbs.OData.TableInfos", "value": [
        {"ID": 0, "Title": title, "Identifier": table, "Period": period[:4] or title[-4:],
         "Summary": "Fixture van wijkatlas: opbouw als StatLine, cijfers SYNTHETISCH"}]})
    dump(d / "DataProperties.json", {"odata.metadata": meta + "#Cbs.OData.DataProperties",
                                     "value": [{"ID": i, "Key": k, "Type": "Topic",
                                                "Title": k} for i, k in enumerate(keys)]})
    dump(d / "CategoryGroups.json", {"odata.metadata": meta + "#Cbs.OData.CategoryGroups",
                                     "value": []})
    dump(d / "WijkenEnBuurten.json", {"odata.metadata": meta + "#Cbs.OData.WijkenEnBuurten",
                                      "value": [{"Key": c, "Title": n, "Description": None,
                                                 "DetailRegionCode": c} for c, n in regions]})
    if period:
        dump(d / "Perioden.json", {"odata.metadata": meta + "#Cbs.OData.Perioden",
                                   "value": [{"Key": period, "Title": period[:4],
                                              "Description": None, "Status": "Definitief"}]})
    dump(d / "UntypedDataSet.json", {"odata.metadata": meta + "#Cbs.OData.UntypedDataSet",
                                     "value": rows})


def heusden_rows(sample: pd.DataFrame, factor: np.ndarray, gemeentenaam: str, wijken, year: int):
    rows = []
    regions = []
    for i, (code, name) in enumerate(wijken):
        regions.append((code, name))
        rows.append({"ID": 11000 + i, "WijkenEnBuurten": code,
                     "Gemeentenaam_1": gemeentenaam.ljust(40), "SoortRegio_2": "Wijk".ljust(10),
                     "Codering_3": code.ljust(10), "IndelingswijzigingWijkenEnBuurten_4": "1",
                     **{k: "       ." for k in KEYS_2022.values()}})
    for i, rec in enumerate(sample.itertuples(index=False)):
        code = rec.BU_CODE
        regions.append((code, rec.BU_NAAM))
        row = {"ID": 12000 + i, "WijkenEnBuurten": code,
               "Gemeentenaam_1": gemeentenaam.ljust(40), "SoortRegio_2": "Buurt".ljust(10),
               "Codering_3": code.ljust(10), "IndelingswijzigingWijkenEnBuurten_4": "1"}
        for ours, key in KEYS_2022.items():
            value = getattr(rec, ours)
            if ours == "P_EENP_HH":  # StatLine 2022+ gives the number of one-person households
                value = float(value) * float(rec.AANTAL_HH) / 100
            if pd.isna(value) or float(value) <= -99990:
                row[key] = "       ."
            elif ours in COUNTS:
                row[key] = pad(round(float(value) * factor[i]))
            else:
                row[key] = pad(float(value))
        rows.append(row)
    for wijk in rows[:len(wijken)]:  # wijk rows: the sum of their buurten for the counts
        members = [r for r in rows if r["Codering_3"].startswith("BU" + wijk["Codering_3"][2:8])]
        for ours, key in KEYS_2022.items():
            cells = [r[key].strip() for r in members]
            if ours in COUNTS and cells and "." not in cells:
                wijk[key] = pad(sum(int(c) for c in cells))
    return rows, regions


def statline_fixtures() -> None:
    rng = np.random.default_rng(20231130)
    sample = pd.read_csv(ROOT / "layers" / "kerncijfers" / "kerncijfers_2022_GM0797.csv",
                         dtype={"BU_CODE": str})
    wijken = [(f["properties"]["statcode"], f["properties"]["statnaam"])
              for f in real("cbs_wijken_2024_GM0797.geojson")]
    rows, regions = heusden_rows(sample, np.ones(len(sample)), "Heusden", wijken, 2022)
    statline_table("85318NED", "Kerncijfers wijken en buurten 2022", "", rows, regions,
                   list(KEYS_2022.values()))
    growth = 1 + rng.normal(0.01, 0.01, len(sample))
    rows, regions = heusden_rows(sample, growth, "Heusden", wijken, 2023)
    statline_table("85618NED", "Kerncijfers wijken en buurten 2023", "", rows, regions,
                   list(KEYS_2022.values()))
    for year, table, period in ((2013, "82339NED", ""), (2012, "70904NED", "2012JJ00")):
        feats = real(f"cbs_buurten_{year}_GM0809.geojson")
        n = len(feats)
        people = rng.dirichlet(np.full(n, 1.5)) * (23_100 if year == 2013 else 23_000)
        rows, regions = [], []
        for i, f in enumerate(feats):
            p = f["properties"]
            code, inw = p["statcode"], int(round(people[i]))
            if "industrieterrein" in p["statnaam"].lower() or "bedrijventerrein" in \
                    p["statnaam"].lower():
                inw = int(rng.integers(5, 45))  # business parks: few inhabitants
            regions.append((code, p["statnaam"]))
            small = inw < 50
            man = int(round(inw * rng.uniform(0.48, 0.52)))
            ages = rng.dirichlet([16, 12, 24, 30, 18]) * inw
            ages = np.floor(ages).astype(int)
            hh = int(round(inw / rng.uniform(2.2, 2.6)))
            row = {"ID": 5000 + i, "WijkenEnBuurten": code,
                   "Gemeentenaam_1": "Loon op Zand".ljust(40),
                   "SoortRegio_2": "Buurt".ljust(10), "Codering_3": code.ljust(10),
                   "IndelingswijzigingWijkenEnBuurten_4": "1"}
            if period:
                row = {"ID": row["ID"], "WijkenEnBuurten": code, "Perioden": period,
                       **{k: v for k, v in row.items() if k not in ("ID", "WijkenEnBuurten")}}
            vals = {"AANT_INW": inw, "AANT_MAN": man, "AANT_VROUW": inw - man,
                    "A_00_14": ages[0], "A_15_24": ages[1], "A_25_44": ages[2],
                    "A_45_64": ages[3], "A_65_OO": ages[4], "AANTAL_HH": hh,
                    "GEM_HH_GR": round(inw / max(hh, 1), 1),
                    "BEV_DICHTH": int(rng.integers(20, 4000)),
                    "WONINGEN": int(hh * rng.uniform(1.0, 1.05)),
                    "WOZ": int(rng.integers(180, 320)), "P_KOOPWON": int(rng.integers(40, 85))}
            for ours, key in KEYS_2013.items():
                withheld = small and ours in ("GEM_HH_GR", "WOZ", "P_KOOPWON")
                row[key] = "       ." if withheld else pad(vals[ours])
            rows.append(row)
        title = ("Kerncijfers wijken en buurten 2013" if year == 2013
                 else "Kerncijfers wijken en buurten 2009-2012")
        statline_table(table, title, period, rows, regions, list(KEYS_2013.values()))


def main() -> None:
    ogcapi_2023_heusden()
    wfs_fixtures()
    statline_fixtures()
    print(f"fixtures written to {OUT}")


if __name__ == "__main__":
    main()
