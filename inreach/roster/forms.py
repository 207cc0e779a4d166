"""Forms for putting volunteers on a visit's roster."""

from wtforms import BooleanField, SelectMultipleField

from ..fields import ChoiceField, FlaskForm, id_or_none, text_field


class SessionsForm(FlaskForm):
    """Which sessions of the visit the volunteer is in."""

    session_ids = SelectMultipleField("Sessions", coerce=int,
                                      invalid_choice_message="Choose sessions of this visit",
                                      invalid_value_message="Choose sessions of this visit")


class RosterForm(SessionsForm):
    """A volunteer, their role on the day, escort and sessions."""

    volunteer_id = ChoiceField("Volunteer", coerce=id_or_none)
    role_on_day = text_field("Role on the day", 60, "Enter their role on the day")
    escorted = BooleanField("Needs an escort inside the prison")
