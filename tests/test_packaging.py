"""What an installation without the repository holds: a planner's `pip install placeopt`
(a wheel) must forecast and serve the page as a clone does.

The package is laid out by setuptools' build_py from a copy of the project (the checkout
is left as it is): the files a wheel takes (the packages and their package data), without
needing the `wheel` package. Nothing is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD = "import setuptools; setuptools.setup()"


def test_an_installation_holds_the_data_placeopt_reads(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path / "lib"
    built = subprocess.run([sys.executable, "-c", BUILD, "build_py", "--build-lib", str(out)],
                           cwd=project, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    # the SEN2 cut `placeopt forecast` and the page's forecast read by default
    assert "placeopt/forecast/data/sen2_caseload.csv" in names
    assert "placeopt/forecast/data/sen2_needs_all_plans.csv" in names
    # the calibrated error model and the page itself
    assert "placeopt/forecast/error_model.json" in names
    assert any(n.startswith("placeopt/serve/static/") for n in names)
    # every file the package reads by its own path is in the wheel
    packaged = {p.relative_to(ROOT / "src").as_posix()
                for p in (ROOT / "src" / "placeopt").rglob("*")
                if p.is_file() and p.suffix in (".csv", ".json", ".html", ".js", ".css")}
    assert packaged <= names, sorted(packaged - names)
