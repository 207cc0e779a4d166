"""Forms for importing the prison's list: the upload, and the confirm button of the preview."""

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import HiddenField

from ..fields import FlaskForm
from .importing import MAX_BYTES


class UploadForm(FlaskForm):
    """The prison's list as a CSV file."""

    file = FileField("The prison's list (CSV file)", validators=[
        FileRequired("Choose the CSV file of the prison's list"),
        FileSize(MAX_BYTES, message=f"The file must be smaller than {MAX_BYTES // 2**20} MB")])


class ConfirmForm(FlaskForm):
    """The previewed file, signed, carried back to be imported."""

    token = HiddenField()
