"""A model in the form HiGHS takes it (`highspy.HighsLp`), from sparse arrays."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp


def pass_lp(highs: Any, matrix: sp.spmatrix, cost: np.ndarray, col_lower: np.ndarray,
            col_upper: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray,
            integer: np.ndarray | None = None, offset: float = 0.0) -> None:
    """Give `highs` the model min cost.x + offset, row_lower <= A x <= row_upper,
    col_lower <= x <= col_upper, x integer where `integer` says so."""
    import scipy.sparse as sp

    matrix = sp.csc_matrix(matrix)
    pass_csc(highs, (matrix.indptr, matrix.indices, matrix.data), cost, col_lower,
             col_upper, row_lower, row_upper, integer, offset)


def pass_csc(highs: Any, csc: tuple[np.ndarray, np.ndarray, np.ndarray], cost: np.ndarray,
             col_lower: np.ndarray, col_upper: np.ndarray, row_lower: np.ndarray,
             row_upper: np.ndarray, integer: np.ndarray | None = None,
             offset: float = 0.0) -> None:
    """`pass_lp` from the matrix's column starts, row indices and values (no scipy: the
    whole model's child process, model/apart.py, builds its model this way).

    The arrays go to HiGHS as arrays (`Highs.passModel`'s array form). Filling a
    `HighsLp` field by field copied them element by element: 0.6 s for a model of
    600,000 columns, against 0.1 s this way (benchmarks/RESULTS.md)."""
    import highspy

    start, index, value = csc
    n_cols, n_rows = len(cost), len(row_lower)
    # HiGHS refuses an empty integrality array for a model with columns: all zeros
    # (continuous) is an LP to it, with its basis and duals.
    kinds = np.zeros(n_cols, dtype=np.int32) if integer is None \
        else np.asarray(integer, dtype=bool).astype(np.int32)  # 1: HighsVarType.kInteger
    value = np.asarray(value, dtype=float)
    status = highs.passModel(
        n_cols, n_rows, len(value), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), float(offset), _floats(cost), _floats(col_lower),
        _floats(col_upper), _floats(row_lower), _floats(row_upper),
        np.asarray(start, dtype=np.int32), np.asarray(index, dtype=np.int32), value, kinds)
    if status == highspy.HighsStatus.kError:
        raise ValueError(f"HiGHS refused a model of {n_cols} columns and {n_rows} rows")


def _floats(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=float)


def set_start(highs: Any, values: np.ndarray) -> None:
    """Give HiGHS a start solution (every column's value) for its next run."""
    import highspy

    solution = highspy.HighsSolution()
    solution.col_value = list(values)
    solution.value_valid = True
    highs.setSolution(solution)


@contextlib.contextmanager
def quiet_stdout(enabled: bool = True):
    """HiGHS prints its banner from C++ when the first one is made; keep it off our
    terminal."""
    if not enabled:
        yield
        return
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(verbose: bool = False, threads: int = 0,
              options: Iterable[tuple[str, Any]] = ()) -> Any:
    """A HiGHS instance, made quietly; its log on the terminal only if `verbose`; with
    any other `options` by name (ValueError for one HiGHS refuses)."""
    import highspy

    with quiet_stdout(not verbose):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", bool(verbose))
    if threads:
        highs.setOptionValue("threads", int(threads))
    for name, value in options:
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise ValueError(f"HiGHS refused option {name}={value!r}")
    return highs


def set_time_limit(highs: Any, seconds: float) -> None:
    """Let this run of `highs` go on for `seconds` more. HiGHS (1.16) measures its
    `time_limit` on a clock that keeps every earlier run of the instance: a year LP
    reused for the baseline and then the plan stopped the plan early, by the time the
    baseline had taken (England: 1,179 s of a 1,800 s limit). So the limit is set on
    that clock: its reading now, plus the seconds."""
    highs.setOptionValue("time_limit", float(highs.getRunTime()) + max(1e-3, float(seconds)))
