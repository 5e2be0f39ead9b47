"""The optimisation: journeys, the instance over allowed arcs, the formulation of SPEC §2,
solving with HiGHS, and the results of SPEC §4 as tables and a summary.

Reads `Inputs` from the workbook wing; knows nothing of reports or the terminal.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .formulation import Formulation, formulate
    from .instance import Instance, compile_instance
    from .results import Results, summarise
    from .solve import Solved, SolverSettings, solve

# Imported when first asked for: the whole model's child process (model/apart.py) imports
# this package and must start in a fraction of a second, without pandas.
_HOME = {"Formulation": "formulation", "formulate": "formulation", "Instance": "instance",
         "compile_instance": "instance", "Results": "results", "summarise": "results",
         "Solved": "solve", "SolverSettings": "solve", "solve": "solve"}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Formulation", "Instance", "Results", "Solved", "SolverSettings",
           "compile_instance", "formulate", "solve", "summarise"]
