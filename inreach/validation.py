"""Text nobody types on purpose, refused wherever it comes in: control characters (Unicode
category Cc: U+0000 to U+001F and U+007F to U+009F) come from pasting or from someone probing,
and PostgreSQL cannot store a NUL in text at all. Text on several lines may hold tabs and line
breaks, nothing else. Forms check every field (inreach/fields.py), page addresses every part
(inreach/urls.py), and imports and services call ``check_characters``."""

import re

from .errors import DomainError

CONTROL_CHARACTERS = "\x00-\x1f\x7f-\x9f"  # as a regular expression character range
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
