"""A report as people see it: every figure as text, the charts, and the CSV rows, built from a
``figures.Report`` as plain values (so the printing service can take them as they are).

Two views of the same figures:
- **exact**, for the organiser's own screen: every count as it is;
- **shared**, for anything that leaves the team (the PDF, the CSV, and the preview of them on
  screen): small numbers hidden by ``suppression`` (counts 1 to 4 as "fewer than 5", and
  secondary suppression so a total cannot give a hidden cell away).

Charts are drawn from the same texts: a count the shared view hides has no bar, only its text.
Rates are "38%" or "–" (no denominator), never "nan%".
"""

import base64
import math

from . import charts, suppression
from .figures import DEFINITIONS, Report

RATE_DEFINITION = "Share of the step before"
EXACT_NOTE = "Exact figures: for your team only. Downloads hide numbers under {threshold}."
SHARED_NOTE = ("Shared view, as in the PDF and CSV downloads: numbers from 1 to {largest} show "
               "as \u201cfewer than {threshold}\u201d, and a figure that would reveal one "
               "shows as \u201cwithheld\u201d.")
SERVICE_COLUMNS = {"made": "Referrals made", "sent": "Sent", "accepted": "Accepted",
                   "declined": "Declined", "no_contact": "Could not contact",
                   "unanswered": "Unanswered",
                   "acceptance_rate": "Acceptance rate",
                   "median_days_to_answer": "Median working days to an answer",
                   "median_days_to_first_contact": "Median working days to first contact"}
# Each column's definition, from the figures' own (one wording, on the page and in the README).
COLUMN_DEFINITIONS = {column: DEFINITIONS[key] for column, key in (
    ("made", "made"), ("sent", "sent_referrals"), ("accepted", "accepted_referrals"),
    ("declined", "declined"), ("no_contact", "no_contact"), ("unanswered", "unanswered"),
    ("acceptance_rate", "acceptance_rate"),
    ("median_days_to_answer", "median_days_to_answer"),
    ("median_days_to_first_contact", "median_days_to_first_contact"))}


def percent(rate: float | None) -> str:
    """A rate as a whole percentage ("38%"), or "–" when it has no denominator."""
    if rate is None or math.isnan(rate):
        return "–"
    return f"{rate:.0%}"


def days(value: float | None) -> str:
    """A median number of working days ("4" or "4.5"), or "–" when there is none."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:g}"


def figures(report: Report, shared: bool) -> dict:
    """Every figure of the report as plain text, the exact or the shared view."""
    texts = suppression.shared_texts(report) if shared else exact_texts(report)
    return {"title": report.title, "empty": report.empty, "shared": shared,
            "view_note": view_note(shared), **texts,
            "service_columns": SERVICE_COLUMNS, "column_definitions": COLUMN_DEFINITIONS,
            "hours_by_organisation": hours_by_organisation(report),
            "declined_definition": DEFINITIONS["declined_everything"],
            "hours_definition": DEFINITIONS["volunteer_hours"]}


def view_note(shared: bool) -> str:
    """What the page says about the view it shows, with the configured threshold."""
    threshold = suppression.configured_threshold()
    return (SHARED_NOTE if shared else EXACT_NOTE).format(threshold=threshold,
                                                          largest=threshold - 1)


def exact_texts(report: Report) -> dict:
    """The figures exactly as counted, as text."""
    funnel = report.funnel
    return {
        "funnel": [{"key": step.key, "label": step.label, "definition": step.definition,
                    "count": str(step.count), "rate": percent(step.rate)}
                   for step in funnel.steps],
        "not_attended": [{"reason": reason, "count": str(count)}
                         for reason, count in funnel.not_attended],
        "declined_everything": str(funnel.declined_everything),
        "by_service": [_service_row(row) for row in report.by_service],
        "by_pathway": [_service_row(row) for row in report.by_pathway],
        "volunteer_hours": [{"organisation": row.organisation, "visit": row.visit_label,
                             "volunteers": str(row.volunteers), "hours": f"{row.hours:g}"}
                            for row in report.volunteer_hours],
        "over_time": [{"period": row.period, "referrals": str(row.referrals),
                       "accepted": str(row.accepted), "job_starts": str(row.job_starts)}
                      for row in report.over_time]}


def hours_by_organisation(report: Report) -> list[dict]:
    """Volunteer hours summed by organisation over the report's visits, for the page and the
    PDF (a row per visit, as the CSV has, would run to pages over five years)."""
    totals: dict[str, list] = {}
    for row in report.volunteer_hours:
        visits, days, hours = totals.setdefault(row.organisation, [0, 0, 0.0])
        totals[row.organisation] = [visits + 1, days + row.volunteers, hours + row.hours]
    return [{"organisation": name, "visits": str(visits), "volunteer_days": str(days),
             "hours": f"{hours:g}"} for name, (visits, days, hours) in sorted(totals.items())]


def _service_row(row) -> dict:
    """One service's (or pathway's) figures as text."""
    return {"name": row.name, "made": str(row.made), "sent": str(row.sent),
            "accepted": str(row.accepted), "declined": str(row.declined),
            "no_contact": str(row.no_contact), "unanswered": str(row.unanswered),
            "acceptance_rate": percent(row.acceptance_rate),
            "median_days_to_answer": days(row.median_days_to_answer),
            "median_days_to_first_contact": days(row.median_days_to_first_contact)}


def _count(value: int, text: str) -> charts.Count:
    """The count as a chart draws it: its bar only when its text is the number itself."""
    return charts.Count(value if text == str(value) else None, text)


def report_charts(report: Report, shown: dict) -> list[dict]:
    """The three charts, drawn from the figures as shown (so a hidden count draws no bar)."""
    funnel = charts.funnel_chart([
        (step.label, _count(step.count, text["count"]))
        for step, text in zip(report.funnel.steps, shown["funnel"], strict=True)])
    acceptance = charts.acceptance_chart([
        (row.name, _count(row.sent, text["sent"]), _count(row.accepted, text["accepted"]))
        for row, text in zip(report.by_service, shown["by_service"], strict=True)])
    over_time = charts.over_time_chart([
        (row.period, _count(row.accepted, text["accepted"]),
         _count(row.job_starts, text["job_starts"]))
        for row, text in zip(report.over_time, shown["over_time"], strict=True)])
    return [_chart("funnel", "The funnel", funnel),
            _chart("acceptance", "Acceptance by service", acceptance),
            _chart("over-time", "Outcomes over time", over_time)]


def _chart(key: str, heading: str, chart: charts.Chart) -> dict:
    """A chart as plain values: its SVG to print inline, the same SVG as a data URL for the
    page (the page's CSP forbids the inline styles matplotlib writes), and its description."""
    encoded = base64.b64encode(chart.svg.encode()).decode("ascii")
    return {"key": key, "heading": heading, "svg": chart.svg, "description": chart.description,
            "data_url": f"data:image/svg+xml;base64,{encoded}"}


def page(report: Report, shared: bool) -> dict:
    """The figures and the charts of one view of the report."""
    shown = figures(report, shared)
    return {**shown, "charts": report_charts(report, shown)}


def csv_rows(shown: dict) -> list[list[str]]:
    """The shared figures as CSV, one figure a row: section, item, measure, value."""
    rows = [["Report", shown["title"], "", ""]]
    rows += [["Funnel", step["label"], "Men", step["count"]] for step in shown["funnel"]]
    rows += [["Funnel", step["label"], RATE_DEFINITION, step["rate"]]
             for step in shown["funnel"]]
    rows.append(["Funnel", "Declined everything", "Men", shown["declined_everything"]])
    rows += [["Not attended", item["reason"], "Men", item["count"]]
             for item in shown["not_attended"]]
    for section, key in (("By service", "by_service"), ("By pathway", "by_pathway")):
        rows += [[section, row["name"], label, row[column]]
                 for row in shown[key] for column, label in SERVICE_COLUMNS.items()]
    rows += [["Outcomes by quarter", row["period"], label, row[column]]
             for row in shown["over_time"]
             for column, label in (("referrals", "Referrals made"), ("accepted", "Accepted"),
                                   ("job_starts", "Job starts"))]
    rows += [["Volunteer hours", f"{row['organisation']}, {row['visit']}", label, row[column]]
             for row in shown["volunteer_hours"]
             for column, label in (("volunteers", "Volunteers"), ("hours", "Hours"))]
    return [["Section", "Item", "Measure", "Value"], *rows]
