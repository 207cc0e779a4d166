"""Restriction of processing (UK GDPR article 18), in one place: the condition every query uses
to leave a restricted man out (print batches, hand-off lists, sending, chasing) and the same
test on a row already loaded. inreach.privacy.rights restricts and lifts."""

from ..cohorts.models import Person
from ..errors import DomainError


def not_restricted():
    """The SQL condition: his processing is not restricted (join ``Person`` to use it)."""
    return Person.restricted_at.is_(None)


def is_restricted(person: Person) -> bool:
    """Whether an administrator restricted the processing of this man's details."""
    return person.restricted_at is not None


def refuse_if_restricted(person: Person, what: str) -> None:
    """Refuse to make ``what`` (for example "his pack") of a restricted man, in plain words."""
    if is_restricted(person):
        raise DomainError("restricted", f"An administrator restricted the processing of this "
                          f"man's details, so {what} cannot be printed until the restriction "
                          "is lifted.")
