"""Headless Chromium (Debian's package, which `make test` installs) for tests that look at a page as rendered."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# The flags that keep Chromium from reaching for the network (closed here) and from needing a display or a GPU.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
)  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: `make test` installs Debian's package (make browser)")
    return found


def render(page: Path, screenshot: Path, profile: Path, *, size: str = "1280,2400") -> str:
    """Open `page` headless, save a screenshot of it to `screenshot`, and return the DOM as rendered."""
    base = [chromium(), *FLAGS, f"--user-data-dir={profile}"]
    subprocess.run(
        [*base, f"--screenshot={screenshot}", f"--window-size={size}", page.resolve().as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [*base, "--dump-dom", page.resolve().as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return dom.stdout
