"""The audit trail page for auditors and administrators: the trail in words, filtered by who,
action, object and days, a page at a time by row id, and its CSV download."""

from flask import Blueprint, Response, abort, g, render_template, request, stream_with_context

from ..accounts.access import allow
from ..accounts.roles import ADMIN, AUDITOR
from ..database import end_read
from ..dates import today
from ..paging import requested_key
from . import services
from .forms import chosen_filter, trail_form
from .vocabulary import object_words, sentence

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@allow(AUDITOR, ADMIN)
def trail():
    """The newest audit rows the filter picks, a page at a time, older and newer by row id; a
    filter that is not one is shown on its field, with no rows."""
    form = trail_form(request.args)
    chosen = chosen_filter(form)
    page = None
    if chosen is not None:
        page = services.recent(older_than=requested_key(request.args, "older_than"),
                               newer_than=requested_key(request.args, "newer_than"),
                               chosen=chosen)
    return render_template("audit/trail.html", form=form, page=page,
                           filters=chosen.args() if chosen else {},
                           sentence=sentence, object_words=object_words)


@bp.route("/trail.csv")
@allow(AUDITOR, ADMIN)
def export():
    """The filtered trail as CSV, streamed as it is written; the download is audited first and
    named by today's date only."""
    chosen = chosen_filter(trail_form(request.args))
    if chosen is None:
        abort(400)  # the page never links to a download of a filter it refused
    services.record_export(g.user.id, chosen)
    end_read()
    filename = f"audit-trail-{today():%Y-%m-%d}.csv"
    return Response(stream_with_context(services.export_chunks(chosen)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
