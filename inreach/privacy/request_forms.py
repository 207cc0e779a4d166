"""The forms of the data-rights pages: the search, a correction, and the reason for
correcting, restricting, lifting or erasing, always chosen from a list (inreach.privacy.reasons):
nothing typed by staff is kept as a reason."""

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..fields import ChoiceField, FlaskForm, options
from .reasons import choices
from .rights import CORRECTABLE
from .subject_access import SEARCH_MAX


def _reason(action: str) -> ChoiceField:
    """The reason for an action, chosen from its list."""
    return ChoiceField("Reason", choices=options(choices(action), blank="Choose a reason"),
                       message="Choose the reason from the list")


class SearchForm(FlaskForm):
    """His prison number or name, sent by POST so it never appears in a URL."""

    query = StringField("Prison number or name", validators=[
        InputRequired("Enter his prison number or name"),
        Length(max=SEARCH_MAX, message=f"Enter at most {SEARCH_MAX} characters")])


class RestrictForm(FlaskForm):
    """Why his processing is restricted."""

    reason = _reason("restrict")


class LiftForm(FlaskForm):
    """Why the restriction is lifted."""

    reason = _reason("lift")


class CorrectForm(FlaskForm):
    """One detail of his record, its correct value and why."""

    field = ChoiceField("Detail to correct", choices=options(CORRECTABLE.items(),
                                                            blank="Choose a detail"),
                        message="Choose the detail to correct")
    value = TextAreaField("Correct value", validators=[Length(max=2000)])
    reason = _reason("correct")


class EraseForm(FlaskForm):
    """Why he is erased, and the administrator's confirmation that it cannot be undone."""

    reason = _reason("erase")
    confirm = BooleanField("I understand his details will be erased now and cannot be brought "
                           "back", validators=[InputRequired(
                               "Confirm that you understand his details cannot be brought back")])
