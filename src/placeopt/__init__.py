"""placeopt: optimisation of SEND school place planning in England.

Three wings: `workbook` (the planner's file), `model` (the optimisation) and `report`
(the business-case views); `case`, `run`, `frontier` and `cli` are the entry points.
"""

from .version import __version__

__all__ = ["__version__", "plan"]


def plan(workbook, scenario: str = "base", **options):
    """Solve one scenario of a planning workbook; see `placeopt.run.plan`."""
    from .run import plan as run_plan

    return run_plan(workbook, scenario, **options)
