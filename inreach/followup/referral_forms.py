"""The forms on a referral's follow-up page: what happened next, and its IPS outcomes. Field
names match the fields the services name in their errors, so each message lands on its field."""

from wtforms import FloatField
from wtforms.validators import Optional

from ..fields import ChoiceField, FlaskForm, RealDateField, options, text_field
from .rules import REASON_OTHER_MAX
from .vocabulary import CLOSE_REASONS, DECLINE_REASONS, SENT_HOW, STATUSES

HOURS = "Enter the paid hours a week as a number, for example 16 or 7.5"


class HoursField(FloatField):
    """Paid hours a week: a number, decimals allowed, that says so plainly when it is not."""

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for text that is not a number."""
        if valuelist and valuelist[0].strip():
            try:
                self.data = float(valuelist[0].strip())
            except ValueError as error:
                self.data = None
                raise ValueError(HOURS) from error
        else:
            self.data = None


class StatusForm(FlaskForm):
    """What happened to the referral: the new status, the day, why and how."""

    status = ChoiceField("What happened", "Choose what happened")
    on = RealDateField("Date it happened", validators=[Optional()])
    decline_reason = ChoiceField("Why it was declined", required=False,
                                 choices=options(DECLINE_REASONS.items(), "Choose a reason"))
    close_reason = ChoiceField("Why it was closed", required=False,
                               choices=options(CLOSE_REASONS.items(), "Choose a reason"))
    reason_other = text_field("The other reason, in a few words", REASON_OTHER_MAX)
    sent_how = ChoiceField("How it was sent", required=False,
                           choices=options(SENT_HOW.items(), "Choose how"))


def status_form(allowed: tuple[str, ...], **kwargs) -> StatusForm:
    """The form offering only the statuses the referral may move to now."""
    form = StatusForm(**kwargs)
    form.status.choices = options(((status, STATUSES[status]) for status in allowed),
                                  "Choose what happened")
    return form


class ProfileForm(FlaskForm):
    """The day his vocational profile was started."""

    profile_started_on = RealDateField("Vocational profile started on", validators=[Optional()])


class EmployerContactForm(FlaskForm):
    """The day of his first contact with an employer."""

    employer_contact_on = RealDateField("First employer contact on", validators=[Optional()])


class JobStartForm(FlaskForm):
    """A job he started."""

    started_on = RealDateField("Start date", validators=[Optional()])
    hours_per_week = HoursField("Paid hours a week", validators=[Optional()])
