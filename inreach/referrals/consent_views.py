"""The consent wording volunteers read to men: every version, and publishing a new one."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR, ORGANISER, PLANNERS, VOLUNTEER
from ..database import db
from ..errors import DomainError
from ..fields import FlaskForm, show_domain_error
from .consent import current_wording, publish_wording
from .models import ConsentWording

bp = Blueprint("consent", __name__, url_prefix="/consent")


class WordingForm(FlaskForm):
    """A new version of the wording."""

    text = TextAreaField("New wording", validators=[
        InputRequired("Write the wording read to men"),
        Length(max=2000, message="The wording must be 2000 characters or fewer")])


@bp.route("/")
@allow(ADMIN, ORGANISER, VOLUNTEER, AUDITOR)
def index():
    """The current wording and every earlier version."""
    return render_template("referrals/consent.html", versions=_versions(), form=WordingForm())


@bp.route("/new", methods=["POST"])
@allow(*PLANNERS)
def publish():
    """Publish a new version: forms opened from now on show it; saved records keep theirs."""
    form = WordingForm()
    if form.validate_on_submit():
        try:
            wording = publish_wording(form.text.data, g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(f"Version {wording.version} published.")
            return redirect(url_for("consent.index"))
    return render_template("referrals/consent.html", versions=_versions(), form=form)


def _versions() -> list[ConsentWording]:
    """Every version, newest first (the first wording even before it is stored)."""
    stored = db.session.scalars(select(ConsentWording).order_by(
        ConsentWording.version.desc())).all()
    return list(stored) or [current_wording()]
