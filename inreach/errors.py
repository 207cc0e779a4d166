"""Domain errors: services raise these with a machine-readable code; views show the message.
Also the checks every piece of text passes wherever it enters (forms, imports, the outbox):
its length, and no control characters."""

import re


class DomainError(Exception):
    """A rule said no: ``code`` for machines, ``message`` for people, ``field`` for forms."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


# Longest free text (notes, addresses) kept in an unlimited Text column.
TEXT_MAX = 2000


def check_lengths(model, values: dict, labels: dict[str, str]) -> None:
    """Refuse text longer than its column holds (or TEXT_MAX), naming the field."""
    for name, label in labels.items():
        limit = getattr(model.__table__.c[name].type, "length", None) or TEXT_MAX
        if len(values.get(name) or "") > limit:
            raise DomainError("too_long", f"{label} must be {limit} characters or fewer", name)


# Control characters (Unicode category Cc: U+0000 to U+001F and U+007F to U+009F) are never
# typed on purpose; they come from pasting or from someone probing. PostgreSQL cannot store a
# NUL in text at all. Text on several lines may hold tabs and line breaks, nothing else.
CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f"
_ANY_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str, multi_line: bool = False) -> bool:
    """Whether the text holds a control character (tab, CR and LF allowed on several lines)."""
    return bool((_CONTROL_BUT_LINES if multi_line else _ANY_CONTROL).search(text))


def control_message(label: str) -> str:
    """What a person is told when the text they typed or pasted holds control characters."""
    return (f"{label} must not contain control characters (hidden characters some programs "
            "paste in): type it again")


def check_characters(values: dict, labels: dict[str, str], multi_line=()) -> None:
    """Refuse text holding control characters, naming the field: every text value in
    ``values`` is checked (labelled from ``labels``, else by its name); only the names in
    ``multi_line`` may hold tabs and line breaks. For text that does not come through a form
    (imports, services called directly); every form checks its own fields (fields.py)."""
    for name, value in values.items():
        if isinstance(value, str) and has_control_characters(value, name in multi_line):
            raise DomainError("control_characters", control_message(labels.get(name, name)),
                              name)
