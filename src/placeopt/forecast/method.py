"""The assumptions of the cohort model, each a parameter with its default.

Kept apart from the model (no numpy here) so that the command line can offer them as
options without loading the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .ages import AGES

TRENDS = ("constant", "damped")
SHARE_TRENDS = ("constant", "damped", "pooled")


def _param(default: object, help: str) -> object:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Method:
    """Every assumption of the projection, each with its default."""

    window: int = _param(3, "year-on-year ratios averaged: the last this many pairs of "
                            "years that the history has")
    trend: str = _param("constant", "constant: ratios and entry rates stay at their window "
                                    "value (mean of the ratios, latest entry rate); damped: "
                                    "their least-squares trend over the window continues, "
                                    "damped each year by `damping`")
    damping: float = _param(0.8, "damping factor of a damped trend, 0..1 (0 = no trend)")
    pooling: float = _param(0.5, "weight of England's ratios in each ratio, 0..1 (0 = the "
                                 "authority's own, 1 = England's); England's alone where the "
                                 "authority has none")
    entry_age: int = _param(4, "ages up to this are entrants, a rate of the population of "
                               "that age (SEN2's 'under 3', 3 and 4 by default: Reception is "
                               "4); older ages come from the cohort a year younger")
    share_trend: str = _param("pooled", "pooled: each level's share of plans (specialist "
                                        "places as one group) moves by its year-on-year ratio, "
                                        "pooled with England's as the plans are and averaged "
                                        "over the window, damped each year by `damping`; "
                                        "constant: each age's shares stay at the latest "
                                        "year's; damped: the authority's all-ages shares keep "
                                        "their least-squares trend, damped")
    interval: float = _param(0.8, "coverage of the low-high interval (0.8: from the 10th to "
                                  "the 90th percentile of the calibrated errors)")

    def __post_init__(self) -> None:
        checks = [
            (self.window >= 1, "window must be a whole number of years >= 1"),
            (self.trend in TRENDS, f"trend must be one of {', '.join(TRENDS)}"),
            (self.share_trend in SHARE_TRENDS,
             f"share_trend must be one of {', '.join(SHARE_TRENDS)}"),
            (0 <= self.damping <= 1, "damping must be between 0 and 1"),
            (0 <= self.pooling <= 1, "pooling must be between 0 and 1"),
            (AGES[0] <= self.entry_age < AGES[-1],
             f"entry_age must be between {AGES[0]} and {AGES[-1] - 1}"),
            (0 < self.interval < 1, "interval must be between 0 and 1 (e.g. 0.8)"),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise ValueError("; ".join(problems))

    def label(self) -> str:
        """'default', or the parameters that differ from the defaults."""
        changed = [f"{f.name} {getattr(self, f.name)}" for f in fields(self)
                   if getattr(self, f.name) != f.default]
        return ", ".join(changed) or "default"

    def rows(self) -> list[tuple[str, object, object, str]]:
        """(parameter, value, default, meaning) for the method sheet and the docs."""
        return [(f.name, getattr(self, f.name), f.default, f.metadata["help"])
                for f in fields(self)]


DEFAULT_METHOD = Method()
