"""A printing day for pack and form tests: a session of three men (one who chose two services
and shared with one, one not seen yet, one who declined everything and wants easy read) and a
small directory across two areas, straight into the real test database."""

from datetime import timedelta

import pytest

from inreach.accounts.models import User
from inreach.database import begin_write, db
from inreach.dates import today
from inreach.directory.models import (
    Contact,
    DirectoryOrganisation,
    Phone,
    Service,
    ServiceArea,
    ServicePathway,
)
from inreach.referrals import services as referrals
from inreach.referrals.consent import current_wording

from . import planning
from . import referral_builders as build


def entry(name: str, areas: list[str], pathways: list[str], phone: str = "", *,
          status: str = "active", checked_days_ago: int | None = 10, referable: bool = False,
          **values) -> Service:
    """A directory entry run by a made-up charity."""
    begin_write()
    organisation = db.session.query(DirectoryOrganisation).filter_by(
        name="Fictional Trust").one_or_none() or DirectoryOrganisation(name="Fictional Trust")
    values = {"description": f"About {name}.", "next_steps": f"{name} will write to you within "
              "two weeks of release" if referable else "", **values}
    service = Service(organisation=organisation, name=name, status=status, referable=referable,
                      assured_date=None if checked_days_ago is None
                      else today() - timedelta(days=checked_days_ago), **values)
    service.areas = [ServiceArea(name=area) for area in areas]
    service.pathways = [ServicePathway(pathway=code) for code in pathways]
    if phone:
        service.contacts = [Contact(phones=[Phone(number=phone, description="Freephone")])]
    db.session.add(service)
    db.session.commit()
    return service


DIRECTORY = [
    ("Camden work coach", ["Camden"], ["education_work"], "020 7946 0001", {"referable": True}),
    ("Camden housing desk", ["Camden"], ["accommodation", "finance_id"], "020 7946 0002",
     {"referable": True}),
    ("Hackney food bank", ["Hackney"], ["finance_id"], "020 7946 0003", {}),
    ("National ID helpline", ["National"], ["finance_id"], "0808 157 0001", {}),
    ("Closed project", ["Camden"], ["health"], "020 7946 0004", {"status": "inactive"}),
    ("Paused project", ["Camden"], ["health"], "020 7946 0005",
     {"status": "temporarily closed"}),
    ("Old entry", ["Camden"], ["health"], "020 7946 0006", {"checked_days_ago": 400}),
    ("Samaritans", ["National"], ["urgent", "health"], "116 123", {}),
    ("NHS 111", ["National"], ["urgent"], "111", {}),
]


@pytest.fixture
def printing_day(app, make_user):
    """The day's ids: visit, session, men (by public id), services (by name) and users."""
    users = {role: make_user(role) for role in ("organiser", "admin", "volunteer", "auditor")}
    with app.app_context():
        prison = planning.prison()
        visit = planning.visit(prison.id, today(), status="confirmed")
        session = planning.session(visit.id)
        men = {"john": build.man(visit.id, session.id, "A1234BC"),
               "karl": build.man(visit.id, session.id, "B2345CD", "Karl", "Madeup"),
               "lee": build.man(visit.id, session.id, "C3456DE", "Lee", "Invented")}
        begin_write()
        for member in men.values():
            member.person.release_area = "Camden"
        db.session.commit()
        services = {name: entry(name, areas, pathways, phone, **extra).id
                    for name, areas, pathways, phone, extra in DIRECTORY}
        organiser = db.session.get(User, users["organiser"])
        version = current_wording().version
        work, housing = services["Camden work coach"], services["Camden housing desk"]
        referrals.save(visit.id, session.id, build.capture(
            men["john"].public_id, consent_version=version, chosen=[work, housing],
            consent={work: True, housing: False}, release_area="Camden"), organiser)
        referrals.save(visit.id, session.id, build.capture(
            men["lee"].public_id, consent_version=version, easy_read=True,
            release_area="Camden"), organiser)
        return {"visit": visit.id, "session": session.id, "users": users,
                "services": services, "visit_date": visit.date,
                **{name: member.public_id for name, member in men.items()},
                "references": {name: member.form_reference for name, member in men.items()}}
