"""Screenshots of the review page for the README: docs/review-night.png and docs/review-nights.png.

Makes eight synthetic one-hour nights on successive dates as monitor night folders (with the
events.csv that ``recover`` writes; the first with 6 minutes when the sensor was out of reach), gives
a few answers on the first, serves them with ``emgcramp review`` and photographs both pages in
headless Chromium (Debian's chromium and chromium-driver, and the selenium package of the test extra)::

    python docs/screenshots.py            # about two minutes
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NIGHTS = 8


def cli(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "emgcramp", *args], check=True, capture_output=True,
                          text=True).stdout


def night_folder(edf: str, folder: str, lost: tuple[float, float] | None = None) -> None:
    """The recording as a monitor night folder (samples and log), then its events.csv as recover writes it.

    ``lost``: a stretch (s from the start) the sensor sent nothing, as when it was out of reach.
    """
    from emgcramp.core.blocks import Block
    from emgcramp.io import open_recording
    from emgcramp.io.night import NightLog

    with open_recording(edf) as rec:
        log, gap = NightLog(folder, rec.fs, rec.channel_names[:1], rec.start), 0
        for block in rec.blocks([0], int(60 * rec.fs)):
            if lost and lost[0] <= block.t0_sample / rec.fs < lost[1]:
                gap += len(block.samples)
                continue
            log.block(Block(block.t0_sample, block.samples, gap) if gap else block)
            gap = 0
        log.close({"duration_s": rec.n_samples / rec.fs})
    cli("recover", folder)


def make_nights(root: str) -> list[str]:
    folders = []
    for k in range(NIGHTS):
        start = datetime(2026, 1, 5, 22, 40) + timedelta(days=k, minutes=13 * k)
        edf = os.path.join(root, f"n{k}.edf")
        cli("simulate", edf, "--hours", "1", "--seed", str(5 + k), "--start", start.isoformat(timespec="minutes"))
        folders.append(os.path.join(root, "nights", f"night-{start:%Y%m%d-%H%M%S}"))
        night_folder(edf, folders[-1], (1200.0, 1560.0) if k == 0 else None)  # the first: 6 min out of reach
    return folders


def answer(folder: str) -> None:
    """A morning's answers on the first night: its first cramp confirmed, a possible cramp turned down."""
    from emgcramp.files import analyze_file
    from emgcramp.io.labels import add_label

    result, _ = analyze_file(folder)
    first = result.episodes[0]
    add_label(folder, first.onset_s, first.offset_s, "cramp")
    if result.possible_cramps:
        p = result.possible_cramps[0]
        add_label(folder, p.onset_s, p.offset_s, "not_cramp")


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1400,1000"]:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def photograph(driver, url: str, path: str, ready: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    end = time.monotonic() + 60
    while not driver.find_elements(By.CSS_SELECTOR, ready) and time.monotonic() < end:
        time.sleep(0.2)
    time.sleep(1.0)  # the event panels' small charts are drawn a frame later
    height = driver.execute_script("return document.documentElement.scrollHeight")
    chrome = driver.execute_script("return window.outerHeight - window.innerHeight")  # the window's own bars
    driver.set_window_size(1400, min(height + chrome + 20, 3000))
    time.sleep(0.5)
    driver.save_screenshot(path)
    driver.set_window_size(1400, 1000)


def main() -> int:
    root = tempfile.mkdtemp(prefix="review-shots-")
    profile = os.path.join(root, "chromium")
    try:
        folders = make_nights(root)
        answer(folders[0])
        server = subprocess.Popen([sys.executable, "-m", "emgcramp", "review", os.path.join(root, "nights"),
                                   "--no-browser", "--idle-exit", "30"], stdout=subprocess.PIPE, text=True)
        select.select([server.stdout], [], [], 60)
        url = server.stdout.readline().split(" at ")[1].split()[0]
        driver = browser(profile)
        try:
            base, query = url.split("/?")
            photograph(driver, f"{base}/night/0?{query}", os.path.join(HERE, "review-night.png"), ".event .u-over")
            photograph(driver, url, os.path.join(HERE, "review-nights.png"), "#nights")
        finally:
            driver.quit()
            server.terminate()
            server.wait(10)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"wrote {os.path.join(HERE, 'review-night.png')} and review-nights.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
