"""Keep untrusted text out of Jinja2: slots filled after folium/branca have rendered.

branca compiles the text of every ``Element`` (and the output of every ``MacroElement``
macro) as a Jinja2 template, so text that reaches branca is *code*: a wijk named ``{{7*7}}``
would show as ``49`` and a name built from Jinja2's globals could run a command. Nothing
from data files may therefore reach folium or branca. Pages are rendered with slot markers
(``wijkatlas-slot-<nonce>-<n>``, constant text that Jinja2 leaves alone) and the real text is
put in afterwards by :meth:`Slots.fill`, in one pass, so inserted text is never scanned
again, never compiled and never substituted into.
"""

from __future__ import annotations

import re
import secrets

__all__ = ["Slots"]


class Slots:
    """Placeholders for text that must not be compiled as a template.

    Examples
    --------
    >>> slots = Slots()
    >>> skeleton = f"<title>{slots.put('{{7*7}}')}</title>"   # goes through branca
    >>> slots.fill(skeleton)
    '<title>{{7*7}}</title>'
    """

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._texts: list[str] = []
        self._pattern = re.compile(rf"wijkatlas-slot-{self._nonce}-(\d+)\b")

    def put(self, text: str) -> str:
        """A marker for ``text``; put the marker (never ``text``) into branca elements."""
        self._texts.append(str(text))
        return f"wijkatlas-slot-{self._nonce}-{len(self._texts) - 1}"

    def fill(self, rendered: str) -> str:
        """Replace every marker in ``rendered`` by its text (each marker exactly once)."""
        seen: list[int] = []

        def text_of(match: re.Match) -> str:
            seen.append(int(match.group(1)))
            return self._texts[int(match.group(1))]

        out = self._pattern.sub(text_of, rendered)
        if sorted(seen) != list(range(len(self._texts))):
            raise RuntimeError("a page slot was lost or duplicated while rendering")
        return out
