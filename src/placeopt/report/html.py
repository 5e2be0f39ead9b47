"""report.html: the business case as one self-contained page.

Plots are matplotlib SVG inlined in the page, styles are in the page, and there is no
script, font, image or link to fetch: it opens offline and can be mailed as one file.
Every piece of text from the result folder passes through `html.escape`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from . import appraisal, capital
from . import content as rp
from . import inclusion as ri
from .formats import Table, additional_pupils, money_words, pupils_words, show
from .plots import label_line, money_axis, style_years

TOP_PROVIDERS = 10
UNMET_ROWS = 30

CSS = """
body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; color: #1a1a1a;
       margin: 0; background: #f4f6f8; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; background: white; padding: 24px 40px 48px; }
h1 { color: #1F4E79; margin-bottom: 0; }
h2 { color: #1F4E79; border-bottom: 2px solid #1F4E79; padding-bottom: 4px; margin-top: 40px; }
h3 { color: #1F4E79; margin: 22px 0 6px; font-size: 1.02em; }
.subtitle { color: #595959; margin-top: 4px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 18px 0; }
.card { background: #EAF1F8; border-left: 5px solid #1F4E79; padding: 10px 14px; }
.card .value { font-size: 1.7em; font-weight: 600; color: #1F4E79; }
.card .label { font-size: 0.88em; color: #333; }
.caution { background: #FFF4CE; border-left: 5px solid #C9A100; padding: 8px 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.86em; margin: 4px 0; }
th { background: #1F4E79; color: white; text-align: left; padding: 4px 8px;
     vertical-align: bottom; }
th span { display: inline-block; max-width: 11em; }
td { padding: 3px 8px; border-bottom: 1px solid #E1E5EA; }
th.n { text-align: right; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.source, .note { color: #595959; font-size: 0.82em; font-style: italic; margin-top: 2px; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.88em; }
table.years td:first-child { min-width: 17em; }
.keys { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
details summary { cursor: pointer; color: #1F4E79; margin: 10px 0; }
@media print { body { background: white; } main { padding: 0; } }
"""


def write_html(data: rp.ResultFolder, path: Path) -> None:
    path.write_text(page(data), encoding="utf-8")


def page(data: rp.ResultFolder) -> str:
    title = "SEND place planning: the business case"
    subtitle = " | ".join(p for p in (data.home_la, f"scenario {data.summary.get('scenario')}",
                                      f"workbook {data.summary.get('workbook')}",
                                      f"{data.years[0]} to {data.last_year}") if p)
    body = "\n".join(section(data) for section in (
        summary_section, costs_section, capital_section, inclusion_section, capacity_section,
        unmet_section, map_section, method_section, provenance_section))
    return (f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(' | '.join(p for p in (title, data.home_la) if p))}</title>\n"
            f"<style>{CSS}</style>\n"
            f"</head>\n<body>\n<main>\n<h1>{escape(title)}</h1>\n"
            f'<p class="subtitle">{escape(subtitle)}</p>\n{body}\n</main>\n</body>\n</html>\n')


def html_table(table: Table, limit: int | None = None) -> str:
    frame = table.frame if limit is None else table.frame.head(limit)
    numeric = {c: table.kind(0, c) != "text" for c in frame.columns} if len(frame) else {}
    head = "".join(f'<th{_n(numeric.get(c, False))}><span>{escape(str(c))}</span></th>'
                   for c in frame.columns)
    rows = []
    for i, values in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f"<td{_n(table.kind(i, c) != 'text' and not isinstance(v, str))}>"
            f"{escape(show(v, table.kind(i, c)))}</td>"
            for c, v in zip(frame.columns, values, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    more = (f'<p class="note">The first {limit} of {len(table.frame)} rows; all of them are in '
            "report.xlsx.</p>" if limit is not None and len(table.frame) > limit else "")
    source = f'<p class="source">Source: {escape(table.source)}</p>' if table.source else ""
    years = ' class="years"' if table.year_columns else ""  # its labels need room
    return (f"<h3>{escape(table.title)}</h3>\n<div class=\"scroll\"><table{years}><thead><tr>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}{source}")


def _n(numeric: bool) -> str:
    return ' class="n"' if numeric else ""


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f"<p>{escape(line)}</p>" for line in lines)


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


# --- Sections ---------------------------------------------------------------------------


def summary_section(data: rp.ResultFolder) -> str:
    s = data.summary
    plan, base, saved = s["plan"], s["baseline"], s["savings"]
    payback = saved["payback_year"]
    rate = data.discount_rate
    cards = [
        (money_words(saved["npv"]),
         f"net present value over the baseline ({len(data.years)} years, {rate:.1%}; "
         f"{appraisal.capital_basis(data)})"),
        (str(payback) if payback is not None else "none",
         f"payback year: it {appraisal.payback_phrase(saved)}"),
        (f"{base['out_of_area_pupils'][-1]:,.0f} → {plan['out_of_area_pupils'][-1]:,.0f}",
         f"pupils out of area in {data.last_year}, baseline → plan"),
        (money_words(saved["capital_cost_total"]),
         f"capital beyond the baseline ({capital.optimism_bias(data)})"),
    ]
    extra = sum(additional_pupils(data))
    if extra >= 0.0005:
        cards.append((f"+{pupils_words(extra)}",
                      "pupil-years placed that the baseline leaves unmet"))
    cards_html = "".join(f'<div class="card"><div class="value">{escape(v)}</div>'
                         f'<div class="label">{escape(label)}</div></div>'
                         for v, label in cards)
    status = rp.status_sentence(data)
    caution = f'<p class="caution">{escape(status)}</p>' if s.get("status") != "optimal" else ""
    lines = rp.story(data) + ([status] if not caution else [])
    return (f'<h2>In short</h2>\n{caution}<div class="cards">{cards_html}</div>\n'
            f"{_paragraphs(lines)}\n{html_table(rp.headline(data))}\n"
            f"{html_table(appraisal.key_figures(data))}")


def costs_section(data: rp.ResultFolder) -> str:
    by_type = "".join(html_table(rp.cost_by_type(data, case)) for case in ("baseline", "plan"))
    return (
        "<h2>Costs by year</h2>\n"
        + _figure(rp.figure_svg(plot_out_of_area(data), "out_of_area"),
                  "Out-of-area placements: cost (placements and transport) and pupils, by "
                  "year, in the baseline and the plan.")
        + _figure(rp.figure_svg(plot_cost_by_type(data), "by_type"),
                  "Placement and transport cost by provider type, baseline and plan, on the "
                  "same scale.")
        + _figure(rp.figure_svg(plot_cumulative(data), "cumulative"),
                  "Net saving of the plan over the baseline each year (revenue saving minus "
                  "the extra capital spent that year) and its running totals, in cash and "
                  "discounted: the plan pays back when a running total climbs above zero "
                  "for good.")
        + html_table(appraisal.cost_by_year(data)) + html_table(rp.pupils_by_year(data))
        + f"<details><summary>Cost by provider type, by year</summary>{by_type}</details>")


def capital_section(data: rp.ResultFolder) -> str:
    if data.expansions.empty:
        return "<h2>Capital programme</h2>\n<p>The workbook proposes no options.</p>"
    funding = "".join(html_table(table) for table in (capital.funding_streams(data),
                                                       capital.funding_by_year(data))
                      if table is not None)
    return (f"<h2>Capital programme</h2>\n{html_table(capital.capital_programme(data))}\n"
            f"<p>{escape(capital.capital_note(data))}</p>\n{project_values_part(data)}"
            f"{funding}")


def inclusion_section(data: rp.ResultFolder) -> str:
    """The inclusion measures, beside the capital programme (none without them)."""
    tables = [t for t in (ri.measures_table(data), ri.worth_table(data),
                          ri.place_costs(data), ri.diverted_by_year(data)) if t is not None]
    if not tables:
        return ""
    return ("<h2>Inclusion measures</h2>\n" + _paragraphs(ri.measure_sentences(data))
            + "".join(html_table(t) for t in tables)
            + f'<p class="note">{escape(ri.inclusion_note(data))}</p>')


def project_values_part(data: rp.ResultFolder) -> str:
    """What each project is worth: a chart, the table and how to read them."""
    table = capital.project_values(data)
    notes = "".join(f'<p class="note">{escape(line)}</p>'
                    for line in capital.project_values_notes(data))
    if table is None:
        return f"<h3>What each project is worth</h3>\n{notes}"
    figure = _figure(rp.figure_svg(plot_project_values(table), "project_values"),
                     "What each project is worth to the plan: the NPV lost if a built "
                     "option alone were dropped, and the NPV change if an option left out "
                     "were built; the thin lines show how far each figure may be off, and a "
                     "figure within that tolerance of zero has no bar.")
    return figure + html_table(table) + notes


def capacity_section(data: rp.ResultFolder) -> str:
    return ("<h2>Capacity</h2>\n<p>What one more place would save each year, where settings "
            "are full. The full ranking is in report.xlsx (sheet Capacity), and utilisation "
            "by provider and year in its sheet Capacity by year.</p>\n"
            + html_table(rp.next_place(data), limit=TOP_PROVIDERS))


def unmet_section(data: rp.ResultFolder) -> str:
    parts = ["<h2>Unmet need</h2>", html_table(rp.unmet_by_year(data))]
    if data.unmet.empty:
        parts.append("<p>No pupil is left without a place in any year of the plan.</p>")
    else:
        parts.append(html_table(rp.unmet_detail(data), limit=UNMET_ROWS))
    return "\n".join(parts)


def map_section(data: rp.ResultFolder) -> str:
    from .map import draw_map, map_caption, why_no_map
    from .map_key import key_tables

    heading = "<h2>Where pupils travel out of area</h2>\n"
    if (reason := why_no_map(data)) is not None:
        return heading + f"<p>{escape(reason)}</p>"
    key = "".join(f'<div class="key">{html_table(table)}</div>' for table in key_tables(data))
    return (heading + _figure(rp.figure_svg(draw_map(data), "map"), map_caption(data))
            + f'<div class="keys">{key}</div>')


def method_section(data: rp.ResultFolder) -> str:
    parts = ["<h2>Method and assumptions</h2>"]
    for heading, text in rp.method(data):
        parts.append(f"<h3>{escape(heading)}</h3>\n<p>{escape(text)}</p>")
    return "\n".join(parts)


def provenance_section(data: rp.ResultFolder) -> str:
    warnings = data.summary.get("provenance", {}).get("warnings", [])
    items = "".join(f"<li>{escape(w)}</li>" for w in warnings) or "<li>None.</li>"
    return ("<h2>Provenance and parameters</h2>\n" + html_table(rp.provenance(data))
            + f"<h3>Warnings from the workbook checks</h3><ul>{items}</ul>"
            + f"<details><summary>Parameters in force</summary>{html_table(rp.parameters(data))}"
            "</details>")


# --- Plots ------------------------------------------------------------------------------


def plot_out_of_area(data: rp.ResultFolder) -> Figure:
    figure = Figure(figsize=(11, 3.6))
    cost, pupils = figure.subplots(1, 2)
    for case in ("baseline", "plan"):
        values = data.summary[case]
        style = {"color": "#" + rp.CASE_COLOURS[case], "marker": "o", "linewidth": 2.2,
                 "label": case.capitalize()}
        cost.plot(data.years, values["out_of_area_cost"], **style)
        pupils.plot(data.years, values["out_of_area_pupils"], **style)
    cost.set_title("Out-of-area cost", fontsize=11)
    cost.set_ylabel("£ a year")
    pupils.set_title("Out-of-area pupils", fontsize=11)
    pupils.set_ylabel("Pupils")
    for ax in (cost, pupils):
        style_years(ax, data.years)
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False)
    money_axis(cost.yaxis, [data.summary[c]["out_of_area_cost"] for c in ("baseline", "plan")])
    figure.tight_layout()
    return figure


def plot_cost_by_type(data: rp.ResultFolder) -> Figure:
    figure = Figure(figsize=(11, 4.2))
    axes = figure.subplots(1, 2, sharey=True)
    groups = sorted({(t, a) for t, a in zip(data.costs["provider_type"], data.costs["in_area"],
                                            strict=True)}, key=lambda g: rp.type_order(*g))
    tops = []
    for ax, case in zip(axes, ("baseline", "plan"), strict=True):
        table = rp.cost_by_type(data, case).frame.set_index("Provider type")
        bottom = np.zeros(len(data.years))
        for group in groups:
            values = table.loc[rp.type_label(*group), data.years].to_numpy(float)
            ax.bar(data.years, values, bottom=bottom, color="#" + rp.type_colour(*group),
                   label=rp.type_label(*group), width=0.7)
            bottom += values
        tops.append(bottom)
        ax.set_title(case.capitalize(), fontsize=11)
        style_years(ax, data.years)
    axes[0].set_ylabel("£ a year (placements and transport)")
    money_axis(axes[0].yaxis, tops)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5),
                  frameon=False, fontsize=9)
    figure.tight_layout()
    return figure


def plot_cumulative(data: rp.ResultFolder) -> Figure:
    """The yearly net saving (capital counted when spent) as bars, its running totals in
    cash and discounted as lines, and the payback marked above the plot."""
    table = appraisal.cost_by_year(data).frame.set_index("Measure")
    yearly = table.loc[appraisal.NET_SAVING, data.years].to_numpy(float)
    running = table.loc[appraisal.CUMULATIVE_CASH, data.years].to_numpy(float)
    discounted = table.loc[appraisal.CUMULATIVE_DISCOUNTED, data.years].to_numpy(float)
    figure = Figure(figsize=(11, 4.0))
    ax = figure.subplots()
    ax.bar(data.years, yearly, width=0.6, label="Net saving in the year (cash)",
           color=["#2CA02C" if v >= 0 else "#D62728" for v in yearly], alpha=0.75)
    ax.plot(data.years, running, color="#1F4E79", marker="o", linewidth=2.2,
            label="Running total, cash (payback)")
    ax.plot(data.years, discounted, color="#1F4E79", marker="o", linewidth=1.4,
            linestyle="--", label="Running total, discounted (discounted payback)")
    ax.axhline(0, color="black", linewidth=0.8)
    saved = data.summary["savings"]
    payback = saved["payback_year"] if appraisal.on_cash_basis(saved) else None
    if payback is not None:
        label_line(ax, payback - 0.5, f"pays back in {payback}, "
                                      f"{appraisal.WHEN_SPENT}")
    money_axis(ax.yaxis, [yearly, running, discounted])
    ax.set_ylabel("£")
    style_years(ax, data.years)
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    figure.tight_layout()
    return figure


def plot_project_values(table: Table) -> Figure:
    """Horizontal bars, one per option: built ones in the plan's colour; a figure within
    its tolerance of zero has no bar."""
    frame = table.frame

    def numbers(column: str) -> np.ndarray:
        return np.array([v if isinstance(v, int | float) else np.nan for v in frame[column]],
                        dtype=float)

    dropped, forced = numbers("NPV lost if dropped"), numbers("NPV change if built")
    value = np.where(np.isnan(dropped), forced, dropped)
    built = frame["NPV lost if dropped"].notna().to_numpy()
    figure = Figure(figsize=(11, 0.45 * len(frame) + 1.4))
    ax = figure.subplots()
    rows = np.arange(len(frame))
    ax.barh(rows, np.nan_to_num(value), xerr=frame["Give or take"].fillna(0).to_numpy(float),
            color=["#" + rp.CASE_COLOURS["plan" if b else "baseline"] for b in built],
            error_kw={"elinewidth": 0.8, "capsize": 2}, height=0.6)
    ax.set_yticks(rows, [rp.plot_text(o) for o in frame["Option"]], fontsize=9)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    money_axis(ax.xaxis, value[np.isfinite(value)])
    ax.set_xlabel("NPV lost if dropped (built) / NPV change if built (left out)")
    ax.grid(axis="x", color="#E1E5EA")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure.tight_layout()
    return figure
