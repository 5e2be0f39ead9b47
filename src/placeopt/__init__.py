"""placeopt: optimisation of SEND school place planning in England."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("placeopt")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"

__all__ = ["__version__", "plan"]


def plan(workbook, scenario: str = "base", **options):
    """Solve one scenario of a planning workbook; see `placeopt.run.plan`."""
    from .run import plan as run_plan

    return run_plan(workbook, scenario, **options)
