"""The model as it stands: the formulation with the bounds and rows in force.

One formulation is solved several times with small changes: the baseline holds the
options shut, a project value drops or forces one option, a frontier point lowers a
capital row, the marginal-value LP fixes the builds and drops integrality. `ModelState`
is the one record of those changes, in the formulation's own columns and rows. Every
route reads the model from it (`bounds`) and every solution is checked against it, so
the routes never hold a second truth of their own; a route that keeps a solver's copy
of the model brings it up to date from here before it solves (`version` tells when).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .formulation import Formulation
from .verify import Bounds


class ModelState:
    """Column bounds, integrality, row bounds and added rows in force (`bounds`)."""

    def __init__(self, formulation: Formulation):
        self.formulation = formulation
        columns = formulation.columns
        self._matrix, self.row_lower, self.row_upper = formulation.stacked()
        self.n_model_rows = len(self.row_lower)  # the formulation's own rows
        self.col_lower, self.col_upper = columns.lower.copy(), columns.upper.copy()
        self.integer = columns.integer.copy()
        self.added: list[tuple[np.ndarray, np.ndarray]] = []  # rows added: columns, values
        self.version = 0  # moves on with every change
        self._bounds: Bounds | None = None

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def n_columns(self) -> int:
        return self.formulation.layout.n_columns

    def _changed(self) -> None:
        self.version += 1
        self._bounds = None

    def _own(self) -> None:
        """Copy the arrays before a change if a `Bounds` handed out shares them (copy on
        write: at national size each is a hundred megabytes)."""
        if self._bounds is not None:
            self.col_lower, self.col_upper = self.col_lower.copy(), self.col_upper.copy()
            self.row_lower, self.row_upper = self.row_lower.copy(), self.row_upper.copy()
            self.integer = self.integer.copy()

    def set_bounds(self, flat: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """Column bounds of the given (formulation) columns."""
        flat = np.asarray(flat, dtype=np.int64)
        self._own()
        self.col_lower[flat] = lower
        self.col_upper[flat] = upper
        self._changed()

    def set_rows_upper(self, rows: np.ndarray, upper: np.ndarray | float) -> None:
        """Upper bounds of rows (stacked indices, added rows after the model's own) that
        have no lower bound: capital rows, rows added by `add_row`."""
        rows = np.asarray(rows, dtype=np.int64)
        self._own()
        self.row_upper[rows] = np.broadcast_to(np.asarray(upper, dtype=float), rows.shape)
        self._changed()

    def add_row(self, flat: np.ndarray, coefficients: np.ndarray, upper: float) -> int:
        """Add the row sum(coefficients * x[flat]) <= upper; returns its index."""
        self._own()
        self.added.append((np.asarray(flat, dtype=np.int64),
                           np.asarray(coefficients, dtype=float)))
        self.row_lower = np.append(self.row_lower, -np.inf)
        self.row_upper = np.append(self.row_upper, float(upper))
        self._changed()
        return self.n_rows - 1

    def relax_integrality(self) -> None:
        """Every column continuous: the LP relaxation (with builds fixed, the
        marginal-value LP)."""
        self._own()
        self.integer[:] = False
        self._changed()

    def bounds(self) -> Bounds:
        """The model as it stands: what the next solve solves and is checked against."""
        if self._bounds is None:
            matrix = self._matrix
            if self.added:
                extra = sp.csr_matrix(
                    (np.concatenate([v for _, v in self.added]),
                     (np.repeat(np.arange(len(self.added)), [len(c) for c, _ in self.added]),
                      np.concatenate([c for c, _ in self.added]))),
                    shape=(len(self.added), self.n_columns))
                matrix = sp.vstack([matrix, extra], format="csr")
            self._bounds = Bounds(matrix, self.row_lower, self.row_upper, self.col_lower,
                                  self.col_upper, self.integer, self.formulation.columns.cost)
        return self._bounds
