"""Forms for planning a visit and its sessions."""

from wtforms import EmailField, HiddenField, IntegerField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from ..fields import (
    REAL_DATE,
    REAL_TIME,
    ChoiceField,
    FlaskForm,
    RealDateField,
    RealTimeField,
    id_or_none,
    text_field,
)


class VisitForm(FlaskForm):
    """A visit's details."""

    prison_id = ChoiceField("Prison", coerce=id_or_none)
    date = RealDateField("Date of the visit", validators=[InputRequired(REAL_DATE)])
    title = text_field("Title", 120, "Enter a title, for example Employment and wellbeing day")
    purpose = TextAreaField("Purpose", validators=[
        Optional(), Length(max=2000, message="Purpose must be 2000 characters or fewer")])
    arrival_time = RealTimeField("Arrival time at the gate", validators=[Optional()])
    contact_name = text_field("Prison contact's name", 100)
    contact_role = text_field("Prison contact's role", 100)
    contact_phone = text_field("Prison contact's phone", 30)
    contact_email = EmailField("Prison contact's email", validators=[
        Optional(), Length(max=254), Email("Enter an email address like name@example.org",
                                           check_deliverability=False)])
    gate_list_deadline = RealDateField("Gate-list deadline", validators=[Optional()])
    notes = TextAreaField("Notes", validators=[
        Optional(), Length(max=2000, message="Notes must be 2000 characters or fewer")])


class SessionForm(FlaskForm):
    """A session's details."""

    label = text_field("Name", 60, "Enter a name, for example Cohort 1")
    starts_at = RealTimeField("Start time", validators=[InputRequired(REAL_TIME)])
    ends_at = RealTimeField("End time", validators=[InputRequired(REAL_TIME)])
    room = text_field("Room or place in the prison", 80, "Enter the room, for example Chapel")
    capacity = IntegerField("Capacity (men)", validators=[
        InputRequired("Enter how many men the session can take, from 1 to 200"),
        NumberRange(min=1, max=200, message="Capacity must be between 1 and 200")])
    roles_wanted = text_field("Volunteer roles wanted", 200)


class StatusForm(FlaskForm):
    """Move a visit to another status."""

    status = HiddenField(validators=[InputRequired()])
