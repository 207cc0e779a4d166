"""The form for loading a directory file."""

from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import BooleanField

from ..fields import FlaskForm
from .importing import MAX_BYTES


class DirectoryUploadForm(FlaskForm):
    """A directory file, and whether entries missing from it should go."""

    file = FileField("Directory file (.json or .csv)", validators=[
        FileRequired("Choose an Open Referral UK .json file or a directory .csv file"),
        FileSize(MAX_BYTES, message=f"The file must be smaller than {MAX_BYTES // 2**20} MB")])
    remove_missing = BooleanField("Remove entries that are not in this file")
