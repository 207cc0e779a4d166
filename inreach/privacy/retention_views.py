"""The administrator's retention pages: how long personal data is kept and what the next purge
removes."""

from flask import Blueprint, flash, g, redirect, render_template, url_for

from ..accounts.access import allow
from ..accounts.roles import ADMIN
from ..accounts.services import Actor
from ..errors import DomainError
from ..fields import show_domain_error
from . import purge, retention
from .retention_forms import RetentionForm

bp = Blueprint("retention", __name__, url_prefix="/privacy/retention")


@bp.route("/", methods=["GET", "POST"])
@allow(ADMIN)
def index():
    """The retention periods (changeable) and what the next purge would remove: counts by kind,
    no names."""
    form = RetentionForm()
    if form.validate_on_submit():
        try:
            retention.set_periods(form.identity_months.data, form.notes_months.data,
                                  Actor(g.user.id, g.user.role))
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash("Retention periods saved.")
            return redirect(url_for("retention.index"))
    periods, counts = purge.preview()
    if not form.is_submitted():
        form.identity_months.data = str(periods.identity_months)
        form.notes_months.data = str(periods.notes_months)
    return render_template("privacy/retention.html", form=form, periods=periods, counts=counts,
                           defaults=retention.Periods(), max_months=retention.MAX_MONTHS)
