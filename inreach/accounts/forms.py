"""Forms for logging in, changing a password and managing users."""

from wtforms import EmailField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from ..fields import FlaskForm
from .roles import ROLES
from .services import PASSWORD_MAX, PASSWORD_MIN

EMAIL_CHECKS = [
    InputRequired("Enter your email address"),
    Length(max=254, message="Email address must be 254 characters or fewer"),
]


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email address", validators=EMAIL_CHECKS)
    password = PasswordField("Password", validators=[
        InputRequired("Enter your password"),
        Length(max=PASSWORD_MAX, message=f"Password must be {PASSWORD_MAX} characters or fewer"),
    ])


class ChangePasswordForm(FlaskForm):
    """The current password and the new one twice."""

    current = PasswordField("Current password", validators=[
        InputRequired("Enter your current password"), Length(max=PASSWORD_MAX)])
    password = PasswordField("New password", validators=[
        InputRequired("Enter a new password"),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=f"New password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
    ])
    confirm = PasswordField("Type the new password again", validators=[
        InputRequired("Type the new password again"),
        EqualTo("password", message="The two new passwords do not match"),
    ])


class NewUserForm(FlaskForm):
    """What an administrator types to add a user."""

    email = EmailField("Email address", validators=[
        InputRequired("Enter an email address"),
        Length(max=254, message="Email address must be 254 characters or fewer"),
        Email("Enter an email address in the correct format, like name@example.org",
              check_deliverability=False),
    ])
    display_name = StringField("Full name", validators=[
        InputRequired("Enter the person's name"),
        Length(max=100, message="Name must be 100 characters or fewer"),
    ])
    role = RadioField("Role", choices=[SelectChoice(role, text) for role, text in ROLES.items()],
                      validators=[InputRequired("Choose a role")])
    password = PasswordField("First password", validators=[
        InputRequired("Enter a first password"),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=f"Password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
    ])


class CodeForm(FlaskForm):
    """A code for two-step login: from the authenticator app, or a recovery code."""

    code = StringField("Code", validators=[
        InputRequired("Enter the code"),
        Length(max=40, message="The code must be 40 characters or fewer"),
    ])
