"""Write every publication of an atlas at once: wijkprofiel pages and the book.

Used by ``wijkatlas build`` (inside the build's transaction folder) and by
``wijkatlas publish`` (on an existing atlas).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from geo.publish.book import build_book
from geo.publish.model import load_edition, versions_of
from geo.publish.profile import build_profiles


def publish(atlas: str | Path, out: str | Path, *, versions: Iterable[str] | None = None,
            edition: int | None = None, book: bool = True,
            progress: Callable[[int, int], None] | None = None) -> tuple[list[Path], list[Path]]:
    """Write ``out/profiles/<version>/`` and (with ``book``) ``out/book/`` from ``atlas``.

    Returns
    -------
    The written pages and PDFs. Each version is read once and shared by both.
    """
    atlas, out = Path(atlas), Path(out)
    ids = list(versions) if versions is not None else versions_of(atlas)
    editions = {v: load_edition(atlas, v, edition) for v in ids}
    pages = build_profiles(atlas, out / "profiles", versions=ids, editions=editions,
                           book="book" if book else None)
    pdfs = build_book(atlas, out / "book", versions=ids, editions=editions,
                      progress=progress) if book else []
    return pages, pdfs


__all__ = ["publish"]
