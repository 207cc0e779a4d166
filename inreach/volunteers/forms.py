"""Forms for organisations, volunteers and a volunteer's clearance at a prison."""

from wtforms import EmailField
from wtforms.validators import Email, Length, Optional

from ..fields import ChoiceField, FlaskForm, RealDateField, id_or_none, options, text_field
from .models import CLEARANCE_STATES, ID_TYPES, ORGANISATION_KINDS


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
                                  coerce=id_or_none)
    job_title = text_field("Job title", 100)
    email = EmailField("Email address", validators=[
        Optional(), Length(max=254, message="Email address must be 254 characters or fewer"),
        Email("Enter an email address like name@example.org", check_deliverability=False)])
    phone = text_field("Phone", 30)
    user_id = ChoiceField("Their inreach login", "Choose a login from the list",
                          required=False, coerce=id_or_none)


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

