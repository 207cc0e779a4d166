"""The audit trail's filter form, read from the page address (a GET form: the trail only reads,
and the address holds ids, action codes and dates, never personal data)."""

import re

from wtforms import StringField, ValidationError
from wtforms.validators import Optional

from ..fields import ChoiceField, Form, RealDateField, options
from .services import TrailFilter, user_choices
from .vocabulary import ACTIONS, OBJECT_TYPES

OBJECT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _user_id(value):
    """A chosen user id as a number; blank as None; anything else refused (ValueError)."""
    if value is None or isinstance(value, int):
        return value
    if value == "":
        return None
    if not value.isdigit():
        raise ValueError("not an id")
    return int(value)


class TrailForm(Form):
    """Who did it, which action, which object, and between which days."""

    user = ChoiceField("Who", required=False, coerce=_user_id,
                       message="Choose a person from the list")
    action = ChoiceField("Action", required=False, message="Choose an action from the list")
    type = ChoiceField("Kind of object", required=False,
                       message="Choose a kind of object from the list")
    object = StringField("Object id", validators=[Optional()])
    start = RealDateField("From", validators=[Optional()])
    end = RealDateField("To", validators=[Optional()])

    def validate_object(self, field):
        """An id needs its kind, and looks like an id (letters, digits, dots and dashes)."""
        if not OBJECT_ID.fullmatch(field.data or ""):
            raise ValidationError("Enter an id of up to 64 letters, digits, dots or dashes, "
                                  "for example 42")
        if not self.type.data:
            raise ValidationError("Choose the kind of object this id belongs to")

    def validate_end(self, field):
        """The last day is not before the first."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The 'to' date must be the same as or after the 'from' date")


def trail_form(args) -> TrailForm:
    """The form filled from the page address, offering every user, action and kind of
    object."""
    form = TrailForm(args)
    form.user.choices = options(user_choices(), "Anyone")
    form.action.choices = options(sorted(ACTIONS.items(), key=lambda pair: pair[1]),
                                  "Any action")
    form.type.choices = options(sorted(OBJECT_TYPES.items(), key=lambda pair: pair[1]),
                                "Any kind")
    return form


def chosen_filter(form: TrailForm) -> TrailFilter | None:
    """The filter the form asks for, or None (with messages on the form) if it is not one."""
    if not form.validate():
        return None
    return TrailFilter(actor_id=form.user.data, action=form.action.data or None,
                       object_type=form.type.data or None,
                       object_id=(form.object.data or "").strip() or None,
                       start=form.start.data, end=form.end.data)
