"""What an organiser should act on before the day, shown at the top of a visit's page."""

from datetime import date

from ..roster.services import roster_rows
from .models import Visit
from .services import DEADLINE_NEAR_DAYS


def visit_warnings(visit: Visit, today: date) -> list[str]:
    """Deadline near or passed, volunteers not cleared, and a visit with no sessions."""
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
    return warnings


def _in_days(days: int) -> str:
    """'today', 'tomorrow' or 'in N days'."""
    return {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
