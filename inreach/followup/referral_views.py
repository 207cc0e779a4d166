"""One referral's follow-up page (what happened next and, for an IPS service, his employment
outcomes) and a man's timeline. Organisers and admins record; auditors read; volunteers see
none of it. Each read is audited; each form calls one service and shows its refusal on the
field, having saved nothing."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..accounts.access import allow
from ..accounts.roles import FOLLOW_READERS, FOLLOWERS
from ..errors import DomainError
from ..fields import show_domain_error
from ..people import timeline as timelines
from . import outcomes, referral_page
from .referral_forms import EmployerContactForm, JobStartForm, ProfileForm, status_form
from .rules import Change
from .services import By, change_status
from .vocabulary import JOB_START_HOURS, STATUSES

bp = Blueprint("referral_followup", __name__)
MILESTONE_FORMS = {"profile_started_on": ProfileForm, "employer_contact_on": EmployerContactForm}
SAVED = {"profile_started_on": "Vocational profile start recorded.",
         "employer_contact_on": "First employer contact recorded."}


def _page_or_404(referral_id: int) -> referral_page.ReferralPage:
    """The referral's page values, or 404."""
    try:
        return referral_page.referral_page(referral_id)
    except DomainError:
        abort(404)


def _render(page, problem: str | None = None, **forms):
    """The page with its forms: those given (holding the posted answers and their errors) and
    fresh ones for the rest. ``problem`` is a refusal that belongs to no field."""
    forms.setdefault("status_form", status_form(page.next_statuses, formdata=None))
    for field, form_class in MILESTONE_FORMS.items():
        forms.setdefault(field, form_class(formdata=None, data={field: getattr(page, field)}))
    forms.setdefault("job_form", JobStartForm(formdata=None))
    return render_template("followup/referral.html", page=page, problem=problem,
                           status_labels=STATUSES,
                           job_start_hours=JOB_START_HOURS, **forms)


def _back(referral_id: int, message: str):
    """After a change: say what was saved and show the page again (POST → redirect → GET)."""
    flash(message)
    return redirect(url_for("referral_followup.referral", referral_id=referral_id))


@bp.route("/follow-up/referrals/<int:referral_id>", methods=["GET", "POST"])
@allow(*FOLLOW_READERS)
def referral(referral_id: int):
    """Where the referral stands, its history, and "Record what happened"."""
    if request.method == "POST" and g.user.role not in FOLLOWERS:
        abort(403)
    page = _page_or_404(referral_id)
    if request.method == "GET":
        referral_page.record_view(page.id, g.user.id)
        return _render(page)
    form = status_form(page.next_statuses)
    if form.validate_on_submit():
        try:
            change_status([page.id], _change(form), By(g.user.id))
        except DomainError as error:
            _show_status_error(form, error)
        else:
            return _back(page.id, f"Recorded: {STATUSES[form.status.data].lower()}.")
    return _render(page, status_form=form)


def _change(form) -> Change:
    """The form's answers as a Change: the reason list that fits the new status."""
    status = form.status.data
    reason = {"declined": form.decline_reason.data,
              "closed": form.close_reason.data}.get(status) or ""
    return Change(status=status, on=form.on.data, reason=reason,
                  reason_other=form.reason_other.data or "",
                  sent_how=(form.sent_how.data or "") if status == "sent" else "")


def _show_status_error(form, error: DomainError) -> None:
    """Put the refusal on its field; "reason" is one of two lists on the form."""
    if error.field == "reason":
        error.field = "close_reason" if form.status.data == "closed" else "decline_reason"
    show_domain_error(form, error)


@bp.route("/follow-up/referrals/<int:referral_id>/<any(profile_started_on, "
          "employer_contact_on):milestone>", methods=["POST"])
@allow(*FOLLOWERS)
def milestone(referral_id: int, milestone: str):
    """Record the day his vocational profile was started, or his first employer contact."""
    page = _page_or_404(referral_id)
    form = MILESTONE_FORMS[milestone]()
    if form.validate_on_submit():
        try:
            outcomes.record_milestone(page.id, milestone, form[milestone].data, g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            return _back(page.id, SAVED[milestone])
    return _render(page, **{milestone: form})


@bp.route("/follow-up/referrals/<int:referral_id>/jobs", methods=["POST"])
@allow(*FOLLOWERS)
def job_start(referral_id: int):
    """Record a job he started."""
    page = _page_or_404(referral_id)
    form = JobStartForm()
    if form.validate_on_submit():
        try:
            job = outcomes.add_job_start(page.id, form.started_on.data, form.hours_per_week.data,
                                         g.user.id)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            counted = ("it counts as a job start" if outcomes.counts_as_job_start(
                job.hours_per_week) else f"under {JOB_START_HOURS} hours: not counted")
            return _back(page.id, f"Job start recorded ({counted}).")
    return _render(page, job_form=form)


@bp.route("/follow-up/referrals/<int:referral_id>/jobs/<int:job_id>/in-work/<int:weeks>",
          methods=["POST"])
@allow(*FOLLOWERS)
def in_work(referral_id: int, job_id: int, weeks: int):
    """Record whether he was still in the job 13 or 26 weeks after it started."""
    page = _page_or_404(referral_id)
    answer = {"yes": True, "no": False}.get(request.form.get("in_work", ""))
    try:
        outcomes.record_in_work(page.id, job_id, weeks, answer, g.user.id)
    except DomainError as error:
        if error.code == "not_found":
            abort(404)
        return _render(page, problem=error.message)
    return _back(page.id, f"Recorded whether he was in work at {weeks} weeks.")


@bp.route("/people/<public_id>/timeline")
@allow(*FOLLOW_READERS)
def timeline(public_id: str):
    """Everything that happened with him, newest first. Reading it is audited."""
    try:
        page = timelines.timeline(public_id)
    except DomainError:
        abort(404)
    timelines.record_view(page.person_id, g.user.id)
    return render_template("people/timeline.html", timeline=page)
