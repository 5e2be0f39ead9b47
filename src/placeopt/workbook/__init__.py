"""The planner's workbook: declared (schema), read and checked (reader, validation),
changed by scenarios, written as template and example, and documented.

Knows nothing of the model: it turns a file into `Inputs` and back.
"""

from .inputs import Inputs, Source
from .reader import read_workbook
from .scenario_rows import BASE, scenario_names
from .scenarios import apply_scenario
from .template import write_template, write_workbook

__all__ = ["BASE", "Inputs", "Source", "apply_scenario", "read_workbook", "scenario_names",
           "write_template", "write_workbook"]
