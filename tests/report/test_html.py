"""The HTML report: self-contained, plotly.js once, every chart, values with units."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from plotly.offline import get_plotlyjs

from dctwin.report import build_report, write_report
from dctwin.report.charts import CHART_TITLES, TITLE_PUE
from dctwin.report.tables import format_row
from dctwin.results.model import Results

PLOTLYJS = get_plotlyjs()


@pytest.fixture(scope="module")
def two_site_html(two_sites) -> str:
    return build_report(two_sites)


@pytest.fixture(scope="module")
def one_site_html(one_site_15min) -> str:
    return build_report(one_site_15min)


class _Tags(HTMLParser):
    """Collects start tags and checks every non-void tag is closed in order."""

    VOID: ClassVar[frozenset[str]] = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.starts: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html.replace(PLOTLYJS, ""))
    parser.close()
    assert parser.stack == []
    return parser


@pytest.mark.parametrize("name", ["two_site_html", "one_site_html"])
def test_plotlyjs_embedded_exactly_once_and_no_external_assets(name, request):
    html: str = request.getfixturevalue(name)
    assert html.count(PLOTLYJS) == 1
    assert html.count("plotly.js v") == 1  # the library's banner
    tags = _parse(html)
    assert not [a for t, a in tags.starts if t == "script" and a.get("src")]
    assert not [t for t, _ in tags.starts if t in {"link", "img", "iframe"}]
    assert "cdn.plot.ly" not in html.replace(PLOTLYJS, "")


def test_every_chart_title_in_both_layouts(two_site_html, one_site_html):
    for html in (two_site_html, one_site_html):
        for title in CHART_TITLES:
            assert title in html, title


def test_sections_per_site_when_several(two_site_html, one_site_html):
    ids = [a.get("id") for t, a in _parse(two_site_html).starts if t == "section"]
    assert ids == ["summary", "campus", "site-nouaceur", "site-north", "notes"]
    # Campus: 5 charts (PUE is per site); each site: 6.
    assert two_site_html.count('class="plotly-graph-div"') == 5 + 6 + 6
    assert two_site_html.count(TITLE_PUE) == 2
    ids = [a.get("id") for t, a in _parse(one_site_html).starts if t == "section"]
    assert ids == ["summary", "site-nouaceur", "notes"]
    assert one_site_html.count('class="plotly-graph-div"') == 6


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr data-key="{key}">(.*?)</tr>', html)
    assert match, key
    return match.group(1)


def test_summary_values_with_units(two_sites, two_site_html):
    campus = two_sites.summary["campus"]
    row = _row(two_site_html, "hourly_cfe_score_frac")
    assert f'<td class="num">{campus["hourly_cfe_score_frac"] * 100:.1f}</td>' in row
    assert row.endswith('<td class="unit">%</td>')
    row = _row(two_site_html, "emissions_location_t")
    assert f'<td class="num">{campus["emissions_location_t"]:,.0f}</td>' in row
    assert row.endswith('<td class="unit">t CO2e</td>')
    for key in (
        "facility_load_mwh",
        "grid_import_mwh",
        "pue_annual",
        "solar_specific_yield_kwh_per_kwp",
    ):
        sites = two_sites.summary["sites"]
        unit, values = format_row(key, [campus.get(key), *(s.get(key) for s in sites.values())])
        row = _row(two_site_html, key)
        assert "".join(f'<td class="num">{v}</td>' for v in values) in row
        assert row.endswith(f'<td class="unit">{unit}</td>')
    # Headline rows come first, in the visible table.
    head, _, rest = two_site_html.partition("<details>")
    assert 'data-key="hourly_cfe_score_frac"' in head
    assert 'data-key="battery_full_cycles"' in rest


def test_header_carries_scenario_and_metadata(two_sites, two_site_html):
    head = two_site_html.split("<nav>")[0].replace(PLOTLYJS, "")
    for text in (
        two_sites.scenario.name,
        two_sites.scenario.description,
        "phase-2",
        "20260501-test",
        "0123abc",
        "weather 0.42 s",
        "22 Jan 2028 01:00",  # period start in local time (UTC+1)
        "Africa/Casablanca",
        "1h (1 h)",
    ):
        assert text in head, text
    assert head.count("<dt>seed</dt>") == 1


def test_fleet_rows_per_site(two_sites, two_site_html):
    fleet = two_site_html.split("<h3>Fleet</h3>")[1].split("</table>")[0]
    assert "<th>IT capacity [MW]</th>" in fleet
    for slug, (record,) in two_sites.summary["fleet"].items():
        assert f"<td>{slug}</td><td>{record['phase']}</td>" in fleet
        assert f"<td>{record['gpus']:,d}</td>" in fleet


def test_notes_explain_the_metrics(two_site_html):
    notes = two_site_html.split('<section id="notes"')[1]
    for text in ("24/7", "Annual matching", "Location-based", "Market-based", "residual-mix"):
        assert text in notes, text


def test_no_battery_report_renders(no_battery):
    html = build_report(no_battery)
    assert "no battery" in html
    _parse(html)


def test_text_is_escaped(two_sites):
    scenario = two_sites.scenario.model_copy(update={"description": "a <b>bold</b> & plan"})
    html = build_report(Results(scenario, two_sites.timeseries, two_sites.summary))
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; plan" in html
    assert "<b>bold</b>" not in html


def test_size_is_plotlyjs_plus_modest_data(one_site_html, two_site_html):
    assert len(one_site_html) - len(PLOTLYJS) < 1_000_000
    assert len(two_site_html) - len(PLOTLYJS) < 1_000_000


@pytest.mark.slow
def test_year_long_hourly_report_stays_small(make_results):
    results = make_results(start="2028-01-01", days=366, sites=["nouaceur"], low_days=(40, 41))
    html = build_report(results)
    assert 100 < len(html) - len(PLOTLYJS) < 1_500_000
    assert html.count(PLOTLYJS) == 1


def test_write_report_to_file_and_directory(two_sites, two_site_html, tmp_path):
    path = write_report(two_sites, tmp_path / "out" / "run.html")
    assert path == tmp_path / "out" / "run.html"
    assert path.read_text(encoding="utf-8") == two_site_html
    assert write_report(two_sites, tmp_path) == tmp_path / "report.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "report.html"]  # no temp files


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="no chromium/chrome on PATH for a headless render")
def test_headless_render_to_png(two_sites, tmp_path):
    page = write_report(two_sites, tmp_path / "report.html")
    png = tmp_path / "report.png"
    cmd = [
        str(_chromium()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--virtual-time-budget=15000",
        "--window-size=1280,6000",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    data = Path(png).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 100_000  # charts drawn, not a blank page
    keep = os.environ.get("DCTWIN_REPORT_SCREENSHOTS")  # a directory to keep the PNG in
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "report-two-sites.png")
