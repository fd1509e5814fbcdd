"""emgcramp review: the page in a real browser (headless Chromium), its guard, the answers on disk, its end.

Each server is the real command in a subprocess, on a night folder made here: four minutes of rest
EMG with one cramp. Set EMGCRAMP_SCREENSHOTS=DIR to keep a screenshot of each page there.
"""

import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime

import numpy as np
import pytest
from conftest import SAMPLE_NIGHT, bursts, run_cli
from scipy.io import wavfile

from emgcramp.core.blocks import Block
from emgcramp.io.night import NightLog

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
needs_browser = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)")
CRAMP = (100.0, 160.0)  # s from the night's start
# --in-process-gpu: on some hosts the separate GPU process of a headless Chromium exits at start ("GPU process
# isn't usable. Goodbye."), taking the browser with it; in the browser's own process it draws all the same.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--in-process-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000"]


def make_night(folder, start=datetime(2026, 1, 1, 23, 0, 0), seed=0):
    """A night folder as monitor leaves it: 4 min of rest at 4 µV, a 60-s cramp at 150 µV RMS, 1 kHz."""
    x = bursts(1000.0, 240.0, 4.0, [(*CRAMP, 150.0)], seed=seed)
    log = NightLog(str(folder), 1000.0, ["calf"], start)
    log.block(Block(0, x[:, None]))
    log.close({"duration_s": 240.0})
    return str(folder)


LOST = [(180.0, 200.0), (210.0, 220.0)]  # s: the link lost (a gap record), then a flat line (an electrode off)


def make_lossy_night(folder):
    """make_night's night with nothing stored over LOST[0] (as after a lost link) and zeros over LOST[1]."""
    x = bursts(1000.0, 240.0, 4.0, [(*CRAMP, 150.0)], seed=0)
    x[210_000:220_000] = 0.0
    log = NightLog(str(folder), 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, x[:180_000, None]))
    log.block(Block(200_000, x[200_000:, None], gap_before=20_000))
    log.close({"duration_s": 240.0})
    return str(folder)


@pytest.mark.parametrize("why", ["link lost", "not stored"])
def test_a_night_s_timeline_runs_over_its_gaps_and_says_why_each_is_empty(tmp_path, why):
    """The night's length counted its stored samples only (220 of 240 s), so the page's timeline ended 20 s
    early and the events after the gap sat past its end; a stretch the disk could not take was blamed on
    the sensor."""
    from emgcramp.review.data import load_night, night_json

    folder = make_lossy_night(tmp_path / "night")
    if why == "not stored":
        log = os.path.join(folder, "events.jsonl")
        lines = [json.loads(line) for line in open(log)]
        for e in lines:
            if e.get("type") == "gap":
                e.update(reason="not stored", error="No space left on device")
        open(log, "w").write("".join(json.dumps(e) + "\n" for e in lines))
    n = load_night(folder)
    assert n.analysis.duration_s == 240.0 and len(n.levels) >= 240.0 * n.rate_hz
    assert n.analysis.recorded_s == 220.0  # a rate per hour (the PLM index) is over the seconds with samples
    assert np.isfinite(n.levels[int(230 * n.rate_hz)]).all()  # the stretch after the gap is on the timeline
    (gap, _) = night_json(n)["signal_lost"]
    said = "could not be stored (a full disk?)" if why == "not stored" else "nothing came from the sensor"
    assert (gap["onset_s"], gap["offset_s"]) == LOST[0] and said in gap["why"]


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    return make_night(tmp_path_factory.mktemp("review") / "night-20260101")


class Review:
    """``emgcramp review TARGET --no-browser`` as a subprocess; ``url`` is the address it printed."""

    def __init__(self, target, *extra):
        self.proc = subprocess.Popen([sys.executable, "-m", "emgcramp", "review", str(target), "--no-browser",
                                      "--no-progress", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 90)
        line = self.proc.stdout.readline() if ready else ""
        assert "http://127.0.0.1:" in line, (line, self.proc.poll())
        self.url = line.split(" at ")[1].split()[0]
        self.base = self.url.split("/?")[0]
        self.token = self.url.split("token=")[1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def review():
    started = []

    def start(target, *extra):
        started.append(Review(target, *extra))
        return started[-1]

    yield start
    for r in started:
        r.stop()


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("needs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="review-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(check, timeout=15.0, what="the page"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not there yet (an element being drawn, a file being written)
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def _open(driver, url):
    from selenium.webdriver.common.by import By

    driver.get(url)
    return _wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#figures, #nights"))


def _text(driver, css):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def _shot(driver, name):
    folder = os.environ.get("EMGCRAMP_SCREENSHOTS")
    if folder:
        driver.save_screenshot(os.path.join(folder, name))


def _request(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _json(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read())


def _counted(r):
    """The overview of review ``r`` once the nights read behind its page are all counted."""
    return _wait(lambda: (lambda d: d if d["counting"] is None else None)(_json(f"{r.base}/api/nights?token={r.token}")),
                 timeout=60, what="the nights counted")["nights"]


def _labels(folder):
    path = os.path.join(folder, "labels.csv")
    return open(path).read().splitlines() if os.path.exists(path) else []


# --- the guard: token, host, origin ----------------------------------------------------------------------

def test_every_request_needs_the_token_and_a_write_needs_the_page_s_origin(tmp_path, review):
    folder = make_night(tmp_path / "night")
    r = review(folder)
    assert _request(r.url) == 200 and _request(f"{r.base}/static/review.js?token={r.token}") == 200
    for url in (r.base + "/", f"{r.base}/?token=wrong", f"{r.base}/static/review.js", f"{r.base}/api/night/0"):
        assert _request(url) == 403, url
    # A page elsewhere that points its own name at 127.0.0.1 (DNS rebinding) names another host.
    assert _request(r.url, headers={"Host": "evil.example"}) == 403
    body = json.dumps({"onset_s": 100.0, "offset_s": 160.0, "label": "not_cramp"}).encode()
    post = f"{r.base}/api/night/0/label?token={r.token}"
    for origin in ({"Origin": "http://evil.example"}, {}, {"Origin": "http://127.0.0.1:1"}):
        assert _request(post, body, {"Content-Type": "application/json"} | origin) == 403, origin
    assert _request(post.split("?")[0], body, {"Content-Type": "application/json", "Origin": r.base}) == 403
    for other in (b"[1, 2]", b"7", b"null", b"{",  # not an answer of the page's: refused, no 500, no traceback
                  b'{"onset_s": true, "offset_s": 160, "label": "cramp"}',
                  b'{"onset_s": "1e2", "offset_s": 160, "label": "cramp"}',
                  b"[" * 2000 + b"]" * 2000,  # nested past Python's recursion limit: it was a 500 and a traceback
                  b'{"onset_s": 1' + b"0" * 400 + b', "offset_s": 160, "label": "cramp"}'):  # no float holds it
        assert _request(post, other, {"Content-Type": "application/json", "Origin": r.base}) == 400, other
    assert _labels(folder) == []  # nothing refused was written
    assert _request(post, body, {"Content-Type": "application/json", "Origin": r.base}) == 200
    assert _labels(folder)[1].startswith("100.000,160.000,not_cramp,")
    assert _labels(folder)[1].endswith(",cramp")  # what the answered span was listed as on the page: the cramp
    assert _request(f"{r.base}/night/7?token={r.token}") == 404  # nights by number, within the list only
    r.proc.send_signal(signal.SIGINT)
    assert r.proc.wait(15) == 0 and "Traceback" not in r.proc.stderr.read()


def test_an_answer_that_cannot_be_saved_is_said_in_one_line(tmp_path, review):
    shutil.copy(SAMPLE_NIGHT, tmp_path / "n.edf")
    (tmp_path / "n.edf.labels").write_text("a file where the answers' folder goes")
    r = review(tmp_path / "n.edf")
    body = json.dumps({"onset_s": 100.0, "offset_s": 160.0, "label": "not_cramp"}).encode()
    req = urllib.request.Request(f"{r.base}/api/night/0/label?token={r.token}", data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Origin": r.base})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=20)
    said = json.loads(e.value.read())["error"]
    # the night's page and its answer say what is in the way (the page's answers, its list of nights: a 500)
    assert e.value.code == 400 and said.endswith("n.edf.labels: is a file, not the folder of answers emgcramp "
                                                 "review writes"), said
    r.proc.send_signal(signal.SIGINT)
    assert r.proc.wait(15) == 0 and "Traceback" not in r.proc.stderr.read()


def test_ctrl_c_stops_it_with_one_line_and_status_0(night, review):
    r = review(night)
    r.proc.send_signal(signal.SIGINT)
    assert r.proc.wait(15) == 0
    assert r.proc.stdout.read().strip() == "review stopped"
    assert "Traceback" not in r.proc.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_it_with_its_status_as_every_command(night, review, sig):
    """Werkzeug's loop took SIGTERM for Ctrl-C: 'review stopped' and status 0, where every other command gives 143."""
    r = review(night)
    r.proc.send_signal(sig)
    assert r.proc.wait(15) == 128 + sig
    assert r.proc.stderr.read().strip() == f"emgcramp: stopped ({signal.Signals(sig).name})"


@pytest.mark.parametrize("target", ["missing", "empty"])
def test_bad_input_is_one_line_and_status_2(tmp_path, target):
    (tmp_path / "empty").mkdir()
    rc, out, err = run_cli("review", tmp_path / target, "--no-browser")
    assert rc == 2 and out == "" and err.count("\n") == 1 and err.startswith("emgcramp: error: ")


def test_importing_the_command_line_loads_no_web_framework():
    code = "import sys, emgcramp.cli; print(sorted({'flask', 'werkzeug', 'selenium'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- in the browser --------------------------------------------------------------------------------------

@pytest.mark.long
@needs_browser
def test_the_page_shows_what_analyze_finds_and_keeps_each_answer(tmp_path, browser, review):
    from selenium.webdriver.common.by import By

    folder = make_night(tmp_path / "night")
    rc, out, _ = run_cli("analyze", folder, "--json", "--no-progress")
    found = json.loads(out)
    assert rc == 0 and found["n_episodes"] == 1
    r = review(folder)
    _open(browser, r.url)
    assert _text(browser, "#n-cramps") == str(found["n_episodes"])
    assert _text(browser, "#n-possible") == str(len(found["possible_cramps"]))
    assert _text(browser, "#n-lm") == str(found["leg_movements"]["lm"])
    assert "1 cramp, 1 min" in _text(browser, "#summary") and "23:01" in _text(browser, "#summary")
    assert "23:01:" in _text(browser, "#event-1") and "× rest" in _text(browser, "#event-1")
    words = _text(browser, "#app").split()
    assert not {"null", "undefined", "NaN"} & set(words), words  # a missing piece written as a word
    assert f"frequency {found['episodes'][0]['freq_hz']:.0f} Hz" in _text(browser, "#event-1").replace("\n", " ")
    assert f"how sure {round(100 * found['episodes'][0]['probability'])} % a cramp" in \
        _text(browser, "#event-1").replace("\n", " ")  # the page gave a possible cramp's only, in a hover
    _shot(browser, "review-night.png")
    browser.find_element(By.CSS_SELECTOR, "#event-1 .answer-not_cramp").click()
    lines = _wait(lambda: _labels(folder)[1:], what="labels.csv")
    onset = found["episodes"][0]["onset_s"]
    assert len(lines) == 1 and lines[0].startswith(f"{onset:.3f},") and ",not_cramp," in lines[0]
    browser.refresh()
    pressed = _wait(lambda: browser.find_element(By.CSS_SELECTOR, "#event-1 .answer-not_cramp"))
    assert pressed.get_attribute("aria-pressed") == "true"
    assert "0 confirmed, 1 not a cramp" in _text(browser, "#n-labels")
    rc, out, _ = run_cli("analyze", folder, "--no-progress")
    assert "labels: 0 confirmed, 1 not a cramp, 0 unsure, 0 missed" in out
    # kill -9: nothing of the server is left to save anything, and the answer is still there
    r.proc.send_signal(signal.SIGKILL)
    r.proc.wait(10)
    again = review(folder)
    _open(browser, again.url)
    pressed = browser.find_element(By.CSS_SELECTOR, "#event-1 .answer-not_cramp")
    assert pressed.get_attribute("aria-pressed") == "true"


@pytest.mark.long
@needs_browser
def test_a_missed_cramp_is_marked_by_dragging_over_the_timeline(tmp_path, browser, review):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    folder = make_night(tmp_path / "night")
    r = review(folder)
    _open(browser, r.url)
    browser.find_element(By.ID, "mark").click()
    over = browser.find_element(By.CSS_SELECTOR, "#timeline .u-over")
    width = over.size["width"]
    # The night is 240 s wide: drag over 180–220 s, well after the cramp.
    x0, x1 = int(width * (180 / 240 - 0.5)), int(width * (220 / 240 - 0.5))
    ActionChains(browser).move_to_element_with_offset(over, x0, 0).click_and_hold() \
        .move_by_offset(x1 - x0, 0).release().perform()
    _wait(lambda: browser.find_element(By.ID, "save-mark")).click()
    line = _wait(lambda: _labels(folder)[1:], what="labels.csv")[0].split(",")
    assert 170 < float(line[0]) < float(line[1]) < 230 and line[2] == "cramp"
    _wait(lambda: browser.find_element(By.ID, "missed-1"))
    rc, out, _ = run_cli("analyze", folder, "--json", "--no-progress")
    assert json.loads(out)["labels"] == {"confirmed": 0, "not_cramp": 0, "unsure": 0, "unanswered": 1,
                                         "missed": 1, "cramps": 1}


@pytest.mark.long
@needs_browser
def test_the_many_nights_page_counts_each_night_and_opens_it(tmp_path, browser, review):
    from selenium.webdriver.common.by import By

    nights = tmp_path / "nights"
    make_night(nights / "night-20260101", datetime(2026, 1, 1, 23, 0, 0), seed=1)
    make_night(nights / "night-20260103", datetime(2026, 1, 3, 22, 30, 0), seed=2)
    r = review(nights)
    _open(browser, r.url)
    # Neither night closed with its events.csv: both are read behind the page, which fills in without a reload
    _wait(lambda: "2 cramp(s) over 2 night(s)" in _text(browser, "#facts"), timeout=60)
    rows = browser.find_elements(By.CSS_SELECTOR, "#nights tr")[1:]
    assert [row.text.split("\n")[0][:15] for row in rows] == ["Thu 01 Jan 2026", "Sat 03 Jan 2026"]
    assert [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows] == ["1", "1"]
    rows[1].find_element(By.TAG_NAME, "a").click()
    _wait(lambda: _text(browser, "#n-cramps") == "1")
    assert "all nights" in _text(browser, "#back")
    browser.find_element(By.CSS_SELECTOR, "#back a").click()
    _wait(lambda: "2 cramp(s) over 2 night(s)" in _text(browser, "#facts"))
    _shot(browser, "review-nights.png")


def test_the_count_behind_the_page_goes_on_past_a_night_that_fails_and_keeps_only_counts(tmp_path, monkeypatch):
    """A night raising anything but InputError ended the count: every later night stayed uncounted."""
    from emgcramp.review import nights as nights_module

    for day, seed in ((1, 1), (2, 2), (3, 3)):
        make_night(tmp_path / f"night-2026010{day}", datetime(2026, 1, day, 23, 0, 0), seed=seed)
    real = nights_module.load_night

    def load(path, *args, **kwargs):
        if path.endswith("night-20260102"):
            raise RuntimeError("a bug")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(nights_module, "load_night", load)
    library = nights_module.Library(str(tmp_path))
    library.count_behind()
    library._counting.join(60)
    rows = library.overview()["nights"]
    assert [(r["cramps"], r["unread"]) for r in rows] == [(1, None), (None, "a bug"), (1, None)]
    assert library.overview()["counting"] is None and library._nights == {}  # counts kept, not whole nights


@pytest.mark.long
@needs_browser
def test_the_server_stops_once_the_page_has_been_closed(night, browser, review):
    r = review(night, "--idle-exit", "2")
    _open(browser, r.url)
    time.sleep(1.0)  # a heartbeat or two
    assert r.proc.poll() is None
    browser.get("about:blank")
    assert r.proc.wait(20) == 0
    assert "the page has been closed" in r.proc.stdout.read()


@pytest.mark.long
def test_a_review_whose_page_is_never_opened_stops_by_itself(night, monkeypatch, capsys):
    """Started --no-browser and reached with no page (curl, or nothing), it kept its port open for ever."""
    from emgcramp.review import app, server
    from emgcramp.review.app import Heartbeat
    from emgcramp.review.nights import Library

    heartbeat = Heartbeat(2.0, first_s=0.3)
    assert not heartbeat.expired()
    time.sleep(0.4)
    assert heartbeat.expired()  # never opened: its wait is over
    heartbeat.beat()
    assert not heartbeat.expired()  # once opened, the page's own heartbeat decides
    assert Heartbeat(3600.0).first_s == 3600.0 and Heartbeat(60.0).first_s == app.FIRST_PAGE_S == 600.0
    monkeypatch.setattr(app, "FIRST_PAGE_S", 2.0)
    assert server.serve(Library(str(night)), open_browser=False, idle_exit_s=1.0) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "review stopped: its page was not opened in 2 s (start it " \
                                                       "again to review)"


@needs_browser
def test_the_saved_report_is_the_same_page_without_buttons(tmp_path, night, browser):
    from selenium.webdriver.common.by import By

    rc, out, err = run_cli("report", night, "--out", tmp_path / "night.html")
    assert rc == 0, err
    _open(browser, (tmp_path / "night.html").as_uri())
    assert _text(browser, "#n-cramps") == "1" and "23:01:" in _text(browser, "#event-1")
    assert browser.find_elements(By.CSS_SELECTOR, ".answer button, #mark") == []
    # the command to answer it names this night (it was "emgcramp review NIGHT")
    assert _text(browser, ".static-note").endswith(f"open the night with: emgcramp review {night}")


# --- signal lost, and the calendar -------------------------------------------------------------------------

@pytest.mark.parametrize("compiled", [False, True])
def test_signal_loss_finds_gaps_and_flat_lines_however_the_night_is_cut(compiled):
    from emgcramp.dsp.samples import SampleChecks, _checks_kernel, checks_kernel

    fs, rng = 100.0, np.random.default_rng(3)
    x = rng.standard_normal((6000, 2))  # 60 s of two channels; no value repeats
    x[1000:1300, 0] = 0.0  # 10–13 s flat on the first channel
    x[2000:2150, 1] = 7.0  # 20–21.5 s: shorter than 2 s, not a loss
    x[3000:4000, 1] = 5.0  # 30–40 s at a rail on the second
    x[4800:5000, 0] = 1.0  # 48–50 s flat, up to the gap: exactly 2 s
    x[5300:5400, 0] = 1.0  # after the 3-s gap the same value again: a new run, 1 s
    expected = [(10.0, 13.0, "ch0"), (30.0, 40.0, "ch1"), (48.0, 50.0, "ch0"), (50.0, 53.0, "gap")]
    for seed in range(20):
        cuts = np.random.default_rng(seed).integers(1, 700, 40).cumsum()
        # 1300 and 4000: a flat line that ends exactly where a block does is still one
        edges = sorted({0, 1300, 4000, 5000, 6000} | {int(c) for c in cuts if c < 6000})
        loss = SampleChecks(fs, ["ch0", "ch1"], kernel=_checks_kernel if compiled else checks_kernel)
        loss.list_losses(2.0)
        for a, b in itertools.pairwise(edges):
            if a >= 5300 or b <= 5000:  # samples 5000–5300 were never received
                loss.check(np.ascontiguousarray(x[a:b]), a, 300 if a == 5300 else 0)
            elif a == 5000:
                loss.check(np.ascontiguousarray(x[5300:b]), 5300, 300)
        assert loss.finish() == expected, seed


def test_the_frequency_is_said_with_its_drift_in_words():
    from emgcramp.review.words import spectrum

    assert spectrum(None, None) is None
    assert spectrum(128.6, None)[0] == "129 Hz"
    assert [spectrum(100.0, d)[0] for d in (-0.123, -0.099, 0.08, 0.14)] == [
        "100 Hz, fell 12 %", "100 Hz, steady", "100 Hz, steady", "100 Hz, rose 14 %"]


def test_the_summary_says_the_time_without_signal_in_words():
    from emgcramp.review import words

    assert words.summary_sentence([], [], 2, None, 725.0) == "No cramps; 0 possible cramps; 2 leg movements; " \
                                                             "no signal for 12 min 5 s"
    assert words.summary_sentence([], [], 0, None, 0.2).endswith("0 leg movements")  # under a second: not said
    assert [words.duration_words(s) for s in (45, 720, 3600, 3900, 7170)] == \
        ["45 s", "12 min", "1 h", "1 h 5 min", "2 h"]
    from emgcramp.core.clock import duration

    # a tenth of a second of damaged samples was listed as lasting "0:00"
    assert [duration(s) for s in (0.0, 0.02, 0.1, 0.44, 0.6, 61.0, 3725.0)] == \
        ["0:00", "under 0.1 s", "0.1 s", "0.4 s", "0:01", "1:01", "1:02:05"]
    assert [words.duration_words(s) for s in (0.0, 0.3)] == ["0 s", "0.3 s"]


@pytest.mark.long
@needs_browser
def test_signal_lost_is_hatched_where_the_night_had_none_and_said_in_words(tmp_path, browser, review):
    from selenium.webdriver.common.by import By

    folder = make_lossy_night(tmp_path / "night")
    r = review(folder)
    served = _json(f"{r.base}/api/night/0?token={r.token}")
    assert [(b["onset_s"], b["offset_s"]) for b in served["signal_lost"]] == LOST and served["signal_lost_s"] == 30.0
    assert "nothing came" in served["signal_lost"][0]["why"] and "flat line" in served["signal_lost"][1]["why"]
    _open(browser, r.url)
    assert _text(browser, "#summary").endswith("; no signal for 30 s.")
    assert "signal lost (30 s)" in _text(browser, "#legend")
    assert "23:03:00 to 23:03:20 (0:20)" in _text(browser, "#lost")
    where = ("var r = window.review, u = r.chart; return arguments[0].map(function (b) {"
             "  return [u.valToPos(r.abs(b[0]), 'x', true), u.valToPos(r.abs(b[1]), 'x', true)]; });")
    for view in (None, (170.0, 230.0)):  # the whole night, then zoomed in on the two stretches
        if view:
            browser.execute_script("window.review.zoom(arguments[0], arguments[1])", *view)
        expected = browser.execute_script(where, LOST)
        _wait(lambda first=expected[0][0]: abs(browser.execute_script("return window.review.lostDrawn")[0]["x0"]
                                               - first) < 1, what="the bands of the new view")
        drawn = browser.execute_script("return window.review.lostDrawn")
        assert [(d["onset_s"], d["offset_s"]) for d in drawn] == LOST
        for d, (x0, x1) in zip(drawn, expected):
            assert abs(d["x0"] - x0) < 1 and abs(d["x1"] - max(x1, x0 + 1)) < 1, (d, x0, x1)
    # On the canvas: grey in each band (never an event's colour); between them and after, nothing drawn
    pixel = ("var u = window.review.chart, y = Math.round(u.bbox.top + 4 * devicePixelRatio);"
             "return Array.from(u.ctx.getImageData(Math.round(u.valToPos(window.review.abs(arguments[0]), 'x', true)),"
             " y, 1, 1).data);")
    for t in (190.0, 215.0):
        r_, g, b, alpha = browser.execute_script(pixel, t)
        assert alpha > 0 and max(r_, g, b) - min(r_, g, b) <= 8, (t, r_, g, b, alpha)
    for t in (207.5, 227.5):  # between grid lines too
        assert browser.execute_script(pixel, t)[3] == 0, t
    assert browser.find_elements(By.CSS_SELECTOR, "#legend .sw.lost")


@pytest.mark.long
@needs_browser
def test_the_calendar_sums_the_nights_of_each_date_and_a_click_opens_the_night(tmp_path, browser, review):
    from selenium.webdriver.common.by import By

    nights = tmp_path / "nights"
    for name, start, seed in (("night-20260101-010000", datetime(2026, 1, 1, 1, 0), 1),
                              ("night-20260101-230000", datetime(2026, 1, 1, 23, 0), 2),
                              ("night-20260103-223000", datetime(2026, 1, 3, 22, 30), 3),
                              ("night-20260202-223000", datetime(2026, 2, 2, 22, 30), 4)):
        folder = make_night(nights / name, start, seed)
        if start.month == 1:  # its events.csv, as recover writes it: counted without opening the night
            assert run_cli("recover", folder)[0] == 0
    # a WAV holds no start time: it was placed on its file's date (today), months after the others
    wavfile.write(nights / "undated.wav", 500, np.random.default_rng(0).normal(0, 200, 30_000).astype(np.int16))
    r = review(nights)
    served = _counted(r)  # the night never closed, and the WAV, are read behind the page
    assert [(n["day"], n["cramps"]) for n in served] == [("2026-01-01", 1), ("2026-01-01", 1), ("2026-01-03", 1),
                                                         ("2026-02-02", 1), (None, 0)]
    _open(browser, r.url)
    cells = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#calendar td.day"))
    assert len(cells) == 31 + 28  # a cell for every date of January and February 2026, and no month after
    assert _text(browser, "#undated").startswith("1 night has no recording date (the file holds no start time)")
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#nights a")][-1] == "undated.wav"
    shown = {c.get_attribute("data-day"): (c.get_attribute("data-cramps"), c.get_attribute("data-nights"),
                                           c.find_element(By.TAG_NAME, "a").text)
             for c in cells if c.get_attribute("data-nights")}
    by_day = {}
    for n in served:
        by_day.setdefault(n["day"], []).append(n["cramps"])
    assert shown == {day: (str(sum(c for c in counts if c is not None)) if any(c is not None for c in counts) else "",
                           str(len(counts)), "?" if all(c is None for c in counts) else str(sum(counts)))
                     for day, counts in by_day.items() if day}
    assert shown["2026-01-01"] == ("2", "2", "2")  # two nights of one date, summed

    def colour(css):
        return browser.find_element(By.CSS_SELECTOR, css).value_of_css_property("background-color")

    for day, shade in (("2026-01-01", "c2"), ("2026-01-03", "c1"), ("2026-02-02", "c1"), ("2026-01-02", "none")):
        assert colour(f'#calendar td[data-day="{day}"]') == colour(f'#calendar-legend [data-shade="{shade}"] .sw'), day
    assert len({colour(f'#calendar-legend [data-shade="{s}"] .sw') for s in ("c0", "c1", "c2", "c3", "unknown")}) == 5
    browser.find_element(By.CSS_SELECTOR, '#calendar td[data-day="2026-01-03"]').click()
    _wait(lambda: _text(browser, "#n-cramps") == "1")
    assert browser.current_url.startswith(f"{r.base}/night/2?")
    assert "Saturday 03 January 2026" in _text(browser, "#title")


@needs_browser
def test_a_restless_night_shows_the_likeliest_possible_cramps_and_the_rest_on_request(tmp_path, browser, review):
    from selenium.webdriver.common.by import By

    # 24 arousal-like bursts of 16-26 s at 25-40 µV over rest at 4 µV: listed as possible cramps, not counted
    spec = [(30 + 45 * k, 30 + 45 * k + 16 + (k % 5) * 2.5, 25 + 5 * (k % 4)) for k in range(24)]
    x = bursts(1000.0, 30 + 45 * 24 + 30, 4.0, spec, seed=1)
    folder = str(tmp_path / "night")
    log = NightLog(folder, 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0))
    log.block(Block(0, x[:, None]))
    log.close({"duration_s": len(x) / 1000.0})
    r = review(folder)
    events = _json(f"{r.base}/api/night/0?token={r.token}")["events"]
    possible = sorted((e for e in events if e["tier"] == "possible_cramp"), key=lambda e: -e["probability"])
    assert len(possible) > 12, len(possible)
    _open(browser, r.url)

    def shown():
        return {int(p.get_attribute("id").split("-")[1])
                for p in browser.find_elements(By.CSS_SELECTOR, "section.event.possible_cramp")}

    assert shown() == {e["n"] for e in possible[:12]}  # the twelve likeliest
    more = browser.find_element(By.CSS_SELECTOR, "#more-possible")
    assert more.text == (f"Show the other {len(possible) - 12} possible cramps "
                         f"(probability {possible[12]['probability']:g} or less)")
    more.click()
    assert _wait(lambda: shown() == {e["n"] for e in possible}, what="every possible cramp")
    assert not browser.find_elements(By.CSS_SELECTOR, "#more-possible")


@pytest.mark.long
def test_a_text_recording_whose_length_is_known_only_once_read_gives_the_same_timeline_as_npy(tmp_path):
    """A CSV's length is not known before it is read: its level timeline grows as it is read, to the same bins."""
    from emgcramp.files import ReadOptions
    from emgcramp.review.data import load_night

    x = bursts(500.0, 4000.0, 4.0, [(3000.0, 3060.0, 150.0)], seed=1)  # over the hour a grid is first made for
    np.save(tmp_path / "n.npy", x)
    with open(tmp_path / "n.csv", "w") as f:
        f.write("calf_uV\n")
        np.savetxt(f, x, fmt="%.4f")
    npy = load_night(str(tmp_path / "n.npy"), ReadOptions(fs=500.0))
    csv = load_night(str(tmp_path / "n.csv"), ReadOptions(fs=500.0))
    assert npy.levels.shape == csv.levels.shape and len(npy.levels) == pytest.approx(4000 * npy.rate_hz, abs=3)
    np.testing.assert_allclose(csv.levels, npy.levels, rtol=1e-3, equal_nan=True)
    (cramp,) = csv.analysis.episodes
    assert cramp.onset_s == pytest.approx(3000.0, abs=1.0)
    assert np.nanmax(csv.levels[int(3030 * csv.rate_hz)]) > 10  # the cramp stands in the grown part, in × rest


def test_a_folder_s_events_tables_beside_its_recordings_are_no_nights(tmp_path):
    """The events and --lm-events CSVs analyze wrote beside the nights are results, as analyze FOLDER reads them."""
    from emgcramp.review.nights import Library

    shutil.copy(SAMPLE_NIGHT, tmp_path / "n1.edf")
    rc, _, err = run_cli("analyze", str(tmp_path / "n1.edf"), "--events", str(tmp_path / "n1.csv"),
                         "--lm-events", str(tmp_path / "n1_lm.csv"))
    assert rc == 0, err
    assert [os.path.basename(p) for p in Library(str(tmp_path)).paths] == ["n1.edf"]
    # nor are notes kept beside them (analyze FOLDER skips them with a line); a table of numbers is a night
    (tmp_path / "notes – Überblick.txt").write_text("Slept badly on the 3rd.\nCramp at 4 am?\n", encoding="utf-8")
    np.savetxt(tmp_path / "n2.csv", np.random.default_rng(0).normal(0, 4, 20_000), header="calf", comments="")
    assert [os.path.basename(p) for p in Library(str(tmp_path)).paths] == ["n1.edf", "n2.csv"]


def test_a_port_in_use_is_said_in_one_line(night):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        rc, out, err = run_cli("review", night, "--no-browser", "--no-progress", "--port", port)
    assert rc == 2 and err.strip() == (f"emgcramp: error: cannot listen on 127.0.0.1:{port} (Address already in "
                                       "use); give another --port, or 0 for any free one")


@pytest.mark.long
def test_a_recovered_night_counts_its_possible_cramps_with_its_cramps(tmp_path):
    """After recover --cramp-threshold 0.9 the nights' table took the cramps from the new events.csv and the
    possible cramps from the monitor's closing record (3 where the night, judged again, has 4)."""
    from emgcramp.review.nights import Library

    folder = str(tmp_path / "nights" / "night-20260101-230000")
    x = bursts(1000.0, 240.0, 4.0, [(*CRAMP, 150.0)], seed=0)
    from emgcramp.live.monitor import night_settings

    log = NightLog(folder, 1000.0, ["calf"], datetime(2026, 1, 1, 23, 0, 0), settings=night_settings(None))
    log.block(Block(0, x[:, None]))
    log.close({"duration_s": 240.0, "possible_cramps": [{"onset_s": 10.0, "offset_s": 20.0}] * 3})
    assert run_cli("recover", folder)[0] == 0  # the settings it was monitored with: the log's list holds
    [row] = Library(str(tmp_path / "nights")).overview()["nights"]
    assert (row["cramps"], row["possible"]) == (1, 3)
    assert run_cli("recover", folder, "--cramp-threshold", "0.999")[0] == 0  # judged again, otherwise
    [row] = Library(str(tmp_path / "nights")).overview()["nights"]
    assert (row["cramps"], row["possible"]) == (0, None)  # counted when the night is opened


def test_a_night_named_like_a_placeholder_is_shown_as_named_and_keeps_the_token_out_of_its_title():
    import re

    from emgcramp.review.page import served

    for name in ("night-{{scripts}}", "night-{{boot}}", "{{styles}}{{title}}"):
        page = served(f"Night {name}", {"mode": "night", "title": name}, "s3cret")
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert title == f"Night {name}"  # before: the scripts, with the token, filled in there
        assert page.count("<script src=") == served("Night x", {"mode": "night"}, "s3cret").count("<script src=")


def test_a_folder_without_nights_and_a_name_not_in_utf8_are_said_not_tracebacks(tmp_path):
    from emgcramp.review.nights import Library

    (tmp_path / "u").mkdir()
    (tmp_path / "u" / "notes.txt").write_text("woke at 3\n")
    rc, _, err = run_cli("review", str(tmp_path / "u"), "--no-browser")  # before: an empty page, served
    assert rc == 2 and err.strip().endswith("u: no recording or night folder in it"), err
    odd = os.fsdecode(os.fsencode(str(tmp_path / "n")) + b"/night-20260103-\xff\xfe")
    os.makedirs(os.path.dirname(odd))
    make_night(odd)
    lib = Library(os.path.dirname(odd))
    assert lib.name(0) == "night-20260103-\ufffd\ufffd"  # before: a 500 and a traceback as the page was encoded


def test_an_answer_on_a_recording_moved_away_is_refused_not_put_beside_where_it_was(tmp_path, review):
    shutil.copy(SAMPLE_NIGHT, tmp_path / "n.edf")
    r = review(tmp_path / "n.edf")
    assert _request(f"{r.base}/api/night/0?token={r.token}") == 200  # opened
    shutil.move(tmp_path / "n.edf", tmp_path / "moved.edf")
    body = json.dumps({"onset_s": 100.0, "offset_s": 160.0, "label": "not_cramp"}).encode()
    post = f"{r.base}/api/night/0/label?token={r.token}"
    assert _request(post, body, {"Content-Type": "application/json", "Origin": r.base}) == 410
    assert not (tmp_path / "n.edf.labels").exists()  # before: 200, and a stray n.edf.labels/ beside nothing



def test_nights_with_and_without_a_zone_in_their_start_are_counted_together(tmp_path):
    from datetime import timedelta, timezone

    from emgcramp.review.data import night_json
    from emgcramp.review.nights import Library

    make_night(tmp_path / "night-20260101-230000")
    five = timezone(timedelta(hours=5))
    make_night(tmp_path / "night-20260102-230000", start=datetime(2026, 1, 2, 23, 0, tzinfo=five))
    lib = Library(str(tmp_path))
    for k in range(2):
        night_json(lib.night(k))
    overview = lib.overview()  # before: a 500 (naive and aware clocks compared)
    assert [n["start"] for n in overview["nights"]] == ["2026-01-01T23:00:00", "2026-01-02T23:00:00+05:00"]
    assert overview["trend"]["nights"] == 2 and overview["trend"]["onset_hours"] == {23: 2}


def test_the_page_counts_a_night_held_twice_once_as_trend_does(tmp_path):
    """A night in two places (a recording and the night folder of its replay; here a copied folder) counted twice
    in the page's trend: 2 nights of one, where `trend` on the same folder says 1 and names the other."""
    from emgcramp.review.data import night_json
    from emgcramp.review.nights import Library

    shutil.copytree(make_night(tmp_path / "night-20260101-230000"), tmp_path / "night-copy")
    lib = Library(str(tmp_path))
    for k in range(2):
        night_json(lib.night(k))
    trend = lib.overview()["trend"]
    assert (trend["nights"], trend["cramps"]) == (1, 1)
    assert [f for f in trend["facts"] if f.startswith("Not counted again")] == [
        f"Not counted again, holding a night already counted (the same cramps at the same clock times): "
        f"{tmp_path / 'night-copy' / 'events.csv'}."]


def test_a_night_whose_answers_cannot_be_read_is_said_on_its_row_and_the_others_shown(tmp_path):
    """One night's labels.csv made a link (or a pipe, or a folder) turned the whole list of nights into a 422,
    and a night folder named through a link served nothing but 422s."""
    from emgcramp.review.nights import Library

    make_night(tmp_path / "many" / "night-20260101-230000")
    odd = make_night(tmp_path / "many" / "night-20260102-230000", start=datetime(2026, 1, 2, 23, 0, 0))
    os.symlink(tmp_path / "elsewhere.csv", os.path.join(odd, "labels.csv"))
    rows = Library(str(tmp_path / "many")).overview()["nights"]
    assert [r["unread"] for r in rows] == [None, f"its answers: {odd}/labels.csv: is a symbolic link, not the "
                                                 "answers as emgcramp review writes them"]
    os.remove(os.path.join(odd, "labels.csv"))
    os.symlink(odd, tmp_path / "last")  # named through a link: the night it points to, its answers there
    lib = Library(str(tmp_path / "last"))
    assert lib.paths == [odd] and lib.overview()["nights"][0]["unread"] is None


def test_the_browser_is_opened_with_a_code_used_once_not_the_token(tmp_path, monkeypatch):
    """The browser was started with the address and its token, in its command line for as long as it runs: any
    local user reads it in /proc/PID/cmdline, and with it the nights and the answers."""
    import webbrowser

    from emgcramp.review.app import Heartbeat, create_app
    from emgcramp.review.nights import Library
    from emgcramp.review.server import serve

    opened = []

    def browser(url):  # as the browser starts: its address, then Ctrl-C before the page is served
        opened.append(url)
        raise KeyboardInterrupt

    monkeypatch.setattr(webbrowser, "open", browser)
    lib = Library(make_night(tmp_path / "night-20260101-230000"))
    assert serve(lib, 0, open_browser=True) == 0
    (url,) = opened
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?launch=[\w-]{32}", url), url
    app = create_app(lib, "T" * 32, Heartbeat(60.0), "L" * 32)
    app.config["PORT"] = 5000
    client = app.test_client()
    base = {"base_url": "http://127.0.0.1:5000"}
    first = client.get("/?launch=" + "L" * 32, **base)
    assert first.status_code == 303 and first.headers["Location"] == "/?token=" + "T" * 32
    for code in ("L" * 32, "X" * 32):  # once, and only its own
        again = client.get("/?launch=" + code, **base)
        assert again.status_code == 403 and b"opens the page once" in again.data
    assert client.get("/?token=" + "T" * 32, **base).status_code == 200


def test_the_address_the_browser_is_started_with_opens_the_page_once(tmp_path, browser):
    # the browser's command line holds a code used once: in a real browser it leads to the page, then no more
    script = tmp_path / "browser.sh"  # the person's browser, as $BROWSER names it: what it was started with
    script.write_text('#!/bin/sh\necho "$1" > "$0.opened"\n')
    script.chmod(0o700)
    night = make_night(tmp_path / "night-20260101-230000")
    proc = subprocess.Popen([sys.executable, "-m", "emgcramp", "review", night, "--no-progress"],
                            env={**os.environ, "BROWSER": str(script)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        opened = _wait(lambda: open(f"{script}.opened").read().strip(), timeout=90, what="the browser started")
        assert "launch=" in opened and "token" not in opened
        _open(browser, opened)
        assert "?token=" in browser.current_url and "launch" not in browser.current_url
        browser.get(opened)
        _wait(lambda: "opens the page once" in browser.page_source, what="the code refused once used")
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_connections_that_send_half_a_request_are_closed_and_the_page_still_answers(tmp_path):
    """Thousands of connections sending half a request held a thread each for ever: the server answered
    nothing for minutes. A silent one is closed (here after 1 s), unsaid (a browser keeps spare ones)."""
    import socket

    night = make_night(tmp_path / "night-20260101-230000")
    code = ("import sys, emgcramp.review.server as s\n"
            "s._Handler.timeout = 1.0\n"
            "from emgcramp.cli import main\n"
            f"sys.exit(main(['review', {night!r}, '--no-browser', '--no-progress']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    held = []
    try:
        url = proc.stdout.readline().split(" at ")[1].split()[0]
        port = int(url.split(":")[2].split("/")[0])
        for _ in range(60):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
            held.append(s)
        assert _request(url) == 200

        def threads():
            return int(open(f"/proc/{proc.pid}/status").read().split("Threads:")[1].split()[0])

        assert _wait(lambda: threads() < 10, timeout=10, what="the silent connections closed")
        assert all(s.recv(100) == b"" for s in held)  # closed by the server
    finally:
        for s in held:
            s.close()
        proc.kill()
        proc.wait(10)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "timed out" not in err, err


def test_a_review_on_port_80_answers_its_own_page(tmp_path):
    """On HTTP's own port the browser names the host without it (Host: 127.0.0.1, Origin: http://127.0.0.1):
    every request was refused as another host's."""
    from emgcramp.review.app import Heartbeat, create_app
    from emgcramp.review.nights import Library

    app = create_app(Library(make_night(tmp_path / "night-20260101-230000")), "T" * 32, Heartbeat(60.0))
    app.config["PORT"] = 80
    client = app.test_client()
    assert client.get("/?token=" + "T" * 32, base_url="http://127.0.0.1").status_code == 200
    body = {"onset_s": 100.0, "offset_s": 160.0, "label": "cramp"}
    for origin, status in (("http://127.0.0.1", 200), ("http://127.0.0.1:8080", 403), ("http://evil.example", 403)):
        got = client.post("/api/night/0/label?token=" + "T" * 32, json=body, base_url="http://127.0.0.1",
                          headers={"Origin": origin})
        assert got.status_code == status, (origin, got.data)
    assert client.get("/?token=" + "T" * 32, base_url="http://evil.example").status_code == 403
    app.config["PORT"] = 8080  # on any other port, the host names it
    assert client.get("/?token=" + "T" * 32, base_url="http://127.0.0.1").status_code == 403
