"""The receiving team's page, reached by the link in the referral email (no login). It shows
only the referral's form reference, service and visit date; answering takes two taps (what
happened, then Save) with today's date already filled in. A link that does not work gets one
page whatever the reason, so the page tells a guesser nothing."""

import logging
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms import RadioField
from wtforms.validators import Optional

from ..accounts.access import public
from ..dates import today
from ..errors import DomainError
from ..fields import FlaskForm, RealDateField, form_values, options, show_domain_error, text_field
from . import answers
from .rules import REASON_OTHER_MAX
from .vocabulary import DECLINE_REASONS, STATUSES

bp = Blueprint("referral_link", __name__, url_prefix="/answer")

# How the link page words each answer (the vocabulary's labels are for organisers).
ANSWER_LABELS = {
    "accepted": "Accepted: we will offer him support",
    "declined": "Declined",
    "no_contact": "We could not contact him",
    "first_contact": "First contact: we have met or spoken with him",
}
TOKEN_IN_PATH = re.compile(r"(/answer/)[^\s?\"]+")


class AnswerForm(FlaskForm):
    """What happened and when; why, when declined. The service checks each choice."""

    status = RadioField("What happened?", choices=options(ANSWER_LABELS.items()),
                        validate_choice=False)
    on = RealDateField("Date it happened", validators=[Optional()])
    reason = RadioField("If you declined it: why?", choices=options(DECLINE_REASONS.items()),
                        validate_choice=False)
    reason_other = text_field("The other reason", REASON_OTHER_MAX)


@bp.route("/<token>", methods=["GET", "POST"])
@public
def answer(token: str):
    """Show the referral and record the receiving service's answer."""
    client = answers.client_key(request.remote_addr)
    form = AnswerForm()
    if request.method == "GET":
        form.on.data = today()
    try:
        if form.validate_on_submit():
            try:
                answers.answer(token, client, **form_values(
                    form, ("status", "on", "reason", "reason_other")))
            except DomainError as error:
                if error.code in ("link_closed", "too_many_tries"):
                    raise
                show_domain_error(form, error)
            else:
                flash("Thank you. Your answer is saved.")
                return redirect(url_for(".answer", token=token))
        referral = answers.open_link(token, client)
    except DomainError as error:
        return _refused(error)
    return _page("followup/link.html", 200, referral=referral, form=form,
                 labels=ANSWER_LABELS, statuses=STATUSES)


def _refused(error: DomainError):
    """The page for a link that does not work (404), or for too many tries (429)."""
    if error.code == "too_many_tries":
        return _page("followup/link_busy.html", 429)
    return _page("followup/link_closed.html", 404)


def _page(template: str, status: int, **context):
    """A link page, kept out of search engines."""
    return render_template(template, **context), status, {"X-Robots-Tag": "noindex"}


class HideLinkTokens(logging.Filter):
    """Replace a link's token in a logged path, so a log file cannot open a referral."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(TOKEN_IN_PATH.sub(r"\1…", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = TOKEN_IN_PATH.sub(r"\1…", record.msg)
        return True


HIDE_LINK_TOKENS = HideLinkTokens()


@bp.record_once
def _hide_tokens_in_logs(state) -> None:
    """The places that log a request's path: werkzeug's request log and Flask's "Exception on
    <path>" (the filter is added once, however many apps are made)."""
    logging.getLogger("werkzeug").addFilter(HIDE_LINK_TOKENS)
    state.app.logger.addFilter(HIDE_LINK_TOKENS)
