"""Hand-off after a visit: the referrals to send, by receiving service (organisers).

Organisers and admins send (by secure email, or mark as sent another way); auditors read the
page and may download a service's PDF or CSV, as the downloads are audited like the page;
volunteers see none of it. Download names carry ids only."""

import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from wtforms import HiddenField
from wtforms.validators import Optional

from ..accounts.access import allow
from ..accounts.roles import FOLLOW_READERS, FOLLOWERS
from ..errors import DomainError
from ..fields import ChoiceField, FlaskForm, RealDateField, options, show_domain_error
from ..printing.spreadsheet import csv_download
from . import handoff, mail, sending
from .vocabulary import SENT_HOW

bp = Blueprint("handoff", __name__, url_prefix="/visits/<int:visit_id>/handoff")
QUEUE_DOWN = ("The task queue cannot be reached just now, so nothing was sent. Try again in a "
              "minute; if it keeps happening, tell whoever runs inreach.")


class SendForm(FlaskForm):
    """"Send by secure email": the key made when the page was shown, so a second click or a
    resubmitted page sends nothing new."""

    key = HiddenField()


class MarkSentForm(FlaskForm):
    """"Mark as sent another way": how, and on which day."""

    sent_how = ChoiceField("How they were sent", choices=options(
        (how, SENT_HOW[how]) for how in sending.OTHER_WAYS))
    on = RealDateField("Date sent", validators=[Optional()])


def _prefix(service_id: int) -> str:
    return f"s{service_id}-"


@bp.route("")
@allow(*FOLLOW_READERS)
def page(visit_id: int):
    """The visit's consented referrals by service, with how each service takes them."""
    return _page(visit_id)


def _page(visit_id: int, posted: FlaskForm | None = None, posted_for: int | None = None,
          status: int = 200):
    """The page, with the form just posted (and its errors) in its service's place."""
    try:
        found = handoff.handoff(visit_id)
    except DomainError:
        abort(404)
    handoff.record_viewed(visit_id, g.user.id)
    send_forms, mark_forms = {}, {}
    for service in found.services:
        prefix = _prefix(service.service_id)
        send_forms[service.service_id] = SendForm(formdata=None, prefix=prefix,
                                                  data={"key": sending.new_key()})
        mark_forms[service.service_id] = MarkSentForm(formdata=None, prefix=prefix)
    if posted is not None:
        (send_forms if isinstance(posted, SendForm) else mark_forms)[posted_for] = posted
    return render_template("followup/handoff.html", handoff=found, send_forms=send_forms,
                           mark_forms=mark_forms, posted=posted,
                           writer=g.user.role in FOLLOWERS,
                           outbox=mail.written_to_outbox()), status


@bp.route("/services/<int:service_id>/send", methods=["POST"])
@allow(*FOLLOWERS)
def send(visit_id: int, service_id: int):
    """Queue one secure email with the service's unsent referrals."""
    form = SendForm(prefix=_prefix(service_id))
    if form.validate():
        try:
            dispatch, repeat = sending.send_by_email(visit_id, service_id, form.key.data or "",
                                                     g.user.id)
        except DomainError as error:
            form.form_errors.append(QUEUE_DOWN if error.code == "queue_unavailable"
                                    else error.message)
        else:
            flash(_queued_message(dispatch, repeat))
            return redirect(url_for(".page", visit_id=visit_id))
    return _page(visit_id, form, service_id, 422)


def _queued_message(dispatch, repeat: bool) -> str:
    """What the organiser is told after pressing "Send by secure email"."""
    if repeat:
        return "These referrals were already queued to be emailed: nothing new was sent."
    count = len(json.loads(dispatch.referral_ids))
    where = (" It is written to the outbox folder, as no mail server is set up."
             if mail.written_to_outbox() else "")
    return (f"{count} referral{'s' if count != 1 else ''} queued to be emailed. This page "
            f"shows them as sent once the mail server has taken the email.{where}")


@bp.route("/services/<int:service_id>/mark-sent", methods=["POST"])
@allow(*FOLLOWERS)
def mark_sent(visit_id: int, service_id: int):
    """Record that the service's unsent referrals went by phone, portal or post."""
    prefix = _prefix(service_id)
    form = MarkSentForm(prefix=prefix)
    if form.validate():
        try:
            sent = sending.mark_sent(visit_id, service_id, form.sent_how.data, form.on.data,
                                     g.user.id)
        except DomainError as error:
            show_domain_error(form, DomainError(error.code, error.message,
                                                prefix + error.field if error.field else None))
        else:
            flash(f"{len(sent)} referral{'s' if len(sent) != 1 else ''} marked as sent.")
            return redirect(url_for(".page", visit_id=visit_id))
    return _page(visit_id, form, service_id, 422)


@bp.route("/services/<int:service_id>/referrals.pdf")
@allow(*FOLLOW_READERS)
def pdf(visit_id: int, service_id: int):
    """The service's referrals, one page per man, to send another way or to check."""
    return _download(visit_id, service_id, "pdf", "application/pdf")


@bp.route("/services/<int:service_id>/referrals.csv")
@allow(*FOLLOW_READERS)
def csv(visit_id: int, service_id: int):
    """The same details as CSV, for a service's portal or spreadsheet."""
    return _download(visit_id, service_id, "csv", "text/csv")


def _download(visit_id: int, service_id: int, file_format: str, mimetype: str) -> Response:
    """Run the audited download; a file name with ids only."""
    try:
        content = handoff.download(visit_id, service_id, file_format, g.user.id)
    except DomainError:
        abort(404)
    if file_format == "csv":
        content = csv_download(content)
    filename = f"referrals-visit-{visit_id}-service-{service_id}.{file_format}"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
