"""The optimisation: journeys, the instance over allowed arcs, the formulation of SPEC §2,
solving with HiGHS, and the results of SPEC §4 as tables and a summary.

Reads `Inputs` from the workbook wing; knows nothing of reports or the terminal.
"""

from .formulation import Formulation, formulate
from .instance import Instance, compile_instance
from .results import Results, summarise
from .solve import Solved, SolverSettings, solve

__all__ = ["Formulation", "Instance", "Results", "Solved", "SolverSettings",
           "compile_instance", "formulate", "solve", "summarise"]
