"""The workbook reference page is the one the schema writes."""

from __future__ import annotations

from pathlib import Path

from placeopt.workbook.docs import workbook_markdown
from placeopt.workbook.schema import PARAMETERS, SHEETS

PAGE = Path(__file__).resolve().parents[1] / "docs" / "workbook.md"


def test_docs_workbook_page_is_current() -> None:
    assert PAGE.read_text(encoding="utf-8") == workbook_markdown(), (
        "docs/workbook.md is stale: run python -m placeopt.workbook.docs > docs/workbook.md")


def test_page_names_every_sheet_column_and_parameter() -> None:
    page = workbook_markdown()
    for sheet in SHEETS:
        assert f"## {sheet.name} " in page
        for column in sheet.columns:
            assert f"`{column.name}`" in page
    for parameter in PARAMETERS:
        assert f"| `{parameter.name}` |" in page
