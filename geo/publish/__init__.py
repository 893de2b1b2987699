"""Publications: everything here reads only the atlas GeoPackage (``build/atlas.gpkg``).

* :mod:`geo.publish.incijfers`: the incijfers / Swing bulk-upload export per version and its
  checker; :mod:`geo.publish.opendata`: open data per level (tidy CSV, GeoPackage, README).
"""
