"""Debian's Chromium driven by Playwright, for the portal's browser tests and its screenshots.

Browsers cannot be downloaded here, so Playwright launches `/usr/bin/chromium` (`apt-get install
chromium`); background networking is off because this machine's network is closed.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM)


@contextmanager
def chromium_page(*, viewport: dict | None = None, timeout_ms: int = 10_000) -> Iterator:
    """A fresh headless browser with one page; closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport=viewport)
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            browser.close()
