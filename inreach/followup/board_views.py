"""The chase list and each visit's follow-up board (organisers; auditors read).

The board's filters travel in the page address (a service id, a status code, "overdue": no
personal data); the bulk update keeps them, so the organiser comes back to the same view. Every
change goes through ``services.change_status``, all or nothing; a chase through
``sending.chase_email``."""

from math import ceil

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from wtforms import BooleanField, HiddenField, SelectMultipleField
from wtforms.validators import StopValidation

from ..accounts.access import allow
from ..accounts.roles import FOLLOW_READERS, FOLLOWERS
from ..database import db
from ..dates import today
from ..errors import DomainError
from ..fields import (
    ChoiceField,
    FlaskForm,
    Form,
    form_values,
    id_or_none,
    options,
    show_domain_error,
)
from ..paging import Page, requested_number
from ..visits.models import Visit
from . import board as boards
from . import chase, sending
from .referral_forms import StatusForm
from .rules import Change
from .services import By, change_status
from .vocabulary import NEXT, SENT_HOW, STATUSES

bp = Blueprint("followup", __name__, url_prefix="/follow-up")

CHASE_PAGE_SIZE = 50
# The statuses a bulk update may set (any a referral can move to; the rules check each one).
BULK_STATUSES = [status for status in STATUSES if any(status in moves for moves in NEXT.values())]


class FilterForm(Form):
    """The board's filters, read from the page address; a value not offered is ignored. Their
    ids differ from their names, as the bulk form on the same page has a "status" too."""

    service = ChoiceField("Service", required=False, id="filter-service")
    status = ChoiceField("Status", required=False, id="filter-status",
                         choices=options(STATUSES.items(), "All statuses"))
    overdue = BooleanField("Only what is overdue", id="filter-overdue")


class ReferralsField(SelectMultipleField):
    """The referrals ticked on the board: at least one, each one of this visit's."""

    def __init__(self, label, **kwargs):
        super().__init__(label, coerce=id_or_none, **kwargs)

    def pre_validate(self, form):
        if not self.data:
            raise StopValidation("Select the referrals to update")
        offered = {value for value, _ in self.choices}
        if not set(self.data) <= offered:
            raise StopValidation("Select referrals from this board")


class BulkForm(StatusForm):
    """One change for every ticked referral (the fields of a referral's own status form)."""

    referrals = ReferralsField("Referrals")


def _visit_or_404(visit_id: int) -> Visit:
    """The visit (any visit: everyone who may use these pages may see every visit)."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        abort(404)
    return visit


def _requested_filters(args) -> boards.Filters:
    """The filters the page address asks for; a value that is not one is ignored (an unknown
    service id simply matches nothing)."""
    status = args.get("status", "")
    return boards.Filters(service_id=id_or_none(args.get("service")),
                          status=status if status in STATUSES else "",
                          overdue=args.get("overdue") == "y")


def _filter_args(filters: boards.Filters) -> dict:
    """The filters as the page address's query arguments."""
    chosen = {"service": filters.service_id or "", "status": filters.status,
              "overdue": "y" if filters.overdue else ""}
    return {name: value for name, value in chosen.items() if value}


def _bulk_form() -> BulkForm:
    """The bulk update form offering every status a referral can be moved to."""
    form = BulkForm()
    form.status.choices = options(((status, STATUSES[status]) for status in BULK_STATUSES),
                                  "Choose the new status")
    return form


def _board_page(visit: Visit, form: BulkForm | None = None):
    """The board as filtered in the page address, with the bulk form as submitted if any."""
    filter_form = FilterForm(request.args)
    filter_form.service.choices = options(boards.services_referred(visit.id), "All services")
    filters = _requested_filters(request.args)
    return render_template(
        "followup/board.html", visit=visit, men=boards.board(visit.id, filters, today()),
        filter_form=filter_form, filters=_filter_args(filters), form=form or _bulk_form(),
        follower=g.user.role in FOLLOWERS, statuses=STATUSES, sent_how=SENT_HOW,
        ticked=set(form.referrals.data or []) if form else set())


@bp.route("/visits/<int:visit_id>")
@allow(*FOLLOW_READERS)
def board(visit_id: int):
    """A visit's men and referrals, where each stands (the view is audited: it shows names)."""
    visit = _visit_or_404(visit_id)
    boards.record_viewed(visit.id, g.user.id)
    return _board_page(visit)


@bp.route("/visits/<int:visit_id>/update", methods=["POST"])
@allow(*FOLLOWERS)
def update(visit_id: int):
    """Apply one change to the ticked referrals, all or none; back to the same filters."""
    visit = _visit_or_404(visit_id)
    form = _bulk_form()
    form.referrals.choices = [(referral_id, "") for referral_id in
                              sorted(boards.selectable_ids(visit.id))]
    if form.validate_on_submit():
        try:
            changed = change_status(form.referrals.data, _change(form), By(g.user.id))
        except DomainError as error:
            _show_error(form, error)
        else:
            status = STATUSES[form.status.data].lower()
            flash(f"{len(changed)} referral{'s' if len(changed) != 1 else ''} now {status}.")
            return redirect(url_for("followup.board", visit_id=visit.id,
                                    **_filter_args(_requested_filters(request.args))))
    boards.record_viewed(visit.id, g.user.id)
    return _board_page(visit, form)


def _change(form: BulkForm) -> Change:
    """The change the form asks for, as plain values."""
    values = form_values(form, ["status", "on", "decline_reason", "close_reason",
                                "reason_other", "sent_how"])
    reason = {"declined": values["decline_reason"], "closed": values["close_reason"]}
    return Change(status=values["status"], on=values["on"],
                  reason=reason.get(values["status"], "") or "",
                  reason_other=values["reason_other"], sent_how=values["sent_how"] or "")


def _show_error(form: BulkForm, error: DomainError) -> None:
    """Show the service's refusal on its field (the reason on the list for that status)."""
    if error.field == "reason":
        reason_field = form.close_reason if form.status.data == "closed" else form.decline_reason
        reason_field.errors.append(error.message)
    else:
        show_domain_error(form, error)


@bp.route("/chase")
@allow(*FOLLOW_READERS)
def chase_list():
    """Everything to chase, most overdue first, a page at a time (of one visit if asked)."""
    visit_id = id_or_none(request.args.get("visit"))
    visit = _visit_or_404(visit_id) if visit_id is not None else None
    items = chase.shown_items(g.user.id, today(), visit_id)
    return render_template("followup/chase.html", page=_page_of(items), visit=visit,
                           filters={"visit": visit_id} if visit else {})


def _page_of(items: list) -> Page:
    """The page of the list the address asks for. The list is cut here, not in SQL: whether
    an item is due depends on working days counted in Python."""
    number = min(requested_number(request.args), max(ceil(len(items) / CHASE_PAGE_SIZE), 1))
    start = (number - 1) * CHASE_PAGE_SIZE
    return Page(items=items[start:start + CHASE_PAGE_SIZE], number=number,
                size=CHASE_PAGE_SIZE, total=len(items))


class ChaseForm(FlaskForm):
    """The chase button: where to come back to (this list, one visit's list, or home)."""

    back = HiddenField()
    visit = HiddenField()


@bp.route("/chase/<int:referral_id>", methods=["POST"])
@allow(*FOLLOWERS)
def chase_referral(referral_id: int):
    """Chase the service by email: a new link, the email queued again, the chase noted."""
    form = ChaseForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        sending.chase_email(referral_id, g.user.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Chased: the service is being sent the referral's email again, with a new link.")
    if form.back.data == "home":
        return redirect(url_for("site.home"))
    visit_id = id_or_none(form.visit.data)
    return redirect(url_for("followup.chase_list", **({"visit": visit_id} if visit_id else {})))


@bp.app_template_global()
def visit_chase_count(visit_id: int) -> int:
    """How many things to chase on a visit (for its page; a count, no names)."""
    return len(chase.chase_items(today(), visit_id))
