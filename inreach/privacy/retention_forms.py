"""The form for the retention periods (checked by inreach.privacy.retention)."""

from wtforms import StringField

from ..fields import FlaskForm


class RetentionForm(FlaskForm):
    """How many months to keep a man's details, and his free-text notes."""

    identity_months = StringField("Identifying and contact details (months)")
    notes_months = StringField("Free-text notes (months)")
