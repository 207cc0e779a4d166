"""Domain errors: services raise these with a machine-readable code; views show the message.
Also the length check every piece of text passes wherever it enters (forms, imports, the
outbox); control characters are checked in inreach/validation.py."""


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

