"""One pack or one form as HTML (for the preview and the batches) and as PDF, each PDF of a
man's details audited before it is rendered. Titles and file names never carry a name or a
prison number."""

from ..audit.services import record
from ..cohorts.models import CohortMember
from ..cohorts.register import session_of
from ..database import db, end_read, writes
from ..printing.services import html_to_pdf, render_html
from ..referrals.services import member_in_session, set_for
from . import content, referral_form
from .content import PackOptions

PACK_TEMPLATE = "packs/pack_pdf.html"
FORM_TEMPLATE = "packs/referral_form_pdf.html"
PACK_TITLE = "Your plan for release"
FORM_TITLE = "Self-referral form"


def member(visit_id: int, session_id: int, public_id: str) -> CohortMember:
    """The man, placed in this session of this visit (a DomainError otherwise)."""
    session_of(visit_id, session_id)
    return member_in_session(visit_id, session_id, public_id)


def pack_html(man: CohortMember, options: PackOptions) -> str:
    """His pack as HTML for WeasyPrint."""
    return render_html(PACK_TEMPLATE, content.pack(man, set_for(man.id), options),
                       title=PACK_TITLE)


def form_html(man: CohortMember | None, common: dict | None = None) -> str:
    """His pre-filled form (or a blank one) as HTML for WeasyPrint."""
    context = (referral_form.filled_form(man, common) if man
               else referral_form.blank_form(common))
    return render_html(FORM_TEMPLATE, context, title=FORM_TITLE)


@writes
def audit_printed(what: str, man: CohortMember, actor_id: int, detail: str = "") -> None:
    """Record and commit that a PDF of his details was made, before it is rendered (so no
    write lock is held while WeasyPrint works)."""
    record(f"{what}.printed", actor_id, "cohort_member", man.id, detail=detail or None)
    db.session.commit()


@writes
def audit_previewed(man: CohortMember, actor_id: int) -> None:
    """Record and commit that someone looked at his pack on screen."""
    record("pack.previewed", actor_id, "cohort_member", man.id)
    db.session.commit()


def pack_pdf(man: CohortMember, options: PackOptions, actor_id: int) -> bytes:
    """His pack as a PDF, audited."""
    html = pack_html(man, options)
    audit_printed("pack", man, actor_id, options.variant)
    return html_to_pdf(html, title=PACK_TITLE)


def blank_pack_pdf(area: str, options: PackOptions) -> bytes:
    """A pack without name or plan for a man who was not seen (no personal data: not audited)."""
    html = render_html(PACK_TEMPLATE, content.blank_pack(area, options), title=PACK_TITLE)
    end_read()
    return html_to_pdf(html, title=PACK_TITLE)


def form_pdf(man: CohortMember | None, actor_id: int | None = None) -> bytes:
    """His pre-filled self-referral form (audited), or a blank one."""
    html = form_html(man)
    if man is not None:
        audit_printed("referral_form", man, actor_id)
    else:
        end_read()
    return html_to_pdf(html, title=FORM_TITLE)
