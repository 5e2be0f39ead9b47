"""The forecast's report: one self-contained HTML page with a fan chart per measure."""

from __future__ import annotations

import io
from html import escape
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from .demand import MEASURE_NAMES, Forecast
from .sheets import interval_lines, method_lines, ratio_rows

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
h1 { color: #1f4e78; } table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #1f4e78; color: white; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1rem 0; } figcaption { font-size: 0.85rem; color: #555; }
svg { max-width: 100%; height: auto; }
"""


def fan_chart(forecast: Forecast, measure: str) -> str:
    """SVG: the SEN2 counts, the central projection and the low-high band."""
    summary = forecast.summary(from_base=True)
    part = summary[summary["measure"] == measure]
    observed = forecast.observed()
    seen = observed[(observed["measure"] == measure)].dropna()
    figure = Figure(figsize=(7.5, 3.6))
    ax = figure.subplots()
    origins = forecast.projection.error_model.origins
    ax.fill_between(part["year"], part["low"], part["high"], color="#9ecae1", alpha=0.6,
                    label=f"{forecast.projection.method.interval:.0%} band, calibrated on the "
                          f"method's errors from January {min(origins) + 1}-{max(origins) + 1}")
    ax.plot(part["year"], part["central"], color="#1f4e78", lw=2, label="projection")
    ax.plot(seen["year"], seen["plans"], "o-", color="#333333", ms=4, label="SEN2 count")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("pupils with an EHC plan")
    ax.set_title(f"{measure}: {MEASURE_NAMES[measure]}", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(figure)


def _svg(figure: Figure) -> str:
    """The figure as inline SVG, the same bytes every time."""
    figure.tight_layout()
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "placeopt-forecast"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def coverage_chart(coverage: pd.DataFrame) -> str:
    """SVG: the 80% band's coverage by years ahead, one line per judged origin (each
    calibrated on the errors known there), beside the 75-85% target."""
    figure = Figure(figsize=(8, 3.4))
    axes = figure.subplots(1, 2, sharey=True)
    for ax, measure, title in zip(axes, ("total", "specialist"),
                                  ("all plans", "specialist places"), strict=True):
        ax.axhspan(0.75, 0.85, color="#c7e9c0", alpha=0.6, label="target 75-85%")
        ax.axhline(0.8, color="#31a354", lw=1, ls="--")
        part = coverage[coverage["measure"] == measure]
        for (judged, origin), line in part.groupby(["judged", "origin"], sort=False):
            held = judged == "hold-out"
            fitted = int(line["calibrated_on"].iloc[0])
            label = (f"{'hold-out: ' if held else ''}from January {origin + 1} "
                     f"({fitted} earlier origin{'s' if fitted > 1 else ''})")
            ax.plot(line["years_ahead"], line["coverage"], "o-" if held else "o--",
                    lw=2.5 if held else 1.2, color="#1f4e78" if held else None, label=label)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("years ahead")
        ax.set_xticks(sorted(part["years_ahead"].unique()))
        ax.set_ylim(0.4, 1.0)
        ax.grid(alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylabel("share of counts inside the 80% band")
    axes[1].legend(loc="lower left", frameon=False, fontsize=8)
    return _svg(figure)


def _table(rows: list[list[object]]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>"
                                    for c in row) + "</tr>" for row in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def page(forecast: Forecast) -> str:
    history = forecast.projection.history
    method = forecast.projection.method
    measures = ["all plans" if p == "any" else p for p in forecast.provision]
    if "all plans" not in measures:
        measures.append("all plans")
    caption = escape(interval_lines(forecast)[0])
    charts = "".join(f"<figure>{fan_chart(forecast, m)}<figcaption>{caption}</figcaption>"
                     f"</figure>" for m in measures)
    summary = forecast.summary()
    table = [["measure", "year", "low", "central", "high"]] + [
        [r.measure, r.year, f"{r.low:,.1f}", f"{r.central:,.1f}", f"{r.high:,.1f}"]
        for r in summary[summary["measure"].isin(measures)].itertuples()]
    parameters = [["parameter", "value", "default", "meaning"]] + [
        [name, value, default, meaning] for name, value, default, meaning in method.rows()]
    lines = "".join(f"<p>{escape(text)}</p>" for text in method_lines(forecast))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Demand forecast: {escape(str(history.authority))}</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<h1>Demand forecast: {escape(str(history.authority))}</h1>{lines}"
            f"<h2>Fan charts</h2>{charts}<h2>Figures</h2>{_table(table)}"
            f"<h2>Parameters</h2>{_table(parameters)}"
            f"<h2>Ratios</h2>{_table(ratio_rows(forecast))}"
            f"<p>placeopt forecast; method and equations: docs/forecast.md.</p></body></html>")


def write_report(forecast: Forecast, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(forecast), encoding="utf-8")
    return path
