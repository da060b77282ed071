"""One headless Chromium for every browser test, and the cn-banking and uk-fca sites built once.

Chromium is Debian's (``/usr/bin/chromium``, never a downloaded build), driven by Playwright's
Python package over the DevTools protocol; axe-core comes from the npm registry
(``npm ci`` installs it into ``node_modules``). ``.ci/run`` installs all three.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.docgen.site import build_site
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.tools import require, require_module, require_program

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


class Chromium:
    """The shared browser, and a way to start another with its own environment."""

    def __init__(self, playwright: Any, executable: str) -> None:
        self.playwright, self.executable = playwright, executable
        self.browser = self.launch()

    def launch(self, env: dict[str, str] | None = None) -> Any:
        return self.playwright.chromium.launch(
            executable_path=self.executable, args=ARGS, headless=True,
            env={**os.environ, **(env or {})})

    def page(self, viewport: str, url: str, **options: Any) -> Any:
        """A new page (own context) of ``viewport`` showing ``url``, loaded."""
        context = self.browser.new_context(viewport=VIEWPORTS[viewport], **options)
        page = context.new_page()
        page.goto(url, wait_until="load")
        return page


# per module, not per session: sync Playwright runs an event loop in the main thread while it
# is open, and every later test of the process would find that loop running (Django then
# refuses to run an async view: "You cannot use AsyncToSync in the same thread as an async
# event loop")
@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    require_module("playwright", "browser")
    executable = require_program("chromium", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        shared = Chromium(playwright, executable)
        try:
            yield shared
        finally:
            shared.browser.close()


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The cn-banking and uk-fca sites, built strictly (warnings are errors)."""
    out = {}
    for name in ("cn-banking", "uk-fca"):
        folder = tmp_path_factory.mktemp(f"site-{name}")
        status, warnings = build_site(fp.load_bundle(shipped_packs() / name), folder,
                                      strict=True)
        assert status == 0, warnings
        out[name] = folder
    return out


@pytest.fixture(scope="session")
def axe() -> Path:
    found = Path(os.environ.get("FINPOLICY_AXE_JS", ROOT / "node_modules" / "axe-core" /
                                "axe.min.js"))
    require(found.is_file(), f"needs axe-core at {found} (run `npm ci` in {ROOT})")
    return found


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``FINPOLICY_SCREENSHOTS`` if set (CI keeps them), else a
    temporary folder."""
    chosen = os.environ.get("FINPOLICY_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
