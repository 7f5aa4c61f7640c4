"""Debian's chromium driven through its chromedriver (selenium), never a browser a Python
package downloads: the paths are given, so selenium's driver manager is not asked.

The network is blocked three ways (a proxy that does not exist, every host name unknown,
and CDP's blocked URL patterns); the performance log records every request the page
attempts, so a test can assert there was none besides the file itself.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("PHARMACOEPI_CHROMIUM", "/usr/bin/chromium")
DRIVER = os.environ.get("PHARMACOEPI_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL_HINT = "sudo apt-get install chromium chromium-driver (Debian/Ubuntu)"


def missing() -> str | None:
    for path in (CHROMIUM, DRIVER):
        if not (Path(path).is_file() or shutil.which(path)):
            return f"{path} not found: {INSTALL_HINT}"
    return None


def start(width: int = 1200, height: int = 900) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-features=OptimizationHints,MediaRouter,Translate",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.setBlockedURLs",
        {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]},
    )
    return driver


def requests(driver: webdriver.Chrome) -> list[str]:
    """URLs the page asked for since the last call (performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def full_page_png(driver: webdriver.Chrome, path: Path) -> tuple[int, int]:
    """A screenshot of the whole page (not the window), written to `path`."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width, height = int(size["width"]), int(size["height"])
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return width, height


def pdf(driver: webdriver.Chrome) -> bytes:
    printed = driver.execute_cdp_cmd(
        "Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}
    )
    return base64.b64decode(printed["data"])
