"""The formulation as HiGHS takes it, by either engine (docs/decisions/0002).

`direct` stacks the formulation's sparse row blocks into one matrix (the default: well
under a second at local-authority scale); `pyomo` writes it as a Pyomo model and
compiles that with Pyomo's standard-form compiler (about 15 s at that scale; the tests
check both give the same plans). Pyomo may drop or reorder columns and rows, so each
form carries the way back to the formulation's own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .formulation import Formulation, to_pyomo


@dataclass(frozen=True)
class MatrixForm:
    """The model as HiGHS takes it, with the way back to the formulation's columns."""

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    column_of: np.ndarray  # formulation column of each HiGHS column
    capacity_rows: np.ndarray  # HiGHS row of each capacity row of the formulation (-1: none)
    build_seconds: float
    row_of: np.ndarray  # HiGHS row of each (stacked) formulation row (-1: none)


def direct_matrix(formulation: Formulation) -> MatrixForm:
    """Stack the formulation's row blocks straight into one CSC matrix."""
    started = time.perf_counter()
    columns = formulation.columns
    matrix, row_lower, row_upper = formulation.stacked()
    return MatrixForm(
        cost=columns.cost, offset=0.0, col_lower=columns.lower, col_upper=columns.upper,
        integer=columns.integer, matrix=matrix.tocsc(), row_lower=row_lower,
        row_upper=row_upper, column_of=np.arange(formulation.layout.n_columns),
        capacity_rows=formulation.block_rows("capacity"),
        build_seconds=time.perf_counter() - started, row_of=np.arange(len(row_lower)))


def pyomo_matrix(formulation: Formulation) -> MatrixForm:
    """Write the formulation as a Pyomo model, then compile that with Pyomo's
    standard-form compiler: slower, but checks the model as Pyomo sees it."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    started = time.perf_counter()
    model = to_pyomo(formulation)
    info = LinearStandardFormCompiler().write(model, mixed_form=True,
                                              column_order=model._flat_columns)
    position = {id(v): j for j, v in enumerate(model._flat_columns)}
    column_of = np.fromiter((position[id(v)] for v in info.columns), dtype=np.int64,
                            count=len(info.columns))
    where = {id(entry.constraint): r for r, entry in enumerate(info.rows)}
    component = getattr(model, "capacity", None)
    capacity = np.array([where.get(id(component[i]), -1) for i in range(len(component))]
                        if component is not None else [], dtype=np.int64)
    bound_type = np.array([r.bound_type for r in info.rows], dtype=int)
    rhs = np.asarray(info.rhs, dtype=float)
    return MatrixForm(
        cost=np.asarray(info.c.toarray()).ravel() if len(column_of) else np.zeros(0),
        offset=float(np.sum(info.c_offset)) if len(info.c_offset) else 0.0,
        col_lower=np.array([v.lb if v.lb is not None else -np.inf for v in info.columns]),
        col_upper=np.array([v.ub if v.ub is not None else np.inf for v in info.columns]),
        integer=np.array([v.is_integer() for v in info.columns], dtype=bool),
        matrix=info.A.tocsc(),
        # Pyomo's mixed form: bound_type 0 is '=', 1 is '<=', -1 is '>=' (rhs either way).
        row_lower=np.where(bound_type <= 0, rhs, -np.inf),
        row_upper=np.where(bound_type >= 0, rhs, np.inf),
        column_of=column_of, capacity_rows=capacity,
        build_seconds=time.perf_counter() - started,
        row_of=np.array([where.get(id(getattr(model, block.name)[i]), -1)
                         for block in formulation.rows for i in range(len(block))],
                        dtype=np.int64))


ENGINES = {"direct": direct_matrix, "pyomo": pyomo_matrix}
