"""Builders for follow-up tests: a past visit with men whose referrals were saved through the
real capture service, an ordinary and an IPS service, and a helper to move referrals on through
the real status service."""

from datetime import date, timedelta

from sqlalchemy import select

from inreach.accounts.models import User
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.followup.rules import Change
from inreach.followup.services import By, change_status
from inreach.referrals import services as capture_services
from inreach.referrals.consent import current_wording
from inreach.referrals.models import Referral

from . import planning
from . import referral_builders as build


def ago(days: int) -> date:
    """The day this many days before today."""
    return today() - timedelta(days=days)


def world(make_user, days_ago: int = 30) -> dict:
    """A completed visit ``days_ago`` days ago with John, Karl and Lee placed in its session, a
    housing service and an IPS employment service, and a user per role. Returns the ids."""
    users = {role: make_user(role) for role in ("organiser", "admin", "auditor", "volunteer")}
    wsi = planning.prison()
    visit = planning.visit(wsi.id, ago(days_ago), status="completed")
    session = planning.session(visit.id)
    housing = build.service("Housing advice")
    ips = build.service("IPS employment")
    begin_write()
    db.session.get(type(ips), ips.id).ips = True
    db.session.commit()
    men = {"john": build.man(visit.id, session.id, "A1234BC"),
           "karl": build.man(visit.id, session.id, "B2345CD", "Karl", "Madeup"),
           "lee": build.man(visit.id, session.id, "C3456DE", "Lee", "Invented")}
    return {"users": users, "visit": visit.id, "visit_date": visit.date,
            "session": session.id, "housing": housing.id, "ips": ips.id,
            **{name: member.public_id for name, member in men.items()},
            **{f"{name}_person": member.person.public_id for name, member in men.items()}}


def refer(ctx: dict, man: str, consent: dict[int, bool]) -> dict[int, int]:
    """Save the man's referrals (service id -> shared?) as the organiser does from his paper
    form of the visit day; returns service id -> referral id."""
    organiser = db.session.get(User, ctx["users"]["organiser"])
    saved, _ = capture_services.save(ctx["visit"], ctx["session"], build.capture(
        ctx[man], consent_version=current_wording().version, chosen=list(consent),
        consent=consent, channel="paper", paper_date=ctx["visit_date"]), organiser)
    rows = db.session.execute(select(Referral.service_id, Referral.id)
                              .where(Referral.set_id == saved.id))
    return dict(rows.all())


def move(ctx: dict, referral_ids: list[int], status: str, on: date, **values) -> None:
    """Move referrals on through the real status service, as the organiser."""
    change_status(referral_ids, Change(status=status, on=on, **values),
                  By(ctx["users"]["organiser"]))


def sent(ctx: dict, referral_id: int, on: date | None = None) -> None:
    """Mark a referral sent by phone (the day after the visit unless told otherwise)."""
    move(ctx, [referral_id], "sent", on or ctx["visit_date"] + timedelta(days=1),
         sent_how="phone")


def fresh(referral_id: int) -> Referral:
    """The referral as stored now."""
    db.session.expire_all()
    return db.session.get(Referral, referral_id)
