"""Forms for attendance on the day."""

from wtforms.validators import Optional

from ..cohorts.models import DNA_REASONS
from ..fields import ChoiceField, FlaskForm, RealDateField, options, text_field


class AbsentForm(FlaskForm):
    """Why a man did not attend."""

    reason = ChoiceField("Reason", message="Choose why he did not attend",
                         choices=options(DNA_REASONS.items(), blank="Choose a reason"))


class WalkInForm(FlaskForm):
    """The least we need about a man who walks in: his name and prison number."""

    first_name = text_field("First name", 60, "Enter the man's first name")
    last_name = text_field("Last name", 60, "Enter the man's last name")
    prison_number = text_field("Prison number", 7, "Enter his prison number, like A1234BC")
    release_date = RealDateField("Release date (if he knows it)", validators=[Optional()])
