"""Debian's Chromium for the browser tests (Playwright cannot download its own here)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
#: --disable-background-networking and friends: the machine's closed network would
#: otherwise refuse Chromium's background connections, many at a time.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
