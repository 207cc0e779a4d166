"""The form for a prison's details."""

from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from ..errors import TEXT_MAX
from ..fields import FlaskForm, text_field


def _code(value):
    """Codes are capitals without spaces, however they were typed."""
    return value.strip().upper() if isinstance(value, str) else value


def _long_text(label: str) -> TextAreaField:
    """An optional text area of up to TEXT_MAX characters."""
    message = f"{label} must be {TEXT_MAX} characters or fewer"
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT_MAX, message=message)])


class PrisonForm(FlaskForm):
    """A prison's name, code, contacts and visiting notes."""

    name = text_field("Name", 120, "Enter the prison's name, like HMP Wormwood Scrubs")
    code = StringField("Code", filters=[_code], validators=[
        InputRequired("Enter the prison's code: 3 letters, like WSI")])
    address = _long_text("Address")
    phone = text_field("Main phone", 30)
    email = EmailField("Email address", validators=[
        Optional(), Length(max=254, message="Email address must be 254 characters or fewer"),
        Email("Enter an email address like name@example.org", check_deliverability=False)])
    visiting_notes = _long_text("Visiting notes")
