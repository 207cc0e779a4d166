"""Forms for the directory: a service, an organisation, and the filters for browsing."""

from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Email, InputRequired, Length, Optional

from ..errors import TEXT_MAX
from ..fields import ChoiceField, FlaskForm, Form, options, text_field
from .vocabulary import ANSWER_DAYS, PATHWAYS, REFERRAL_DETAILS, REFERRAL_ROUTES, STATUSES

PHONE_ROWS = 3  # phone rows shown at least, so a new entry can take a few numbers at once


def _long_text(label: str) -> TextAreaField:
    """An optional text area of up to TEXT_MAX characters."""
    message = f"{label} must be {TEXT_MAX} characters or fewer"
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT_MAX, message=message)])


def _email(label: str) -> EmailField:
    """An optional email address."""
    return EmailField(label, validators=[
        Optional(), Length(max=254, message=f"{label} must be 254 characters or fewer"),
        Email("Enter an email address like name@example.org", check_deliverability=False)])


class WorkingDaysField(IntegerField):
    """A whole number of working days, saying so plainly when it is not one (the service's
    rules check the range, for the form and imports alike)."""

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for text that is not a whole number."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number of working days, for example 10") from error


class PhoneForm(Form):
    """One phone number and what it is."""

    number = text_field("Number", 30)
    description = text_field("What it is, for example: Freephone, 24 hours", 200)


class ServiceForm(FlaskForm):
    """Everything about a service: who runs it, where, how to reach it and referrals."""

    name = text_field("Service name", 200, "Enter the service's name")
    organisation_id = ChoiceField("Organisation that runs it",
                                  "Choose the organisation that runs the service")
    status = ChoiceField("Status", choices=options(STATUSES.items()))
    pathways = SelectMultipleField(
        "Pathways", choices=options(PATHWAYS.items()),
        validators=[InputRequired("Choose at least one pathway")])
    national = BooleanField("Available anywhere in the country (national)")
    areas = _long_text("Local authorities it covers")
    description = _long_text("Description")
    eligibility = _long_text("Who it is for")
    application_process = _long_text("How to access it")
    fees = _long_text("What it costs")
    opening_hours = _long_text("Opening hours")
    address = _long_text("Address")
    languages = text_field("Languages", 200)
    url = URLField("Website", validators=[Optional()])
    email = _email("Email address")
    phones = FieldList(FormField(PhoneForm), min_entries=PHONE_ROWS)
    referable = BooleanField("Takes self-referrals made at a visit")
    next_steps = _long_text("What happens next")
    referral_contact = _long_text("Receiving team's contact for referrals")
    referral_details = SelectMultipleField("Details a referral must carry",
                                           choices=options(REFERRAL_DETAILS.items()))
    referral_route = ChoiceField(
        "How referrals reach it", "Choose how referrals reach the service from the list",
        required=False, default="",
        choices=options([("", "Not known yet"), *REFERRAL_ROUTES.items()]))
    referral_email = _email("Secure email address for referrals")
    referral_instructions = _long_text("How to refer by phone, portal or post")
    answer_days = WorkingDaysField("Working days it takes to answer", default=ANSWER_DAYS,
                                   validators=[InputRequired(
                                       "Enter how many working days the service takes to "
                                       "answer a referral, from 1 to 60")])
    ips = BooleanField("An Individual Placement and Support (IPS) employment service")


class OrganisationForm(FlaskForm):
    """An organisation that runs services."""

    name = text_field("Organisation name", 200, "Enter the organisation's name")
    description = _long_text("Description")
    website = URLField("Website", validators=[Optional()])
    email = _email("Email address")


class FilterForm(Form):
    """Browse filters, read from the page address (no personal data goes in them)."""

    pathway = ChoiceField("Pathway", "Choose a pathway from the list", required=False)
    area = ChoiceField("Area", "Choose an area from the list", required=False)
    words = StringField("Words in the name or description",
                        validators=[Optional(), Length(max=100, message="Use 100 characters or "
                                                                        "fewer")])
    everything = BooleanField("Include inactive and closed services")
    no_route = BooleanField("Only services taking self-referrals with no referral route")
