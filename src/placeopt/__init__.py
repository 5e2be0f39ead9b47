"""placeopt: optimisation of SEND school place planning in England.

Three wings: `workbook` (the planner's file), `model` (the optimisation) and `report`
(the business-case views); `case`, `run`, `frontier`, `batches` and `cli` are the entry
points.
"""

from .version import __version__

__all__ = ["__version__", "batch", "plan"]


def plan(workbook, scenario: str = "base", **options):
    """Solve one scenario of a planning workbook; see `placeopt.run.plan`."""
    from .run import plan as run_plan

    return run_plan(workbook, scenario, **options)


def batch(workbook, output=None, scenarios="all", **options):
    """Solve several scenarios of a workbook (or demand samples of them), one result
    folder each; returns the summary table (one row per scenario or sample). See
    `placeopt.batches.run.run_batch` for the options."""
    from .batches.run import run_batch

    return run_batch(workbook, output, scenarios, **options).table
