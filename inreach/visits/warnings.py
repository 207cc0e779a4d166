"""What an organiser should act on before the day, shown at the top of a visit's page."""

from collections import Counter
from datetime import date

from ..cohorts.placement import clashes
from ..roster.services import roster_rows
from .models import Visit
from .services import DEADLINE_NEAR_DAYS


def visit_warnings(visit: Visit, today: date) -> list[str]:
    """Deadline near or passed, volunteers not cleared, no sessions, and cohort clashes."""
    if visit.status not in ("draft", "confirmed") or visit.date < today:
        return []
    warnings = []
    days_left = (visit.gate_list_deadline - today).days
    deadline = f"{visit.gate_list_deadline:%A %d %B %Y}"
    if days_left < 0:
        warnings.append(f"The gate-list deadline ({deadline}) has passed. "
                        "Check with the prison that they have the list.")
    elif days_left <= DEADLINE_NEAR_DAYS:
        warnings.append(f"The gate list is due at the prison by {deadline} "
                        f"({_in_days(days_left)}).")
    uncleared = [row for row in roster_rows(visit) if not row.cleared]
    if uncleared:
        names = ", ".join(row.name for row in uncleared)
        prefix = "This visit is confirmed but " if visit.status == "confirmed" else ""
        warnings.append(f"{prefix}{len(uncleared)} rostered volunteer"
                        f"{'s are' if len(uncleared) > 1 else ' is'} not cleared for "
                        f"{visit.prison.name} on the visit date: {names}.")
    if not visit.sessions:
        warnings.append("This visit has no sessions yet.")
    return warnings + cohort_warnings(visit.id)


def cohort_warnings(visit_id: int) -> list[str]:
    """Sessions over capacity and keep-apart pairs placed together, without anyone's name."""
    found = clashes(visit_id)
    warnings = [f"{over.label} has {over.men} men for {over.capacity} places."
                for over in found.over_capacity]
    pairs = Counter(pair.label for pair in found.kept_apart)
    warnings += [f"{label} has {count} pair{'s' if count > 1 else ''} of men who must be kept "
                 "apart. Move one of each pair on the cohort page."
                 for label, count in pairs.items()]
    return warnings


def _in_days(days: int) -> str:
    """'today', 'tomorrow' or 'in N days'."""
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
