"""What a directory entry must look like, in one place: the service form and every import
check entries here. A wrong phone number or a dangerous link printed in a man's pack is worse
than none, so each check names the field and says how to put it right."""

import re
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from ..errors import TEXT_MAX, DomainError
from ..validation import check_characters
from .vocabulary import PATHWAYS, REFERRAL_DETAILS, REFERRAL_ROUTES, STATUSES

# Digits with the spaces, brackets and dashes people write; + only at the start.
PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()\-]+")
# 3 digits for short numbers (111), up to 15 for international ones (E.164).
PHONE_DIGITS = (3, 15)
# Anything that a browser or WeasyPrint could read as a tag: <b>, </p>, <!--, <?xml.
MARKUP = re.compile(r"<\s*[A-Za-z/!?]")
# A link that runs or reads something instead of opening a web page.
UNSAFE_LINK = re.compile(r"\b(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)
# Working days a service may take to answer a referral (the database checks the same).
ANSWER_DAYS_RANGE = (1, 60)


def check_plain_text(value: str, label: str, field: str, limit: int = TEXT_MAX) -> None:
    """Plain text that fits: no HTML, which would be shown as code, never as markup, and no
    control characters (long text, kept in a text area, may hold tabs and line breaks)."""
    if len(value) > limit:
        raise DomainError("too_long", f"{label} must be {limit} characters or fewer", field)
    check_characters({field: value}, {field: label}, [field] if limit >= TEXT_MAX else [])
    if MARKUP.search(value):
        raise DomainError("markup", f"{label} must be plain text: remove the HTML tags "
                          "(the parts written in < and >)", field)


def check_url(value: str, label: str, field: str) -> None:
    """Blank, or a web address starting http:// or https:// (never javascript: or file:)."""
    if not value:
        return
    parts = urlsplit(value)
    if (parts.scheme.lower() not in ("http", "https") or "." not in parts.netloc
            or any(character.isspace() for character in value)):
        raise DomainError("bad_url", f"{label} must be a web address starting https://, "
                          "like https://www.example.org", field)
    check_plain_text(value, label, field, 500)


def check_email(value: str, label: str, field: str) -> None:
    """Blank, or an email address."""
    if not value:
        return
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError("bad_email", f"{label} must be an email address like "
                          "name@example.org", field) from error
    if len(value) > 254:
        raise DomainError("too_long", f"{label} must be 254 characters or fewer", field)


def check_phone(number: str, field: str = "phones") -> None:
    """A phone number written with digits, like 0800 123 4567, +44 20 7946 0000 or 116 123."""
    digits = sum(character.isdigit() for character in number)
    if (not PHONE_CHARACTERS.fullmatch(number) or "+" in number[1:]
            or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] or len(number) > 30):
        raise DomainError("bad_phone", f"{number[:40]!r} is not a phone number: use digits, "
                          "like 0800 123 4567 or 116 123", field)


def check_status(status: str) -> None:
    """One of the Open Referral UK statuses."""
    if status not in STATUSES:
        raise DomainError("bad_status", "Status must be one of: " + ", ".join(STATUSES),
                          "status")


def check_pathways(codes: list[str]) -> None:
    """At least one pathway, each one we know."""
    unknown = [code for code in codes if code not in PATHWAYS]
    if unknown:
        raise DomainError("unknown_pathway", f"Unknown pathway {unknown[0][:60]!r}: use one of "
                          + ", ".join(PATHWAYS.values()), "pathways")
    if not codes:
        raise DomainError("no_pathway", "Choose at least one pathway", "pathways")


def check_areas(names: list[str]) -> None:
    """At least one area (a local authority, or National), each plain text that fits."""
    if not names:
        raise DomainError("no_area", "Enter at least one local authority, or choose national",
                          "areas")
    for name in names:
        check_plain_text(name, "Each area", "areas", 80)


def check_referral(values: dict) -> None:
    """A referable service says what happens next; details come from the known list."""
    unknown = [code for code in values["referral_details"] if code not in REFERRAL_DETAILS]
    if unknown:
        raise DomainError("unknown_detail", f"Unknown referral detail {unknown[0][:60]!r}",
                          "referral_details")
    if values["referable"] and not values["next_steps"]:
        raise DomainError("next_steps_missing", "Say what happens next after a self-referral: "
                          "it is printed in the man's pack", "next_steps")
    check_route(values)


def check_route(values: dict) -> None:
    """How referrals reach the service: blank (not known yet) or a known route; the secure
    email route needs its address, the others say what to do; the answer time is 1 to 60
    whole working days, as the chase list counts from it."""
    route = values["referral_route"]
    if route and route not in REFERRAL_ROUTES:
        raise DomainError("unknown_route", "Referral route must be one of: "
                          + ", ".join(REFERRAL_ROUTES) + f" (or blank), not {route[:40]!r}",
                          "referral_route")
    check_email(values["referral_email"], "Referral email", "referral_email")
    if route == "email" and not values["referral_email"]:
        raise DomainError("route_email_missing", "Enter the secure email address referrals "
                          "are sent to", "referral_email")
    instructions = values["referral_instructions"]
    if route not in ("", "email") and not instructions:
        raise DomainError("instructions_missing", "Say how to refer by "
                          f"{REFERRAL_ROUTES[route].lower()}: what to do and what to have "
                          "ready", "referral_instructions")
    if UNSAFE_LINK.search(instructions):
        raise DomainError("unsafe_link", "Referral instructions must not hold javascript:, "
                          "data: or file: links: give web addresses starting https://",
                          "referral_instructions")
    check_answer_days(values["answer_days"])


def check_answer_days(days: object) -> None:
    """A whole number of working days from 1 to 60."""
    low, high = ANSWER_DAYS_RANGE
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise DomainError("bad_answer_days", "Working days to answer must be a whole number "
                          f"from {low} to {high}", "answer_days")


# Free-text fields of a service: (label, longest).
SERVICE_TEXT = {
    "name": ("Name", 200),
    "description": ("Description", TEXT_MAX),
    "eligibility": ("Who it is for", TEXT_MAX),
    "application_process": ("How to access it", TEXT_MAX),
    "fees": ("What it costs", TEXT_MAX),
    "languages": ("Languages", 200),
    "address": ("Address", TEXT_MAX),
    "opening_hours": ("Opening hours", TEXT_MAX),
    "next_steps": ("What happens next", TEXT_MAX),
    "referral_contact": ("Referral contact", TEXT_MAX),
    "referral_instructions": ("Referral instructions", TEXT_MAX),
}
ORGANISATION_TEXT = {"name": ("Organisation name", 200),
                     "description": ("Organisation description", TEXT_MAX)}


def check_service(values: dict) -> None:
    """Every rule for a service's own fields, its pathways, areas, phones and referral text."""
    if not values["name"]:
        raise DomainError("name_missing", "Enter the service's name", "name")
    for name, (label, limit) in SERVICE_TEXT.items():
        check_plain_text(values[name], label, name, limit)
    check_status(values["status"])
    check_url(values["url"], "Website", "url")
    check_email(values["email"], "Email address", "email")
    check_pathways(values["pathways"])
    check_areas(values["areas"])
    for index, (number, description) in enumerate(values["phones"]):
        check_phone(number, f"phones-{index}-number")
        check_plain_text(description, "What the number is", f"phones-{index}-description", 200)
    check_referral(values)


def check_organisation(values: dict) -> None:
    """An organisation has a name; its text is plain and its links are safe."""
    if not values["name"]:
        raise DomainError("name_missing", "Enter the organisation's name", "name")
    for name, (label, limit) in ORGANISATION_TEXT.items():
        check_plain_text(values[name], label, name, limit)
    check_url(values["website"], "Organisation website", "website")
    check_email(values["email"], "Organisation email", "email")
