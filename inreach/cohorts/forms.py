"""Forms of the cohort page: the eligibility window, adding one man, moving one, allocating."""

from wtforms import BooleanField, HiddenField, IntegerField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..fields import ChoiceField, FlaskForm, RealDateField, id_or_none, options, text_field
from .models import INTERESTS, RELEASE_TYPES


class DaysField(IntegerField):
    """A whole number of days, saying so plainly when it is not one."""

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for text that is not a whole number."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number of days, for example 90") from error


class WindowForm(FlaskForm):
    """Who is eligible: men released this many days after the visit."""

    eligible_from_days = DaysField("From (days after the visit)", validators=[
        InputRequired("Enter the first day of the window as a number of days, for example 0"),
        NumberRange(min=0, message="The window must start on or after the visit day")])
    eligible_to_days = DaysField("To (days after the visit)", validators=[
        InputRequired("Enter the last day of the window as a number of days, for example 90"),
        NumberRange(min=0, message="The window must end on or after the visit day")])


class PersonForm(FlaskForm):
    """One man's details, as the prison's list would give them."""

    prison_number = text_field("Prison number", 10, "Enter the prison number, like A1234BC")
    first_name = text_field("First name", 60, "Enter the man's first name")
    last_name = text_field("Last name", 60, "Enter the man's last name")
    release_date = RealDateField("Expected release date", validators=[Optional()])
    release_type = ChoiceField("Release date type", choices=options(RELEASE_TYPES.items()),
                               default="other")
    release_confirmed = BooleanField("The release date is confirmed")
    date_of_birth = RealDateField("Date of birth", validators=[Optional()])
    location = text_field("Location or wing", 60)
    release_area = text_field("Release area", 80)
    interests = SelectMultipleField("Interests", choices=options(INTERESTS.items()))
    easy_read = BooleanField("Wants easy-read material")
    large_print = BooleanField("Wants large print")
    interpreter_language = text_field("Interpreter language", 60)
    notes = TextAreaField("Notes", validators=[
        Optional(), Length(max=2000, message="Notes must be 2000 characters or fewer")])


class MoveForm(FlaskForm):
    """Move one man (by his opaque id) to a session, or out of every session."""

    member = HiddenField(validators=[InputRequired()])
    session_id = ChoiceField("Move to", required=False, coerce=id_or_none)


class AllocateForm(FlaskForm):
    """Place every unplaced man automatically."""

    keep_wing_together = BooleanField("Keep men from the same wing together")
