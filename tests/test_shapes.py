"""The family of plan shapes (benchmarks/shapes.py, issue 17) is reproducible, valid, and
measured against a plain model that is right.

Cheap by size: determinism and validation on the small shapes (every shape is valid by
the same code; the large ones only take longer to read), the plain model against
`placeopt.run.plan` at gap 0 on three tiny ones, and one run of the harness itself.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from placeopt.case import build_case, check_workbook
from placeopt.model.instance import compile_instance
from placeopt.run import plan

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from plain_model import solve_plain  # noqa: E402
from shape_family import SHAPES, write_shape  # noqa: E402
from shapes import _write, agrees, made_by, stale  # noqa: E402

SMALL = [name for name, shape in SHAPES.items() if shape.zones <= 30]
TINY = ["tiny_integer", "two_years_hard", "small_ramps"]


def cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's rows, each as wide as its header (trailing blanks are not stored)."""
    book = openpyxl.load_workbook(path, read_only=True)
    tables = {}
    for sheet in book:
        rows = list(sheet.iter_rows(values_only=True))
        width = len(rows[0])
        tables[sheet.title] = [tuple(row) + (None,) * (width - len(row)) for row in rows]
    return tables


def test_the_family_spans_what_issue_17_asks() -> None:
    shapes = list(SHAPES.values())
    assert len(shapes) >= 30
    assert min(s.zones for s in shapes) <= 10 and max(s.zones for s in shapes) >= 300
    assert min(s.options for s in shapes) == 0 and max(s.options for s in shapes) >= 150
    assert min(s.years for s in shapes) == 1 and max(s.years for s in shapes) >= 15
    for field, values in [("capital", {"none", "loose", "tight", "ringfenced"}),
                          ("treatment", {"upfront", "annuity"}),
                          ("budget", {"soft", "hard", "off"}),
                          ("current", {"none", "some", "over_far"})]:
        assert values <= {getattr(s, field) for s in shapes}, field
    assert any(s.groups for s in shapes) and any(s.required for s in shapes)
    assert any(s.ramps for s in shapes) and any(s.integer for s in shapes)
    assert len({s.seed for s in shapes}) == len(shapes)


def test_the_same_shape_writes_the_same_workbook(tmp_path: Path) -> None:
    shape = SHAPES["issue40_current"]
    first = cells(write_shape(shape, tmp_path / "a.xlsx"))
    assert first == cells(write_shape(shape, tmp_path / "b.xlsx"))
    other = cells(write_shape(dataclasses.replace(shape, seed=shape.seed + 1000),
                              tmp_path / "c.xlsx"))
    assert other != first


@pytest.mark.parametrize("name", SMALL)
def test_small_shapes_pass_validation(tmp_path: Path, name: str) -> None:
    path = write_shape(SHAPES[name], tmp_path / f"{name}.xlsx")
    warnings, _notes = check_workbook(path)  # an error raises InputError
    assert all(w.level == "warning" for w in warnings)
    params = build_case(path).inputs.params
    assert float(params["mip_gap"]) == SHAPES[name].mip_gap


def test_shapes_have_what_they_say(tmp_path: Path) -> None:
    """Over-capacity and beyond-the-limit placements, ring-fenced funding, groups,
    required options and ramps reach the workbook."""
    over_far = cells(write_shape(SHAPES["trafford_free_hard"], tmp_path / "a.xlsx"))
    assert any(row[4] == "FAR00" for row in over_far["CurrentPlacements"][1:])
    warnings, _ = check_workbook(tmp_path / "a.xlsx")
    assert any("current pupils who must stay against" in w.message for w in warnings)
    assert any("not one the model would choose now" in w.message for w in warnings)
    ring = cells(write_shape(SHAPES["small_ringfenced"], tmp_path / "b.xlsx"))
    header, *options = ring["Expansions"]
    column = {name: i for i, name in enumerate(header)}
    assert {"capital:free_school", "capital:s106"} <= {r[1] for r in ring["Budget"][1:]}
    assert any("capital:s106" in (o[column["funding"]] or "") for o in options)
    assert sum(o[column["required"]] == "yes" for o in options) == 2
    grouped = cells(write_shape(SHAPES["issue40"], tmp_path / "c.xlsx"))["Expansions"]
    assert sum(str(o[column["group"]]).startswith("G") for o in grouped[1:]) == 13
    ramps = cells(write_shape(SHAPES["small_ramps"], tmp_path / "d.xlsx"))["Expansions"]
    assert any((o[column["ramp_years"]] or 1) > 1 for o in ramps[1:])


@pytest.mark.parametrize("name", TINY)
def test_the_plain_model_agrees_with_plan(tmp_path: Path, name: str) -> None:
    path = write_shape(SHAPES[name], tmp_path / f"{name}.xlsx")
    instance = compile_instance(build_case(path).inputs, prune_dominated=False)
    plain, baseline = solve_plain(instance), solve_plain(instance, baseline=True)
    assert plain.status == baseline.status == "optimal"
    summary = plan(path, mip_gap=0.0, project_values=False).summary
    # Solvers stop at an absolute gap of 1e-6 of the objective's units (£): a penny.
    assert summary["objective"] == pytest.approx(plain.objective, rel=1e-9, abs=0.01)
    assert summary["baseline_objective"] == pytest.approx(baseline.objective, rel=1e-9,
                                                          abs=0.01)


def test_agreement_is_overlap_of_bound_and_objective() -> None:
    plain = {"objective": 100.0, "bound": 99.9}
    assert agrees({"objective": 100.05, "bound": 99.95}, plain)
    assert agrees({"objective": 100.2, "bound": 99.95}, plain)  # its gap is wider: fine
    assert not agrees({"objective": 100.3, "bound": 100.2}, plain)  # a bound too high
    assert not agrees({"objective": 99.8, "bound": 99.7}, plain)  # better than proven
    assert agrees({"objective": 100.0, "bound": None}, plain)
    assert agrees({"status": "failed"}, plain) is None


def test_the_harness_runs_a_shape_and_tabulates_it(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    script = str(ROOT / "benchmarks" / "shapes.py")
    subprocess.run([sys.executable, script, "run", str(tmp_path), "--only",
                    "tiny_no_options", "--ways", "plain,default", "--time-limit", "30",
                    "--results", str(results)], check=True, capture_output=True, text=True)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["way"] for r in records] == ["plain", "default"]
    assert all(r["status"] == "optimal" and r["agrees_with_plain"] for r in records)
    assert records[1]["route"] and records[1]["peak_rss_mib"] > 0
    assert {"commit", "date", "machine", "parameters", "solve_seconds"} <= set(records[1])
    table = subprocess.run([sys.executable, script, "table", str(results)], check=True,
                           capture_output=True, text=True).stdout
    assert "| tiny_no_options | 10 | 0 | 1 |" in table
    assert "geometric mean" in table


def test_a_workbook_from_other_code_or_parameters_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A family measured on workbooks that an older generator wrote is another family
    under the same names (it happened: eight shapes' gaps and every shape's demand)."""
    name = "tiny_no_options"
    _write(tmp_path, [name, "tiny_integer"])
    assert stale(tmp_path, list(SHAPES)) == []  # (a shape not written is not stale)
    made = json.loads((tmp_path / "made_by.json").read_text())
    assert made == {name: made_by(name), "tiny_integer": made_by("tiny_integer")}
    made[name] = "0" * 16  # as if written by other code
    (tmp_path / "made_by.json").write_text(json.dumps(made))
    assert stale(tmp_path, [name, "tiny_integer"]) == [name]
    script = str(ROOT / "benchmarks" / "shapes.py")
    refused = subprocess.run([sys.executable, script, "run", str(tmp_path), "--only", name,
                              "--ways", "default", "--results", str(tmp_path / "r.jsonl")],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and not (tmp_path / "r.jsonl").exists()
    assert f"{name}: not written by this shape_family.py" in refused.stderr
    before = made_by(name)  # the parameters count as well as the code
    monkeypatch.setitem(SHAPES, name, dataclasses.replace(SHAPES[name], mip_gap=0.01))
    assert made_by(name) != before
