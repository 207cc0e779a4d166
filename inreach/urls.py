"""What a page address may carry, checked once for every route: an id (``<int:...>``) only if
the database could hold it, and a text part (``<name>``, ``<string:...>``) only without control
characters. Anything else matches no route, so it is a 404 like any unknown page, and never
reaches a query (where SQLite would fail on an id past 2^63 - 1, PostgreSQL on one past its
integer column's 2^31 - 1, and PostgreSQL on a NUL in text)."""

import builtins

from flask import Flask
from werkzeug.routing import IntegerConverter, UnicodeConverter

from .validation import CONTROL_CHARACTERS

# The largest id every supported database holds: ids are INTEGER columns, 32 bits on
# PostgreSQL (SQLite's are 64 bits). No row has an id above it, or below 1.
MAX_ID = 2**31 - 1


def is_id(number: int) -> bool:
    """Whether a whole number could be a row's id in the database (0 to MAX_ID)."""
    return 0 <= number <= MAX_ID


class IdConverter(IntegerConverter):
    """``<int:...>``: a whole number from 0 to MAX_ID; a larger one matches no route (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        """Werkzeug's arguments, with the upper limit never above MAX_ID."""
        highest = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits, min, highest, signed)


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:...>``: one part of a path without control characters."""

    def __init__(self, map, minlength: int = 1, maxlength: int | None = None,
                 length: int | None = None) -> None:
        """Werkzeug's length arguments, over any character but ``/`` and control ones."""
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", f"[^/{CONTROL_CHARACTERS}]", 1)


def register(app: Flask) -> None:
    """Use these converters for every route (call before any blueprint is registered)."""
    app.url_map.converters.update(int=IdConverter, default=TextConverter, string=TextConverter)
