"""Why an administrator corrects, restricts, lifts a restriction on or erases a man's data: one
fixed list of reasons per action, each a short code with its words. Only the code is stored
(in the audit row's detail and in ``Person.restricted_reason``), never text typed by staff:
audit rows are kept for ever, so nothing typed there could hold a name. Anything else is
"other", and the details go on paper."""

from ..errors import DomainError

OTHER = ("other", "Other (recorded on paper)")
# The reasons for each action (UK GDPR articles 16 to 18), as (code, words), in the order shown.
REASONS: dict[str, dict[str, str]] = {
    "correct": dict([
        ("he_asked", "He asked for it to be corrected"),
        ("found_wrong", "Found wrong by staff (for example against his paperwork)"),
        ("prison_records", "The prison's records were updated"),
        OTHER]),
    "restrict": dict([
        ("disputes", "He disputes the details, while they are checked"),
        ("objects", "He objects to their use, while this is considered"),
        ("keep_not_use", "He asked for them to be kept but not used"),
        ("legal_claim", "He needs them kept for a legal claim"),
        ("court_order", "Court or tribunal order"),
        OTHER]),
    "lift": dict([
        ("checked", "The details were checked (and corrected if wrong)"),
        ("objection_decided", "His objection was considered and decided"),
        ("he_asked", "He asked for the restriction to end"),
        ("court_order", "Court or tribunal order"),
        OTHER]),
    "erase": dict([
        ("he_asked", "He asked for his details to be erased"),
        ("consent_withdrawn", "He withdrew his consent"),
        ("not_needed", "No longer needed for why they were collected"),
        ("unlawful", "Held without a lawful reason"),
        ("legal_duty", "Legal duty"),
        ("court_order", "Court or tribunal order"),
        OTHER]),
}


def choices(action: str) -> list[tuple[str, str]]:
    """The reasons for an action as (code, words), for a form's list."""
    return list(REASONS[action].items())


def check_reason(action: str, code: str | None) -> str:
    """The reason code chosen for an action; refused unless it is one from the action's list."""
    if code not in REASONS[action]:
        raise DomainError("bad_reason", "Choose the reason from the list", "reason")
    return code


def words(action: str, code: str | None) -> str:
    """The words of a stored reason code (the code itself when it is not a known one)."""
    return REASONS[action].get(code or "", code or "")
