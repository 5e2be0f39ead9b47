"""The whole route's instance solved in both forms of the build decisions (decision 0009).

    python benchmarks/open_by_forms.py FAMILY_DIR TIME_LIMIT [shape,shape,...]

For each workbook of a shape family (`shapes.py generate`), the plan as one HiGHS MIP on
the instance the whole route solves (dominated arcs pruned), once in y ("open by year t",
what placeopt gives HiGHS) and once in b ("opens in year t", SPEC §2's own variables),
at the shape's gap and with the objective folded as the whole route folds it. Prints one
JSON line per shape: seconds, status and objective of each form (the measured lines:
open_by_forms.jsonl).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from plain_model import solve_plain

from placeopt.case import build_case
from placeopt.model.formulation import formulate
from placeopt.model.instance import compile_instance


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    family, limit = Path(sys.argv[1]), float(sys.argv[2])
    names = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    for workbook in sorted(family.glob("*.xlsx")):
        if names and workbook.stem not in names:
            continue
        case = build_case(workbook)
        instance = compile_instance(case.inputs)
        record: dict = {"shape": workbook.stem}
        for form, open_by in (("y", True), ("b", False)):
            solved = solve_plain(instance, mip_gap=case.settings.mip_gap, time_limit=limit,
                                 threads=case.settings.threads,
                                 formulation=formulate(instance, open_by=open_by))
            record |= {form: round(solved.seconds, 2), f"{form}_status": solved.status,
                       f"{form}_obj": solved.objective}
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
