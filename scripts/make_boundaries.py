"""Reconstruct Heusden's own wijkindeling versions 2016 and 2020 in ``boundaries/``.

Both are illustrative reconstructions (no public record of Heusden's own division exists
here): 2016 assigns the 17 CBS buurten of 2016 to 14 wijken; 2020 is drafted from 2016 and
carves "Geerpark/de Grassen" out of Vliedberg as a drawn polygon. Run once; published versions
are never rewritten (the script refuses if they exist).
"""

from __future__ import annotations

import sys
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.register import (  # noqa: E402
    carve_unit,
    create_from_buurten,
    draft_version,
    publish_version,
)
from geo.sources import load_cbs_buurten  # noqa: E402

NOTE = ("Illustratieve reconstructie door wijkatlas: geen officiele wijkindeling van de "
        "gemeente Heusden. ")
WIJKEN_2016 = {
    "W01": ("Centrum Drunen", ["BU07970103"]),
    "W02": ("Braken Oost", ["BU07970102"]),
    "W03": ("Braken West", ["BU07970101"]),
    "W04": ("Venne Oost", ["BU07970105"]),
    "W05": ("Venne West", ["BU07970104"]),
    "W06": ("Vlijmen Dorp", ["BU07970502"]),
    "W07": ("Vijfhoeven", ["BU07970501"]),
    "W08": ("Vliedberg", ["BU07970503"]),
    "W09": ("Elshout", ["BU07970200"]),
    "W10": ("Nieuwkuijk", ["BU07970400"]),
    "W11": ("Haarsteeg", ["BU07970300"]),
    "W12": ("Vesting Heusden", ["BU07971000"]),
    "W13": ("Oudheusden", ["BU07971100"]),
    "W14": ("Andere kernen", ["BU07970600", "BU07970700", "BU07970800", "BU07970900"]),
}
#: Drawn outline of Geerpark/de Grassen: the part of Vliedberg in this box (EPSG:28992).
GEERPARK_BOX = (141700, 410700, 143300, 411900)


def main() -> None:
    buurten = load_cbs_buurten(ROOT / "layers" / "cbs" / "cbs_buurten_2016_GM0797.geojson")
    create_from_buurten(
        ROOT, "2016", name="Wijkindeling Heusden 2016 (14 wijken)", valid_from="2016-01-01",
        buurten=buurten, assignment=WIJKEN_2016, gemeente="GM0797",
        description=NOTE + "14 wijken als unie van de CBS-buurten 2016.")
    publish_version(ROOT, "2016")
    draft_version(ROOT, "2020", "2016", name="Wijkindeling Heusden 2020 (15 wijken)",
                  valid_from="2020-01-01",
                  description=NOTE + "Geerpark/de Grassen als 15e wijk afgesplitst van "
                  "Vliedberg (getekende grens).")
    vliedberg = buurten.set_index("code").geometry["BU07970503"]
    geerpark = shapely.intersection(vliedberg, shapely.box(*GEERPARK_BOX))
    carve_unit(ROOT, "2020", "W15", "Geerpark/de Grassen", geerpark)
    publish_version(ROOT, "2020")


if __name__ == "__main__":
    main()
