"""Forms for organisations, volunteers and a volunteer's clearance at a prison."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField
from wtforms.validators import Email, Length, Optional, StopValidation

from ..fields import RealDateField, text_field
from .models import CLEARANCE_STATES, ID_TYPES, ORGANISATION_KINDS


def _id_or_none(value):
    """A chosen id as a number; blank or anything that is not a number as None."""
    if value is None or isinstance(value, int):
        return value
    return int(value) if str(value).isdigit() else None


class ChoiceField(SelectField):
    """A drop-down list whose missing or unknown value gets one plain message, not WTForms'."""

    def __init__(self, label, message, required=True, **kwargs):
        """A drop-down with the message for a wrong choice, and whether it may be left blank."""
        super().__init__(label, invalid_choice_message=message, **kwargs)
        self.message = message
        self.required = required

    def pre_validate(self, form):
        """Refuse a blank choice when one is required, and any value not in the list."""
        if self.data in (None, ""):
            if self.required:
                raise StopValidation(self.message)
            return
        super().pre_validate(form)


def options(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a drop-down from (value, label) pairs, after an optional blank one."""
    choices = [SelectChoice("", blank)] if blank else []
    return choices + [SelectChoice(value, label) for value, label in pairs]


def _text_or_none(value):
    """A chosen text value, blank as None."""
    return value or None


class OrganisationForm(FlaskForm):
    """An organisation's name and kind."""

    name = text_field("Name", 120, "Enter the organisation's name")
    kind = ChoiceField("Kind of organisation", "Choose the kind of organisation from the list",
                       choices=options(ORGANISATION_KINDS.items(), "Choose a kind"))


class VolunteerForm(FlaskForm):
    """A volunteer's details; the choices are filled in by the view."""

    name = text_field("Full name", 100, "Enter the volunteer's full name")
    organisation_id = ChoiceField("Organisation", "Choose an organisation from the list",
                                  coerce=_id_or_none)
    job_title = text_field("Job title", 100)
    email = EmailField("Email address", validators=[
        Optional(), Length(max=254, message="Email address must be 254 characters or fewer"),
        Email("Enter an email address like name@example.org", check_deliverability=False)])
    phone = text_field("Phone", 30)
    user_id = ChoiceField("Their inreach login", "Choose a login from the list",
                          required=False, coerce=_id_or_none)


class ClearanceForm(FlaskForm):
    """The state of a clearance at one prison, its dates and the ID seen."""

    state = ChoiceField("State", "Choose the state of the clearance",
                        choices=options(CLEARANCE_STATES.items()))
    submitted_on = RealDateField("Date submitted", validators=[Optional()])
    cleared_on = RealDateField("Date cleared", validators=[Optional()])
    expires_on = RealDateField("Expiry date", validators=[Optional()])
    id_type = ChoiceField("ID seen", "Choose the type of ID seen from the list", required=False,
                          coerce=_text_or_none,
                          choices=options(ID_TYPES.items(), "Not seen yet"))

