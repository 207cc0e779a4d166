"""The demo service directory that seed-demo adds: every pathway and both release areas covered,
referable services to offer at a visit (each but one saying how referrals reach it), fictional
local entries clearly marked and unchecked, real national helplines, and nothing added twice."""

import re

import pytest
from sqlalchemy import func, select

from inreach.database import db
from inreach.dates import today
from inreach.demo.directory import DEMO, seed_directory
from inreach.demo.prison_list import AREAS
from inreach.directory import services
from inreach.directory.models import DirectoryOrganisation, Phone, Service
from inreach.directory.vocabulary import NATIONAL, PATHWAYS, REFERRAL_DETAILS

# Ofcom's numbers for drama: London 020 7946 0000-0999 and freephone 0808 157 0000-0999.
DRAMA = re.compile(r"02079460\d{3}|08081570\d{3}")


@pytest.fixture
def seeded(app, runner):
    """The demo data seeded through the command, inside an app context."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        yield


def all_services() -> list[Service]:
    """Every service in the directory, closed ones too."""
    return services.find_services(everything=True)


def by_name(name: str) -> Service:
    """The one service with this name."""
    return db.session.scalar(select(Service).where(Service.name == name))


def counts() -> tuple[int, ...]:
    """Rows in the directory tables seeding writes."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (DirectoryOrganisation, Service, Phone))


def is_local(service: Service) -> bool:
    """A service for particular areas rather than the whole country."""
    return NATIONAL not in service.area_names


def test_the_directory_has_about_thirty_services_under_every_pathway(seeded):
    assert len(all_services()) >= 28
    for pathway in PATHWAYS:
        assert services.find_services(pathway=pathway), pathway
        assert any(service.status == "active" for service in services.find_services(pathway))
    assert sum(len(service.pathway_codes) > 1 for service in all_services()) >= 5


def test_both_release_areas_and_national_services_are_covered(seeded):
    assert services.known_areas() == sorted(AREAS[:2])
    local = [service for service in all_services() if is_local(service)]
    assert any(set(AREAS[:2]) <= set(service.area_names) for service in local)
    for area in AREAS[:2]:
        assert any(area in service.area_names for service in local), area
    assert sum(not is_local(service) for service in all_services()) >= 8


def test_referable_services_say_what_happens_next(seeded):
    referable = services.referable_services()
    assert len(referable) >= 6
    assert {pathway for service in referable for pathway in service.pathway_codes} >= {
        "education_work", "accommodation", "drugs_alcohol", "health", "finance_id", "families"}
    for service in referable:
        assert service.next_steps and service.referral_contact, service.name
        assert service.detail_codes and set(service.detail_codes) <= set(REFERRAL_DETAILS)
    for area in AREAS[:2]:
        assert services.referable_services(area), area


def test_referable_services_say_how_referrals_reach_them_but_one(seeded):
    referable = services.referable_services()
    routes = {service.name: service.referral_route for service in referable}
    assert [name for name, route in routes.items() if not route] == [
        "Through-the-gate peer mentoring"]  # shows the "no referral route" warning
    assert services.count_missing_route() == 1
    assert set(routes.values()) == {"", "email", "phone", "portal", "post"}
    for service in referable:
        if service.referral_route == "email":
            assert re.fullmatch(r"demo-[a-z-]+@example\.org", service.referral_email)
        elif service.referral_route:
            assert service.referral_instructions, service.name
    assert {service.answer_days for service in referable} == {5, 10, 15}
    assert [service.name for service in referable if service.ips] == [
        "Individual Placement and Support (IPS) employment service"]
    ips = by_name("Individual Placement and Support (IPS) employment service")
    assert (ips.referral_route, ips.answer_days) == ("email", 5)


def test_only_samaritans_and_nhs_111_are_checked(seeded):
    samaritans = by_name("Samaritans")
    assert samaritans.assured_date == today()
    assert samaritans.assurer_email == "demo-checker@example.org"
    assert not services.needs_checking(samaritans)
    assert [phone.number for phone in samaritans.phones] == ["116 123"]
    checked = {service.name for service in all_services() if service.assured_date}
    assert checked == {"Samaritans", "NHS 111"}
    assert services.needs_checking(by_name(
        "Individual Placement and Support (IPS) employment service"))


def test_local_entries_are_fictional_and_use_reserved_numbers_and_addresses(seeded):
    for service in all_services():
        fictional = service.description.startswith(DEMO)
        assert fictional == is_local(service), service.name
        assert "not checked" not in service.description
        if fictional:
            assert service.email.endswith("@example.org"), service.name
            assert service.url.startswith("https://example.org/"), service.name
            assert service.organisation.email.endswith("@example.org"), service.name
            assert service.phones, service.name
            for phone in service.phones:
                assert DRAMA.fullmatch(re.sub(r"\D", "", phone.number)), phone.number


def test_lists_show_an_inactive_and_a_temporarily_closed_entry(seeded):
    statuses = [service.status for service in all_services()]
    assert statuses.count("inactive") == statuses.count("temporarily closed") == 1
    listed = {service.status for service in services.find_services()}
    assert listed == {"active", "temporarily closed"}


def test_seeding_again_adds_nothing(app, runner, seeded):
    before = counts()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert seed_directory() == before[1]
    assert counts() == before


def test_a_directory_with_entries_of_its_own_is_left_alone(app_context):
    organisation = services.create_organisation(services.OrganisationDetails(name="Real org"), None)
    services.create_service(services.ServiceDetails(
        name="Real service", organisation_id=organisation.id, pathways=["health"],
        areas=["Ealing"]), None)
    assert seed_directory() == 1
    assert counts() == (1, 1, 0)
