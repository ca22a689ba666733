"""The benchmark report: real rendering of a hand-built results dict (docs/metrics.md schema)."""

from __future__ import annotations

import base64
import copy
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from phiphantom.benchmark.report import Thumbnail, render_reports

NASTY = '<b>&"x"'
N_PLOTS = 4  # font-size lines, category bars, throughput, leaks by kind (the leaderboard is a table)
KINDS = ("standard", "nested", "private", "free-text", "overlay", "icon", "file-meta", "filename", "raw-bytes")


def _metrics(**values) -> dict:
    """A full metrics object (every key of the schema), perfect by default."""
    base = {"box_recall": 1.0, "frame_recall": 1.0, "residual_phi_boxes": 0, "residual_phi_rate": 0.0,
            "clinical_preservation": 1.0, "label_preservation": 1.0, "image_damage": 0.0,
            "detection_precision": None, "detection_recall": None, "tag_coverage": 1.0, "leaks": 0,
            "files_with_leaks": 0, "conformance": 1.0, "required_retained": 1.0, "midi_b_score": 0.987,
            "valid_files": 1.0, "pseudonym_consistency": 1.0, "uid_consistency": 1.0, "date_interval_consistency": None,
            "files_per_s": 40.1, "frames_per_s": 400.2, "mb_per_s": 80.0, "latency_p50_s": 0.02,
            "latency_p95_s": 0.05, "peak_rss_mb": 120.0, "startup_s": 0.1, "files_failed": 0}
    base.update(values)
    return base


def _strata(recall: float, leaks_by_kind: dict[str, int]) -> dict:
    """Strata cells shaped like the harness's: {"n": count, "value": x}."""
    cell = lambda n, v: {"n": n, "value": v}  # noqa: E731
    return {
        "box_recall": {
            "phi_category": {"name": cell(400, recall), "date": cell(300, recall), "id": cell(362, recall * 0.9),
                             "institution": cell(300, recall)},
            "font_px": {"20-28": cell(200, recall), "08-11": cell(300, recall * 0.5),
                        "12-15": cell(500, recall * 0.8), "16-19": cell(362, recall)},
            "contrast": {">=0.6": cell(700, recall), "<0.3": cell(200, recall * 0.3), "0.3-0.6": cell(462, recall)},
            "layout": {"ge-logiq": cell(700, recall), "philips-epiq": cell(662, recall)},
            "cine": {"single": cell(400, recall), "cine": cell(962, recall)},
            "transfer_syntax": {"1.2.840.10008.1.2.1": cell(1000, recall), "1.2.840.10008.1.2.4.50": cell(362, recall)},
        },
        "residual_phi": {"font_px": {"08-11": cell(300, round(1 - recall, 3)), "20-28": cell(200, 0.0)}},
        "leaks": {"location_kind": {k: cell(205, v) for k, v in leaks_by_kind.items()},
                  "cine": {"single": cell(60, sum(leaks_by_kind.values())), "cine": cell(145, 0)}},
    }


def _engine(name: str, metrics: dict, leaks_by_kind: dict[str, int], errors: list[dict]) -> dict:
    kinds = {k: 0 for k in KINDS} | leaks_by_kind
    return {
        "name": name, "spec": name, "description": {"version": "1.0", "config": {"mode": "test"}},
        "metrics": metrics,
        "counts": {"phi_boxes": 1362, "phi_box_frames": 9000, "clinical_boxes": 2400, "label_boxes": 900,
                   "image_pixels": 123456789, "tag_rows": 9000, "conformance_checks": 20000},
        "leaks_by_kind": kinds,
        "conformance_by_action": {"X": {"total": 1000, "honoured": round(1000 * metrics["conformance"])},
                                  "Z": {"total": 200, "honoured": 150}, "U": {"total": 50, "honoured": 50}},
        "required_by_attribute": {"Modality": 1.0, "Rows": 1.0},
        "strata": _strata(metrics["box_recall"], kinds),
        "per_file": [{"file": "file-0001", "box_recall": metrics["box_recall"], "leaks": 0, "seconds": 0.02,
                      "error": ""}],
        "errors": errors,
    }


def make_results() -> dict:
    """Three engines, deliberately not in leaderboard order: null-like, error-prone (nasty name), oracle."""
    null = _engine("null", _metrics(box_recall=0.0, frame_recall=0.0, residual_phi_boxes=1200,
                                    residual_phi_rate=1200 / 1362, clinical_preservation=1.0, tag_coverage=0.0,
                                    leaks=2187, files_with_leaks=205, conformance=0.0, files_per_s=812.5,
                                    frames_per_s=8270.0, latency_p95_s=0.004, startup_s=0.0),
                   {"standard": 1800, "nested": 120, "private": 90, "free-text": 60, "overlay": 12,
                    "filename": 5, "raw-bytes": 100}, [])
    errors = [{"file": f"file-{i:04d}", "error_class": "Timeout", "message": "no output after 120 s"}
              for i in range(24)]
    errors.insert(0, {"file": "file-0100", "error_class": "ValueError",
                      "message": "bad | pipe <script>alert(1)</script>\nsecond line"})
    flaky = _engine(NASTY, _metrics(box_recall=0.874, frame_recall=0.93, residual_phi_boxes=12,
                                    residual_phi_rate=12 / 1362, residual_phi_tokens=17,
                                    residual_phi_token_rate=17 / 3100, clinical_preservation=0.9512,
                                    image_damage=0.0042,
                                    detection_precision=0.8123, detection_recall=0.9, leaks=12, leaks_whole_value=9,
                                    files_with_leaks=3,
                                    conformance=0.987, files_per_s=2.345, frames_per_s=23.45, latency_p95_s=1.5,
                                    startup_s=None, files_failed=25, date_interval_consistency=None),
                    {"private": 10, "overlay": 2}, errors)
    oracle = _engine("oracle", _metrics(date_interval_consistency=1.0), {}, [])
    return {
        "schema": "phiphantom.bench/1", "phiphantom_version": "0.1.0", "created_utc": "2026-11-23T12:00:00Z",
        "include_phi": False,
        "dataset": {"path": "/data/ds", "run_id": "run-abc123", "seed": 7, "difficulty": "realistic", "files": 205,
                    "frames": 2086, "phi_boxes": 1362, "clinical_boxes": 2400, "tag_rows": 9000,
                    "manifest_sha256": "0" * 64},
        "settings": {"workers": 2, "timeout_s": 120, "ocr": True, "dciodvfy": False},
        "engines": [null, flaky, oracle],
    }


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


MAGENTA, CYAN = (255, 0, 255), (0, 255, 255)  # colours the report itself never uses
THUMBS = [Thumbnail("oracle", "file-0003 frame 0", _png(64, 48, MAGENTA), _png(64, 48, (30, 30, 30))),
          Thumbnail(NASTY, "file-0007 frame 2", _png(80, 60, (90, 90, 90)), _png(80, 60, CYAN))]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[str, str, Path]:
    out = tmp_path_factory.mktemp("report")
    md_path, html_path = render_reports(make_results(), out, THUMBS)
    assert (md_path, html_path) == (out / "report.md", out / "report.html")
    return md_path.read_text(encoding="utf-8"), html_path.read_text(encoding="utf-8"), html_path


class _Images(HTMLParser):
    """Collects every tag's attributes, and <img> attributes separately."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "img":
            self.images.append(attributes)


def _images(html_text: str) -> _Images:
    parser = _Images()
    parser.feed(html_text)
    return parser


def _leaderboard_rows(md: str) -> list[list[str]]:
    rows = [line for line in md.splitlines() if re.match(r"^\| \d+ \|", line)]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


# --------------------------------------------------------------------------- Markdown


def test_markdown_leaderboard_order_and_numbers(rendered):
    md, _, _ = rendered
    rows = _leaderboard_rows(md)
    assert [r[1] for r in rows] == ["oracle", "&lt;b&gt;&amp;\"x\"", "null"]
    oracle, flaky, null = rows
    # columns 3 and 8: worst-style box recall and clinical preservation (n/a: these are /1 results, no styles);
    # column 6: residual PHI tokens (n/a: no token counts in these results)
    assert oracle[2:7] == ["1.000", "n/a", "1.000", "0 (0.00%)", "n/a"]
    assert flaky[2:11] == ["0.874", "n/a", "0.930", "12 (0.88%)", "17 (0.55%)", "0.951", "n/a", "0.42%", "1.000"]
    # leaks, whole-value leaks (n/a where the results hold none), MIDI-B, date consistency
    assert flaky[11:13] == ["12", "9"] and oracle[12] == "n/a" and flaky[15] == "0.987" and flaky[19] == "n/a"
    assert flaky[20:25] == ["2.35", "23.4", "1.500 s", "n/a", "25"]
    assert null[5] == "1,200 (88.11%)" and null[11] == "2,187" and null[20:22] == ["812.5", "8,270.0"]
    assert len(oracle) == 25


def test_markdown_dataset_strata_and_errors(rendered):
    md, _, _ = rendered
    for fact in ("**Files:** 205", "**Frames:** 2,086", "**PHI boxes:** 1,362", "**Tag rows:** 9,000",
                 "**Difficulty:** realistic", "**Seed:** 7", "**Run id:** run-abc123", "**ocr:** yes"):
        assert fact in md
    assert "/data/ds" not in md
    # strata in documented band order, not string order
    assert md.index("| 08-11 |") < md.index("| 12-15 |") < md.index("| 16-19 |") < md.index("| 20-28 |")
    assert md.index("| &lt;0.3 |") < md.index("| 0.3-0.6 |") < md.index("| &gt;=0.6 |")
    assert "| raw-bytes | 100 |" in md and "| free-text | 60 |" in md
    assert "**Detection precision:** 0.812" in md and md.count("Detection precision") == 1
    # errors: first 20 only, escaped, one line each
    assert "**Errors (25)**" in md and "and 5 more errors not shown" in md
    assert md.count("| Timeout |") == 19
    assert "bad \\| pipe &lt;script&gt;alert(1)&lt;/script&gt; second line" in md
    assert "<script" not in md and "<b>" not in md
    assert md.count("_Figure: ") == N_PLOTS and "2 before/after thumbnail pairs" in md


def test_markdown_ties_broken_by_fewer_leaks(tmp_path):
    results = make_results()
    twin = copy.deepcopy(results["engines"][1])
    twin["name"], twin["metrics"]["leaks"] = "twin-fewer-leaks", 3
    results["engines"].append(twin)
    md_path, _ = render_reports(results, tmp_path)
    names = [r[1] for r in _leaderboard_rows(md_path.read_text(encoding="utf-8"))]
    assert names == ["oracle", "twin-fewer-leaks", "&lt;b&gt;&amp;\"x\"", "null"]


# --------------------------------------------------------------------------- HTML


def test_html_is_self_contained(rendered):
    _, html_text, _ = rendered
    assert "http://" not in html_text and "https://" not in html_text
    assert "<script" not in html_text.lower() and "<link" not in html_text.lower()
    assert "@import" not in html_text and "url(" not in html_text
    for tag, attributes in _images(html_text).tags:
        for attribute in ("src", "href"):
            if attribute in attributes:
                assert attributes[attribute].startswith("data:image/png;base64,"), (tag, attribute)


def test_html_images_decode(rendered):
    _, html_text, _ = rendered
    images = _images(html_text).images
    assert len(images) == N_PLOTS + 2 * len(THUMBS)
    sizes = []
    for image in images:
        assert image["alt"].strip()
        data = base64.b64decode(image["src"].removeprefix("data:image/png;base64,"), validate=True)
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.load()
            assert decoded.format == "PNG"
            assert (int(image["width"]), int(image["height"])) == decoded.size
            sizes.append(decoded.size)
    assert all(w >= 500 and h >= 150 for w, h in sizes[:N_PLOTS])
    assert sizes[N_PLOTS:] == [(64, 48), (64, 48), (80, 60), (80, 60)]
    assert "synthetic PHI only" in html_text


def test_html_escapes_results_text_and_has_table_headers(rendered):
    _, html_text, _ = rendered
    assert NASTY not in html_text and "<b>" not in html_text
    assert "&lt;b&gt;&amp;&quot;x&quot;" in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_text
    assert html_text.count('<th scope="col">engine</th>') == 1
    assert html_text.count("<tr><td class=\"num\">") >= 3  # leaderboard rows (rank column)
    assert html_text.index(">oracle<") < html_text.index("&lt;b&gt;&amp;&quot;x&quot;") < html_text.index(">null<")


def test_rendering_is_deterministic_and_leaves_matplotlib_settings_alone(tmp_path):
    with matplotlib.rc_context({"font.size": 17}):
        backend = matplotlib.get_backend()
        first = render_reports(make_results(), tmp_path / "a", THUMBS)
        assert matplotlib.rcParams["font.size"] == 17
        assert matplotlib.get_backend() == backend
    second = render_reports(make_results(), tmp_path / "b", THUMBS)
    for one, two in zip(first, second, strict=False):
        assert one.read_bytes() == two.read_bytes()


def test_zero_engines_and_missing_metrics(tmp_path):
    results = make_results()
    empty = dict(results, engines=[])
    md_path, html_path = render_reports(empty, tmp_path / "empty")
    assert "contain no engines" in md_path.read_text(encoding="utf-8")
    assert "<img" not in html_path.read_text(encoding="utf-8")

    bare = dict(results, engines=[{"name": "bare"}, {"name": "half", "metrics": {"box_recall": 0.5, "leaks": None},
                                                    "strata": {"box_recall": {}, "leaks": {}}, "errors": None}])
    del bare["dataset"]
    md_path, html_path = render_reports(bare, tmp_path / "bare")
    md = md_path.read_text(encoding="utf-8")
    rows = _leaderboard_rows(md)
    assert [r[1] for r in rows] == ["half", "bare"]
    assert rows[1][2:] == ["n/a"] * 23
    assert "No strata reported." in md and "**Files:** n/a" in md
    assert len(_images(html_path.read_text(encoding="utf-8")).images) == 1  # only throughput has something to show


def test_ten_engines_with_duplicate_and_mathtext_names(tmp_path):
    results = make_results()
    engines = []
    for i in range(10):
        engine = copy.deepcopy(results["engines"][i % 3])
        engine["name"] = "same $x$ name" if i < 2 else f"engine-{i}"
        engine["metrics"]["box_recall"] = round(1 - i * 0.09, 3)
        engines.append(engine)
    md_path, html_path = render_reports(dict(results, engines=engines), tmp_path)
    names = [r[1] for r in _leaderboard_rows(md_path.read_text(encoding="utf-8"))]
    assert names == ["same \\$x\\$ name"] * 2 + [f"engine-{i}" for i in range(2, 10)]
    html_text = html_path.read_text(encoding="utf-8")
    assert len(_images(html_text).images) == N_PLOTS
    assert "same $x$ name (2)" in html_text  # the legends keep both engines apart (alt text lists them)


# --------------------------------------------------------------------------- a real browser

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")
# stderr lines that come from the browser's environment (no D-Bus, no GPU, no push service), not the page
BROWSER_NOISE = re.compile(r"dbus|bus\.cc|gcm|gpu|viz|angle|vaapi|fontconfig|sandbox|crashpad|object_proxy|"
                           r"cert_verify|ssl_client|google_apis|registration_request|kwallet|inotify|"
                           r"zygote|dri|egl|gl_|udev|network_service", re.IGNORECASE)


def _browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _run_browser(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def _page_errors(stderr: str) -> list[str]:
    """Error lines about the page (console errors, failed loads), ignoring environment noise."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    page = [line for line in lines if "CONSOLE" in line or "net::ERR" in line or "Not allowed to load" in line
            or "Refused to" in line]
    errors = [line for line in lines if ":ERROR:" in line and not BROWSER_NOISE.search(line)]
    return page + errors


@pytest.mark.skipif(_browser() is None, reason="no chromium/chromium-browser/google-chrome binary on PATH "
                                              "(Debian: apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(rendered, tmp_path):
    _, _, html_path = rendered
    browser, url = _browser(), html_path.resolve().as_uri()

    dom = _run_browser(browser, tmp_path / "profile-dom", "--enable-logging=stderr", "--v=0", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not _page_errors(dom.stderr), _page_errors(dom.stderr)
    images = _images(dom.stdout).images
    assert len(images) == N_PLOTS + 2 * len(THUMBS)
    assert all(image["src"].startswith("data:image/png;base64,") for image in images)
    assert "Leaderboard" in dom.stdout

    shot = tmp_path / "shot.png"
    screenshot = _run_browser(browser, tmp_path / "profile-shot", "--window-size=1200,4000",
                              f"--screenshot={shot}", url)
    assert screenshot.returncode == 0 and shot.is_file(), screenshot.stderr[-2000:]
    assert not _page_errors(screenshot.stderr), _page_errors(screenshot.stderr)
    with Image.open(shot) as picture:
        pixels = np.asarray(picture.convert("RGB")).astype(int)
    assert pixels.shape[:2] == (4000, 1200) and pixels.std() > 10, "blank screenshot"
    # these colours appear only if the inline PNGs were decoded and drawn: the plots' engine colours
    # (tab10 blue and orange) and the two thumbnails' flat colours, at their natural size
    for colour, at_least in (((31, 119, 180), 2000), ((255, 127, 14), 2000), (MAGENTA, 64 * 48), (CYAN, 80 * 60)):
        near = np.abs(pixels - np.array(colour)).sum(axis=2) < 30
        assert near.sum() >= at_least, f"colour {colour} not on the screenshot"


def test_long_versions_and_configs_are_shown_whole(tmp_path):
    """Peers pin a dozen packages: the report must show every version and the whole configuration."""
    results = make_results()
    versions = ", ".join(f"package-{i} {i}.{i}.{i}" for i in range(12))
    config = {"ocr": "tesseract " * 20, "nlp": "regex-only"}
    results["engines"][0]["description"] = {"version": versions, "config": config}
    md_path, _ = render_reports(results, tmp_path, [])
    md = md_path.read_text(encoding="utf-8")
    assert "package-11 11.11.11" in md and "regex-only" in md


def test_report_orders_the_bands_results_json_writes():
    """The report orders the font and contrast bands by the labels aggregation writes (a drifted label, e.g. the
    report's old "≥0.6" against results.json's ">=0.6", would fall out of order)."""
    from phiphantom.benchmark.aggregate import contrast_band, font_band
    from phiphantom.benchmark.report import STRATUM_ORDER

    assert tuple(contrast_band(v) for v in (0.0, 0.29, 0.3, 0.59, 0.6, 1.0)) == tuple(
        band for band in STRATUM_ORDER["contrast"] for _ in range(2))
    assert tuple(font_band(px) for px in (8, 11, 12, 15, 16, 19, 20, 28)) == tuple(
        band for band in STRATUM_ORDER["font_px"] for _ in range(2))
