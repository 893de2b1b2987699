"""Publications made from the atlas GeoPackage only: wijkprofiel pages, the book, exports.

Enters: ``build/atlas.gpkg`` (``docs/atlas-gpkg.md``). Leaves:

* :func:`build_profiles`: ``build/profiles/<version>/<unit>.html`` (offline, WCAG 2.1 AA);
* :func:`build_book`: ``build/book/wijkatlas_<version>_<edition>.pdf`` and
  ``build/book/<version>/<unit>.pdf`` (WeasyPrint, same templates as the pages);
* :func:`write_trend_exports`: ``trend_<version>.xlsx`` and ``trend_<version>_nl.csv``;
* :mod:`geo.publish.incijfers`: the incijfers / Swing bulk-upload export per version and its
  checker; :mod:`geo.publish.opendata`: open data per level (tidy CSV, GeoPackage, README).

None of them reaches into the engine: they read the hub through :mod:`geo.publish.model`.
"""

from geo.publish.book import build_book
from geo.publish.exports import write_trend_exports
from geo.publish.model import load_edition
from geo.publish.profile import build_profiles

__all__ = ["build_book", "build_profiles", "load_edition", "write_trend_exports"]
