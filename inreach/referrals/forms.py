"""The capture form: services he wants (each with his yes or no to sharing), how to reach him
after release, pack preferences, consent and short notes. A page builds it with a consent
question per referable service (``capture_form``); a post is read with the fixed fields only
(``CaptureForm``) and the yes or no for each chosen service, which the service checks."""

from wtforms import BooleanField, HiddenField, IntegerField, SelectMultipleField, TextAreaField
from wtforms.validators import Length, Optional

from ..fields import ChoiceField, FlaskForm, RealDateField, options, text_field
from .models import CONSENT_METHODS, CONTACT_BY, HOUSING, NOTES_MAX

YES_NO = options([("yes", "Yes"), ("no", "No")])


class CaptureForm(FlaskForm):
    """The fields every capture has; ``capture_form`` adds a consent question per service."""

    client_id = HiddenField()
    set_id = HiddenField()
    consent_version = IntegerField(validators=[Optional()])
    # Unknown or retired services are refused by the service, with its message.
    chosen = SelectMultipleField("Services he wants", coerce=int, validate_choice=False)
    housing = ChoiceField("Where he will live after release", choices=options(HOUSING.items()))
    # Checked against the directory's areas by the service, so a post needs no list of them.
    release_area = ChoiceField("Release area (local authority)", required=False,
                               validate_choice=False)
    phone = text_field("His phone number after release, if he has one", 30)
    safe_message = ChoiceField("Is it safe to leave a message?", required=False,
                               choices=YES_NO)
    contact_by = ChoiceField("Best way to reach him", required=False,
                             choices=options(CONTACT_BY.items()))
    probation_name = text_field("Probation practitioner's name, if known", 120)
    probation_contact = text_field("Probation practitioner's phone or email, if known", 200)
    easy_read = BooleanField("Easy-read pack")
    large_print = BooleanField("Large print pack")
    language = text_field("Language, if not English", 60)
    consent_method = ChoiceField("How he gave consent", choices=options(CONSENT_METHODS.items()))
    notes = TextAreaField("Notes", validators=[Optional(), Length(
        max=NOTES_MAX, message=f"Notes must be {NOTES_MAX} characters or fewer")])
    paper_date = RealDateField("Date written on the paper form", validators=[Optional()])


def capture_form(services, areas: list[str], **kwargs) -> CaptureForm:
    """The form with a choice per referable service and a consent question for each."""

    class Form(CaptureForm):
        pass

    for service in services:
        setattr(Form, f"consent_{service.id}", ChoiceField(
            f"Does he agree to share his details with {service.name}?", required=False,
            choices=YES_NO))
    form = Form(**kwargs)
    form.chosen.choices = [(service.id, service.name) for service in services]
    form.release_area.choices = options([(area, area) for area in areas], blank="Not known yet")
    return form
