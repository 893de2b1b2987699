"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by Playwright.

No browser is downloaded: Playwright is pointed at ``/usr/bin/chromium`` (``make test``
installs it). When it is missing the tests fail under CI and are skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WIJKATLAS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"{why}: CI must run the browser tests (make test installs chromium).")
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"{CHROMIUM} not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = {"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}


class Page:
    """An offline page with its console errors, JavaScript errors and dialogs recorded.

    ``size`` is the viewport; ``ready`` waits for the map to be drawn (pages without a map,
    such as a wijkprofiel, pass ``False``).
    """

    def __init__(self, browser, url: str, *, offline: bool = True,
                 size: tuple[int, int] = (1280, 800), ready: bool = True) -> None:
        self.context = browser.new_context(offline=offline,
                                           viewport={"width": size[0], "height": size[1]})
        self.requests: list[str] = []

        def block(route):  # nothing but the file itself may be loaded
            self.requests.append(route.request.url)
            route.abort()

        self.context.route(lambda url: not url.startswith("file:"), block)
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.js_errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.js_errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        if ready:
            self.page.wait_for_function("window.wijkatlas && window.wijkatlas.ready",
                                        timeout=20_000)

    @property
    def errors(self) -> list[str]:
        """Console and JavaScript errors together."""
        return self.console_errors + self.js_errors

    def axe(self) -> list[dict]:
        """axe-core's violations that fail WCAG 2.x A/AA or are serious or critical."""
        if not AXE.exists():
            _missing("axe-core not installed (cd tests/browser && npm ci)")
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate("""async () => (await axe.run(document)).violations.map(v =>
            ({id: v.id, impact: v.impact, tags: v.tags, help: v.help,
              nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        return [v for v in found if v["impact"] in ("serious", "critical")
                or WCAG_TAGS & set(v["tags"])]

    def shot(self, name: str) -> Path:
        """A screenshot in tests/artifacts (kept by CI)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    """Open a page (file:// URL) offline; closed after the test."""
    pages: list[Page] = []

    def _open(url: str, **kw) -> Page:
        pages.append(Page(browser, url, **kw))
        return pages[-1]

    yield _open
    for p in pages:
        p.close()
