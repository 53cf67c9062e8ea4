"""Headless Chromium (Debian's), for screenshots of the screens we draw and for recordings.

Screens are HTML rendered from what is in the tree; the same HTML always gives the same
picture, so each distinct screen is taken once and kept by the hash of its HTML.
"""

import hashlib
from pathlib import Path

from playwright.sync_api import Browser, Playwright

from scripts.video.config import PAGE_HEIGHT, PAGE_WIDTH

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",
]
VIEWPORT = {"width": PAGE_WIDTH, "height": PAGE_HEIGHT}


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Camera:
    """Takes a picture of an HTML page at the video's page size."""

    def __init__(self, browser: Browser, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        # Nothing we draw loads anything: a request would make the picture depend on it.
        self._page.route("**/*", lambda route: route.abort())

    def shoot(self, html: str) -> Path:
        path = self._folder / f"{hashlib.sha256(html.encode()).hexdigest()[:20]}.png"
        if not path.exists():
            self._page.set_content(html)
            self._page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self._page.close()
