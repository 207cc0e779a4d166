"""Forms for putting volunteers on a visit's roster."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField
from wtforms.validators import InputRequired

from ..fields import ChoiceField, text_field


class SessionsForm(FlaskForm):
    """Which sessions of the visit the volunteer is in."""

    session_ids = SelectMultipleField("Sessions", coerce=int)


class RosterForm(SessionsForm):
    """A volunteer, their role on the day, escort and sessions."""

    volunteer_id = ChoiceField("Volunteer", coerce=int,
                               validators=[InputRequired("Choose a volunteer")])
    role_on_day = text_field("Role on the day", 60, "Enter their role on the day")
    escorted = BooleanField("Needs an escort inside the prison")
