"""Form fields shared by every area, with messages written for people, and the two base
classes every form in the app is built on (``Form`` and ``FlaskForm``): each field of theirs
refuses control characters and numbers too large for the database, in this one place."""

import flask_wtf
import wtforms
from wtforms import DateField, SelectChoice, SelectField, StringField, TimeField
from wtforms.validators import InputRequired, Length, Optional, StopValidation

from .urls import MAX_ID, is_id
from .validation import control_message, has_control_characters

REAL_DATE = "Enter a real date, for example 2027-03-14"
REAL_TIME = "Enter a real time, for example 09:30"
TEXT_TYPES = {"StringField", "TextAreaField", "EmailField", "URLField", "TelField", "SearchField"}


class RealDateField(DateField):
    """A date (YYYY-MM-DD, as a date input sends it) that says so plainly when it is not one."""

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for impossible dates like 2027-02-31."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(REAL_DATE) from error


class RealTimeField(TimeField):
    """A time (HH:MM) that says so plainly when it is not one."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%H:%M", "%H:%M:%S"], **kwargs)

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for times like 25:61."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(REAL_TIME) from error


class ChoiceField(SelectField):
    """A drop-down whose missing or unknown value gets one plain message, not WTForms' wording."""

    def __init__(self, label, message=None, required=True, **kwargs):
        """A drop-down with the message for a wrong choice, and whether it may be left blank."""
        message = message or f"Choose a {label.lower()} from the list"
        super().__init__(label, invalid_choice_message=message, invalid_value_message=message,
                         **kwargs)
        self.message = message
        self.required = required

    def pre_validate(self, form):
        """Refuse a blank choice when one is required, and any value not in the list."""
        if self.data in (None, "") and not self.process_errors:
            if self.required:
                raise StopValidation(self.message)
            return
        super().pre_validate(form)


def id_or_none(value):
    """A chosen id as a number; blank or anything that is not a number as None. A number too
    large to be an id is 0, which no row has: it is unknown, like an id never used."""
    if value is None or isinstance(value, int):
        return value
    text = str(value)
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    number = int(digits) if len(digits) <= len(str(MAX_ID)) else 0  # int() of 5,000 digits fails
    return number if is_id(number) else 0


def options(pairs, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a drop-down from (value, label) pairs, after an optional blank one."""
    choices = [SelectChoice("", blank)] if blank else []
    return choices + [SelectChoice(value, label) for value, label in pairs]


def show_domain_error(form, error) -> None:
    """Show a service's refusal next to the field it names (a top-level name, or the id of a
    field inside a list such as ``phones-0-number``), or at the top of the form."""
    field = _field_by_id(form, error.field) if error.field else None
    if field is not None:
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)


def error_list(form) -> list[dict]:
    """Every error on the form for the error summary, each linking to its field (fields inside
    lists such as phone rows included), form-wide errors first."""
    items = [{"text": message} for message in getattr(form, "form_errors", [])]
    for field in form:
        if field.type in ("FieldList", "FormField"):
            items += [item for item in error_list(field) if "href" in item]
        elif field.errors and field.type != "CSRFTokenField":
            items.append({"text": field.errors[0], "href": "#" + field.id})
    return items


def _field_by_id(form, field_id: str):
    """The form's field with this id, looking inside lists of sub-forms too."""
    for field in form:
        if field.type in ("FieldList", "FormField"):
            found = _field_by_id(field, field_id)
            if found is not None:
                return found
        elif field.id == field_id:
            return field
    return None


def form_values(form, names) -> dict:
    """The named fields' values, text stripped and a missing text field as an empty string."""
    values = {}
    for name in names:
        value = form[name].data
        if isinstance(value, str) or (value is None and form[name].type in TEXT_TYPES):
            value = (value or "").strip()
        values[name] = value
    return values


def text_field(label: str, size: int, required: str | None = None, **kwargs) -> StringField:
    """A text field with a length limit; required (with that message) or optional."""
    checks = [InputRequired(required)] if required else [Optional()]
    checks.append(Length(max=size, message=f"{label} must be {size} characters or fewer"))
    return StringField(label, validators=checks, **kwargs)


def refuse_unsafe_input(form, field) -> None:
    """Stop a field's checks with a message when what was sent holds control characters (a
    text area may hold tabs and line breaks) or a number too large for the database."""
    label = field.label.text if field.label else field.name
    for value in getattr(field, "raw_data", None) or ():
        if isinstance(value, str) and has_control_characters(
                value, multi_line=isinstance(field, wtforms.TextAreaField)):
            raise StopValidation(control_message(label))
    numbers = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(number, int) and not isinstance(number, bool)
           and not -MAX_ID - 1 <= number <= MAX_ID for number in numbers):
        raise StopValidation(f"{label} is too large a number")


class GuardedInput:
    """What every form in the app is: each field checked by ``refuse_unsafe_input`` before its
    own checks (tests/test_bad_input.py fails for a form class that is not one of these)."""

    class Meta:
        """Adds the check to each field as the form binds it, sub-forms' fields included."""

        def bind_field(self, form, unbound_field, options):
            """The field, with ``refuse_unsafe_input`` first among its checks."""
            field = super().bind_field(form, unbound_field, options)
            if field.type != "CSRFTokenField":
                field.validators = [refuse_unsafe_input, *field.validators]
            return field


class Form(GuardedInput, wtforms.Form):
    """A form without a CSRF token (filters read from the page address, sub-forms)."""


class FlaskForm(GuardedInput, flask_wtf.FlaskForm):
    """A form that is posted, with its CSRF token."""
