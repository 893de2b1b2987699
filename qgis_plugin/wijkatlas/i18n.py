"""Dutch and English user strings, chosen by the QGIS locale.

The strings are data (``data/strings.json``: ``{key: {"nl": ..., "en": ...}}``). The language
is Dutch when the QGIS user locale starts with ``nl`` and English otherwise; the environment
variable ``WIJKATLAS_LANG`` (``nl`` or ``en``) overrides both.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

STRINGS_FILE = Path(__file__).resolve().parent / "data" / "strings.json"
LANGUAGES = ("nl", "en")


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """Return all strings by key, then by language."""
    with open(STRINGS_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def language() -> str:
    """Return ``"nl"`` or ``"en"`` for the current QGIS locale (or ``WIJKATLAS_LANG``)."""
    forced = os.environ.get("WIJKATLAS_LANG", "").strip().lower()[:2]
    if forced in LANGUAGES:
        return forced
    try:
        from qgis.core import QgsSettings
        from qgis.PyQt.QtCore import QLocale

        locale = str(QgsSettings().value("locale/userLocale", "") or QLocale.system().name())
    except ImportError:  # outside QGIS (the build script)
        locale = os.environ.get("LANG", "")
    return "nl" if locale.lower().startswith("nl") else "en"


def tr(key: str, **values: object) -> str:
    """Return the string ``key`` in the current language, with ``{placeholders}`` filled in.

    Parameters
    ----------
    key
        Key in ``data/strings.json``.
    **values
        Values for the placeholders in the string.

    Raises
    ------
    KeyError
        When ``key`` is not in the strings file (a programming error).
    """
    text = strings()[key][language()]
    return text.format(**values) if values else text
