"""The forms of the data-rights pages: the search, a correction, and a reason for restricting,
lifting or erasing."""

from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..fields import ChoiceField, FlaskForm, options
from .requests import SEARCH_MAX
from .rights import CORRECTABLE, REASON_MAX

REASON_TOO_LONG = f"The reason must be {REASON_MAX} characters or fewer"


def _reason(label: str = "Reason") -> StringField:
    """A required reason that fits the audit row."""
    return StringField(label, validators=[
        InputRequired("Enter the reason, for example what he asked for"),
        Length(max=REASON_MAX, message=REASON_TOO_LONG)])


class SearchForm(FlaskForm):
    """His prison number or name, sent by POST so it never appears in a URL."""

    query = StringField("Prison number or name", validators=[
        InputRequired("Enter his prison number or name"),
        Length(max=SEARCH_MAX, message=f"Enter at most {SEARCH_MAX} characters")])


class ReasonForm(FlaskForm):
    """Why he is restricted, or why the restriction is lifted."""

    reason = _reason()


class CorrectForm(FlaskForm):
    """One detail of his record, its correct value and why."""

    field = ChoiceField("Detail to correct", choices=options(CORRECTABLE.items(),
                                                            blank="Choose a detail"),
                        message="Choose the detail to correct")
    value = TextAreaField("Correct value", validators=[Length(max=2000)])
    reason = _reason()


class EraseForm(FlaskForm):
    """Why he is erased, and the administrator's confirmation that it cannot be undone."""

    reason = _reason()
    confirm = BooleanField("I understand his details will be erased now and cannot be brought "
                           "back", validators=[InputRequired(
                               "Confirm that you understand his details cannot be brought back")])
