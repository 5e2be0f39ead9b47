"""Printouts a finance team can read and sign (issue 19): every printed page of report.xlsx
and batch_summary.xlsx, printed by LibreOffice to PDF, has its text at 8 pt or more, as
printed (after the program's fit-to-page scaling), measured in the PDF; and no chart's
frame is cut by a page break.

LibreOffice without Calibri (as here and in CI) prints columns about a third wider than
Excel does, so at a smaller scale: it is the program that prints smallest.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_cases import batch_workbook
from conftest import needs_tools

from placeopt.batches.run import run_batch
from placeopt.report import write_reports

SMALLEST = 8.0  # points, as printed
needs_office = needs_tools("libreoffice", "pdftoppm")
pdfplumber = pytest.importorskip("pdfplumber", reason="pdfplumber (a dev dependency) measures "
                                                      "the text in a PDF")


def print_pdf(workbook: Path, folder: Path) -> Path:
    """The workbook as LibreOffice prints it (headless, a profile of its own)."""
    subprocess.run(["libreoffice", "--headless",
                    f"-env:UserInstallation={(folder / 'lo').as_uri()}", "--convert-to", "pdf",
                    "--outdir", str(folder), str(workbook)],
                   check=True, timeout=300, capture_output=True, cwd=folder)
    return folder / f"{workbook.stem}.pdf"


def printed_size(char: dict[str, Any]) -> float:
    """A character's size as printed: its height upright, its width turned a quarter (an
    axis title)."""
    return char["size"] if char["upright"] else char["width"]


def text_sizes(pdf: Path) -> list[tuple[str, float, str]]:
    """Each page: its sheet (from the footer 'Sheet, page n of m'), the smallest text on
    it and a sample of that text."""
    pages = []
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            text = "".join(c["text"] for c in chars)
            sheet = re.search(r"([A-Za-z ]+?),\s*page\s*\d+\s*of\s*\d+",
                              page.extract_text() or "")
            smallest = min(chars, key=printed_size)
            sample = "".join(c["text"] for c in chars
                             if printed_size(c) < printed_size(smallest) + 0.05)[:80]
            pages.append((sheet.group(1).strip() if sheet else text[:20],
                          printed_size(smallest), sample))
    return pages


def assert_legible(pdf: Path) -> list[tuple[str, float, str]]:
    pages = text_sizes(pdf)
    small = [(i + 1, sheet, round(size, 2), text) for i, (sheet, size, text) in enumerate(pages)
             if size < SMALLEST]
    assert not small, f"pages printed below {SMALLEST} pt: {small}"
    return pages


def assert_no_chart_cut(pdf: Path, folder: Path) -> int:
    """No chart frame is cut by a page's edge: where a frame's top edge is drawn on a
    page, its bottom edge is drawn there too (a chart anchored across a page break shows
    its top border, a stray line, at the foot of the page before). Returns the frames."""
    from PIL import Image

    dpi = 72
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(folder / "page")],
                   check=True, capture_output=True)
    images = [Image.open(p).convert("L") for p in sorted(folder.glob("page-*.png"))]
    frames = 0
    with pdfplumber.open(pdf) as document:
        for page, image in zip(document.pages, images, strict=True):
            for shape in page.curves + page.rects:
                grey = shape.get("stroking_color")
                if not (shape.get("stroke") and shape["x1"] - shape["x0"] > 150
                        and shape["bottom"] - shape["top"] > 60 and isinstance(grey, tuple)
                        and len(grey) == 3 and min(grey) > 0.8):
                    continue  # not a chart's frame (light grey, large)

                top, bottom = (drawn(image, shape, y) for y in (shape["top"], shape["bottom"]))
                assert top == bottom, (page.page_number, shape["top"], shape["bottom"])
                frames += top
    return frames


def drawn(image: Any, shape: dict[str, Any], y: float) -> bool:
    """Whether the page's pixels show a line along `y` across the shape (at 72 dpi)."""
    box = (int(shape["x0"] + 20), int(y) - 1, int(shape["x1"] - 20), int(y) + 2)
    return image.crop(box).getextrema()[0] < 240


@pytest.fixture(scope="module")
def trafford_with_values(trafford_folder: Path, tmp_path_factory: pytest.TempPathFactory
                         ) -> Path:
    """The worked example's folder with what each project is worth, as a run with
    --project-values writes it (values, tolerances, a substitute group, an option that
    cannot be built with the solver's long note): the reports rebuilt from its files. The
    figures are those of `placeopt run models/trafford.xlsx --project-values`."""
    folder = Path(shutil.copytree(trafford_folder, tmp_path_factory.mktemp("values") / "base"))
    expansions = pd.read_csv(folder / "expansions.csv")
    built = expansions["built"] == "yes"
    expansions["npv_if_dropped"] = expansions["capital_cost"].where(built) * 0.9 + 500_000
    expansions["npv_if_forced"] = (-expansions["capital_cost"] / 16).where(~built)
    expansions["value_gap"] = 331_442.72
    expansions["entry_capital_cost"] = (expansions["capital_cost"] * 0.64).where(~built)
    summary = json.loads((folder / "summary.json").read_text())
    ids = list(expansions["option_id"])
    expansions.loc[expansions["option_id"] == ids[-1], ["npv_if_forced", "value_gap",
                                                         "entry_capital_cost"]] = None
    solves = {o: {"case": "dropped" if b else "forced", "status": "optimal",
                  "builds_instead": [], "drops_too": []}
              for o, b in zip(ids, built, strict=True)}
    solves[ids[-1]]["status"] = "cannot be built: no plan can include it (infeasible)"
    group = [o for o in ids if o.startswith("EXP-")]
    for option in group:
        solves[option] |= {"builds_instead": [ids[-2]],
                           "drops_too": [o for o in group if o != option]}
    solves[ids[-2]]["drops_too"] = group
    summary["project_values"] = {"status": "computed", "solves": solves}
    expansions.to_csv(folder / "expansions.csv", index=False)
    (folder / "summary.json").write_text(json.dumps(summary))
    write_reports(folder)
    return folder


@pytest.mark.slow
@needs_office
def test_every_page_of_the_worked_example_prints_at_8_points(trafford_with_values: Path,
                                                             tmp_path: Path) -> None:
    """Before issue 19 the Capital programme printed at about 3.4 pt, Costs by year at 5.8,
    Summary at 7.3; the Costs by year charts left frames at the foot of a page."""
    pdf = print_pdf(trafford_with_values / "report.xlsx", tmp_path)
    pages = assert_legible(pdf)
    sheets = {sheet for sheet, _, _ in pages}
    assert {"Summary", "Costs by year", "Capital programme", "Inclusion measures",
            "Project values", "Funding", "Map", "Map key", "Method"} <= sheets
    assert assert_no_chart_cut(pdf, tmp_path) >= 5  # four cost charts, the project values


@pytest.mark.slow
@needs_office
def test_every_page_of_a_batch_summary_prints_at_8_points(tmp_path: Path) -> None:
    """Before issue 19 the 22 columns printed on one A4 page, 'Reason' broken as 'Reaso n';
    now the sheet Scenarios prints the columns a reader signs, the rest on screen."""
    workbook = batch_workbook(tmp_path / "tiny.xlsx")
    result = run_batch(workbook, tmp_path / "batch", "all", jobs=1, samples=2, seed=1,
                       reports=False)
    assert result.table["reason"].str.len().max() > 150  # a long reason to wrap
    pdf = print_pdf(tmp_path / "batch" / "batch_summary.xlsx", tmp_path)
    pages = assert_legible(pdf)
    assert [s for s, _, _ in pages][:1] == ["Scenarios"]
    with pdfplumber.open(pdf) as document:
        first = document.pages[0].extract_text()
        every = " ".join(" ".join(page.extract_text().split()) for page in document.pages)
    assert re.search(r"\bReason\b", first) and "required options OPT_A" in every
    assert assert_no_chart_cut(pdf, tmp_path) >= 2
