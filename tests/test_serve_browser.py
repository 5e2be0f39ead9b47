"""The planner's page in a real Chromium (Debian's, driven by Playwright; no browser is
downloaded) over the real server: drop the worked example, watch it run, read the
headline and the business case, download report.xlsx; drop a bad workbook and see each
error where it is; cancel a run. Each step's screenshot is saved (PLACEOPT_SCREENSHOTS,
else a temporary folder) for a person to look at."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from serve_server import BAD, NORTHBRIDGE, REPOSITORY, PageServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="needs Playwright for Python (pip install playwright)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="needs Chromium (apt-get install chromium)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("PLACEOPT_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageServer]:
    with PageServer(tmp_path_factory.mktemp("browser") / "runs", "--jobs", "2") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: PageServer) -> Iterator[Any]:
    """A fresh tab on the page, under its own Content-Security-Policy (the tests wait on
    selectors, never on script strings, which the policy forbids)."""
    context = browser.new_context(accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.goto(server.url)
    yield opened
    context.close()
    assert not problems, problems  # no script error on the page


def drop(page: Any, path: Path) -> None:
    """Drop a file on the drop zone, as a planner drags it from their folder."""
    carried = page.evaluate_handle(
        """([name, kind, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const carried = new DataTransfer();
            carried.items.add(new File([bytes], name, { type: kind }));
            return carried;
        }""", [path.name, XLSX, base64.b64encode(path.read_bytes()).decode()])
    page.dispatch_event("#drop", "drop", {"dataTransfer": carried})


def run_id(page: Any) -> str:
    return page.evaluate("location.hash").split("run=")[1]


def test_the_planner_runs_the_worked_example_and_downloads_the_case(
        page: Any, server: PageServer, shots: Path, tmp_path: Path) -> None:
    page.screenshot(path=shots / "01-page.png", full_page=True)
    drop(page, NORTHBRIDGE)
    page.wait_for_selector("#verdict.ok")
    assert "northbridge.xlsx: no errors" in page.inner_text("#verdict")
    assert page.locator("#scenario option").count() >= 2
    page.screenshot(path=shots / "02-checked.png", full_page=True)

    page.select_option("#scenario", "base")
    page.click("#run-button")
    page.wait_for_selector("#log:has-text('gap')", timeout=180_000)
    page.screenshot(path=shots / "03-progress.png")
    page.wait_for_selector("#run-status.optimal", timeout=180_000)
    page.wait_for_selector("#report-frame")
    page.screenshot(path=shots / "04-result.png")

    summary = server.run(run_id(page))["summary"]
    npv = summary["savings"]["npv"]
    assert page.inner_text("#headline .tile .value") == f"£{npv / 1e6:,.2f}m"
    frame = page.frame_locator("#report-frame")
    assert "the business case" in frame.locator("h1").inner_text()

    with page.expect_download() as downloading:
        page.click("text=Download report.xlsx")
    report = tmp_path / "report.xlsx"
    downloading.value.save_as(report)
    book = openpyxl.load_workbook(report, read_only=True)
    assert len(book.sheetnames) >= 4
    book.close()
    listed = page.locator(f"#runs tr[data-id='{run_id(page)}']")
    assert f"£{npv / 1e6:,.2f}m" in listed.inner_text()
    page.locator("#history").screenshot(path=shots / "05-earlier-runs.png")


def test_a_bad_workbook_shows_each_error_with_its_sheet_and_cell(
        page: Any, shots: Path) -> None:
    page.set_input_files("#file", BAD / "negative_numbers.xlsx")
    page.wait_for_selector("#verdict.bad")
    rows = page.locator("#check .problems tbody tr")
    found = {tuple(rows.nth(i).locator("td").all_inner_texts()[1:3])
             for i in range(rows.count())}
    assert found == {("Providers", "J3"), ("Demand", "G2")}
    assert "2 errors" in page.inner_text("#verdict")
    assert page.locator("#choose").is_hidden()
    page.locator("#workbook").screenshot(path=shots / "06-errors.png")

    page.set_input_files("#file", BAD / "csv_renamed.xlsx")
    page.wait_for_selector("#verdict:has-text('csv_renamed.xlsx')")
    assert "a CSV or text file, not an Excel workbook" in page.inner_text("#check")
    page.locator("#workbook").screenshot(path=shots / "07-not-a-workbook.png")


def test_a_run_can_be_cancelled(page: Any, server: PageServer, shots: Path) -> None:
    # Trafford: reading and solving take seconds, so the cancel lands before the plan is
    # proven (Northbridge's whole run can be past its plan by the time the page has shown
    # 'Reading' on a busy machine; a Ctrl-C after the plan keeps it, rightly "optimal").
    page.set_input_files("#file", REPOSITORY / "models" / "trafford.xlsx")
    page.wait_for_selector("#verdict.ok")
    page.click("#run-button")
    page.wait_for_selector("#cancel:visible", timeout=60_000)
    page.wait_for_selector("#log:has-text('Reading')", timeout=60_000)
    page.click("#cancel")
    page.wait_for_selector("#run-status.interrupted", timeout=120_000)
    assert page.locator("#cancel").is_hidden()
    assert "Cancelled" in page.inner_text("#run-message")
    assert server.run(run_id(page))["status"] == "interrupted"
    page.locator("#run").screenshot(path=shots / "08-cancelled.png")
