"""Small-number suppression for reports that leave the team (the PDF, the CSV): no count of
men or referrals small enough to point at someone, and no total that gives such a count away.

The rule, with ``threshold`` = ``REPORT_SUPPRESS_BELOW`` (5 unless configured):
1. Primary: a count from 1 to threshold - 1 shows as "fewer than 5". 0 stays 0.
2. Secondary: the report's figures are tied by sums ("relations"): a total and the cells that
   add up to it. Whenever a relation has exactly one hidden cell, its value could be worked
   out from the others, so one more of its cells is hidden too: the smallest non-zero shown
   cell among those that add up (the total only if none is left), shown as "withheld" (it is
   at least the threshold). This repeats until no relation has exactly one hidden cell.
   Cells the report does not print but that follow from printed ones (referrals made but not
   sent = made - sent; the total of referrals, which both the service table and the quarters
   add up to) take part like any other, so they are protected too.
   The relations: a service or pathway row (made = sent + not sent; sent = accepted + declined
   + could not contact + unanswered); each pathway cell = the sum of its services' cells; the
   quarters' referrals and acceptances = the services' totals; the funnel's list = attended +
   each reason for not attending, and = eligible + released early + transferred; with a
   single service in the report, the men referred, sent and accepted = its referrals.
3. A rate is withheld when its numerator or denominator is hidden; a median of working days
   when it is worked out over a hidden count or fewer than ``threshold`` referrals.
Volunteer hours are not suppressed: they are about volunteers, not the men, and funders need
them exact. The gap between two nested funnel steps (say attended 40, seen 37) is not a figure
of the report and is not protected; the steps are the study's published shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .figures import Report, ServiceRow

SMALL, WITHHELD = "small", "withheld"
WITHHELD_TEXT = "withheld"
ROW_CELLS = ("made", "sent", "not_sent", "accepted", "declined", "no_contact", "unanswered")
ANSWERS = ("accepted", "declined", "no_contact", "unanswered")


@dataclass(frozen=True)
class Relation:
    """A shown or derivable total and the cells that add up to it (all by key)."""

    total: str
    parts: tuple[str, ...]


def configured_threshold() -> int:
    """The app's threshold: counts below it (and above 0) are hidden."""
    return int(current_app.config["REPORT_SUPPRESS_BELOW"])


def small_text(threshold: int) -> str:
    """What a hidden small count shows: "fewer than 5"."""
    return f"fewer than {threshold}"


def primary(cells: dict[str, int], threshold: int) -> dict[str, str]:
    """The cells hidden for being small (1 to threshold - 1), by key."""
    return {key: SMALL for key, value in cells.items() if 0 < value < threshold}


def _next_to_hide(relation: Relation, cells: dict[str, int], hidden: dict) -> str | None:
    """The cell to hide so the relation's one hidden cell cannot be worked out: its smallest
    non-zero shown part, else its total; None if it is already safe."""
    keys = (relation.total, *relation.parts)
    if sum(key in hidden for key in keys) != 1:
        return None
    shown = [key for key in relation.parts if key not in hidden and cells[key] > 0]
    if not shown and relation.total not in hidden and cells[relation.total] > 0:
        shown = [relation.total]
    return min(shown, key=lambda key: cells[key]) if shown else None


def protect(cells: dict[str, int], relations: list[Relation], threshold: int) -> dict[str, str]:
    """Every hidden cell, by key: SMALL (primary) or WITHHELD (secondary, see the module)."""
    hidden = primary(cells, threshold)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            key = _next_to_hide(relation, cells, hidden)
            if key is not None:
                hidden[key] = WITHHELD
                changed = True
    return hidden


def _row_cells(prefix: str, row: ServiceRow) -> dict[str, int]:
    """A service or pathway row's cells, the derivable "not sent" included."""
    values = {name: getattr(row, name) for name in ROW_CELLS if name != "not_sent"}
    return {f"{prefix}.{name}": value for name, value in
            {**values, "not_sent": row.made - row.sent}.items()}


def _row_relations(prefix: str) -> list[Relation]:
    """made = sent + not sent; sent = the answers + unanswered."""
    return [Relation(f"{prefix}.made", (f"{prefix}.sent", f"{prefix}.not_sent")),
            Relation(f"{prefix}.sent", tuple(f"{prefix}.{name}" for name in ANSWERS))]


def _tables(report: Report) -> tuple[dict[str, int], list[Relation]]:
    """The cells and relations of the service, pathway and quarter tables."""
    cells, relations = {}, []
    for index, row in enumerate(report.by_service):
        cells |= _row_cells(f"s{index}", row)
        relations += _row_relations(f"s{index}")
    for index, row in enumerate(report.by_pathway):
        cells |= _row_cells(f"p{index}", row)
        relations += _row_relations(f"p{index}")
        relations += [Relation(f"p{index}.{name}", tuple(f"s{part}.{name}" for part in row.parts))
                      for name in ROW_CELLS]
    for name, column in (("made", "referrals"), ("accepted", "accepted")):
        cells[f"all.{name}"] = sum(getattr(row, name) for row in report.by_service)
        relations.append(Relation(f"all.{name}", tuple(
            f"s{index}.{name}" for index in range(len(report.by_service)))))
        relations.append(Relation(f"all.{name}", tuple(
            f"q{index}.{column}" for index in range(len(report.over_time)))))
    for index, row in enumerate(report.over_time):
        cells |= {f"q{index}.{name}": getattr(row, name)
                  for name in ("referrals", "accepted", "job_starts")}
    return cells, relations


def _funnel(report: Report) -> tuple[dict[str, int], list[Relation]]:
    """The cells and relations of the funnel and the reasons for not attending."""
    funnel = report.funnel
    cells = {f"f.{step.key}": step.count for step in funnel.steps}
    cells |= {f"na.{reason}": count for reason, count in funnel.not_attended}
    cells["declined_everything"] = funnel.declined_everything
    gone = tuple(f"na.{reason}" for reason in ("Released early", "Transferred")
                 if f"na.{reason}" in cells)
    relations = [Relation("f.on_list", ("f.attended", *(f"na.{reason}" for reason, _ in
                                                        funnel.not_attended))),
                 Relation("f.on_list", ("f.eligible", *gone))]
    if len(report.by_service) == 1:
        relations += [Relation(f"f.{step}", (f"s0.{column}",)) for step, column in
                      (("referred", "made"), ("sent", "sent"), ("accepted", "accepted"))]
    return cells, relations


def hidden_cells(report: Report, threshold: int) -> dict[str, str]:
    """Which of the report's cells a shared copy hides, by key (see ``_tables``/``_funnel``)."""
    funnel_cells, funnel_relations = _funnel(report)
    table_cells, table_relations = _tables(report)
    return protect(funnel_cells | table_cells, funnel_relations + table_relations, threshold)


class _Texts:
    """Turns keys into what a shared copy shows."""

    def __init__(self, cells: dict[str, int], hidden: dict[str, str], threshold: int):
        self.cells, self.hidden, self.threshold = cells, hidden, threshold

    def count(self, key: str, value: int) -> str:
        """The count, "fewer than 5" or "withheld"."""
        state = self.hidden.get(key)
        if state is None:
            return str(value)
        return small_text(self.threshold) if state == SMALL else WITHHELD_TEXT

    def derived(self, text: str, *keys: str) -> str:
        """A rate or median worked out from these cells: withheld if any is hidden."""
        return WITHHELD_TEXT if any(key in self.hidden for key in keys) else text


def shared_texts(report: Report, threshold: int | None = None) -> dict:
    """The report's figures as a shared copy shows them (the same shape as
    ``presentation.exact_texts``, plus "no_contact" in the service and pathway rows)."""
    from . import presentation  # it imports this module for its shared view

    threshold = configured_threshold() if threshold is None else threshold
    funnel_cells, _ = _funnel(report)
    table_cells, _ = _tables(report)
    texts = _Texts(funnel_cells | table_cells, hidden_cells(report, threshold), threshold)
    shown = presentation.exact_texts(report)
    previous = None
    for step, text in zip(report.funnel.steps, shown["funnel"], strict=True):
        key = f"f.{step.key}"
        text["count"] = texts.count(key, step.count)
        text["rate"] = texts.derived(text["rate"], key, *([previous] if previous else []))
        previous = key
    for (reason, count), text in zip(report.funnel.not_attended, shown["not_attended"],
                                     strict=True):
        text["count"] = texts.count(f"na.{reason}", count)
    shown["declined_everything"] = texts.count("declined_everything",
                                               report.funnel.declined_everything)
    for prefix, rows, key in (("s", report.by_service, "by_service"),
                              ("p", report.by_pathway, "by_pathway")):
        shown[key] = [_shared_row(f"{prefix}{index}", row, text, texts)
                      for index, (row, text) in enumerate(zip(rows, shown[key], strict=True))]
    for index, (row, text) in enumerate(zip(report.over_time, shown["over_time"], strict=True)):
        for name in ("referrals", "accepted", "job_starts"):
            text[name] = texts.count(f"q{index}.{name}", getattr(row, name))
    return shown


def _shared_row(prefix: str, row: ServiceRow, text: dict, texts: _Texts) -> dict:
    """A service or pathway row as a shared copy shows it."""
    for name in ROW_CELLS:
        if name != "not_sent":
            text[name] = texts.count(f"{prefix}.{name}", getattr(row, name))
    text["acceptance_rate"] = texts.derived(text["acceptance_rate"], f"{prefix}.accepted",
                                            f"{prefix}.sent")
    answered = row.sent - row.unanswered
    text["median_days_to_answer"] = (
        WITHHELD_TEXT if 0 < answered < texts.threshold
        else texts.derived(text["median_days_to_answer"], f"{prefix}.sent",
                           f"{prefix}.unanswered"))
    text["median_days_to_first_contact"] = (
        WITHHELD_TEXT if 0 < row.accepted < texts.threshold
        else texts.derived(text["median_days_to_first_contact"], f"{prefix}.accepted"))
    return text
