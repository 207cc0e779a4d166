"""Domain errors: services raise these with a machine-readable code; views show the message."""


class DomainError(Exception):
    """A rule said no: ``code`` for machines, ``message`` for people, ``field`` for forms."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
