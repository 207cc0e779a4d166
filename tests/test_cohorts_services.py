"""Rules for people and cohorts, called directly against a real database."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from inreach.cohorts import services
from inreach.cohorts.models import CohortMember, Person
from inreach.cohorts.services import PersonDetails
from inreach.database import db
from inreach.errors import DomainError

from . import planning

VISIT_DAY = date(2027, 3, 31)
TODAY = date(2027, 3, 1)


@pytest.fixture
def visit(app_context):
    return planning.visit(planning.prison().id, VISIT_DAY)


def man(number="A1234BC", release=VISIT_DAY + timedelta(days=30), **changes) -> PersonDetails:
    return PersonDetails(**({"prison_number": number, "first_name": "Dan",
                             "last_name": "Fictional", "release_date": release} | changes))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("text,number", [("a1234bc", "A1234BC"), (" Z9999ZZ ", "Z9999ZZ")])
def test_prison_numbers_are_upper_cased_and_trimmed(text, number):
    assert services.prison_number(text) == number


@pytest.mark.parametrize("text", ["", "A1234B", "11234BC", "A1234BCD", "A12 34BC", "Ä1234BC"])
def test_bad_prison_numbers_are_refused(text):
    with pytest.raises(DomainError) as error:
        services.prison_number(text)
    assert error.value.code == "bad_prison_number"


@pytest.mark.parametrize("release,eligible,reason", [
    (None, False, "No release date"),
    (TODAY - timedelta(days=1), False, "Already released (28 Feb 2027)"),
    (VISIT_DAY - timedelta(days=2), False, "Release outside the window: 2 days before the visit"),
    (VISIT_DAY, True, "Release 0 days after the visit"),
    (VISIT_DAY + timedelta(days=90), True, "Release 90 days after the visit"),
    (VISIT_DAY + timedelta(days=91), False, "Release outside the window: 91 days after the visit"),
])
def test_eligibility_follows_the_visit_window(visit, release, eligible, reason):
    check = services.eligibility(visit, release, TODAY)
    assert (check.eligible, check.reason) == (eligible, reason)


def test_the_window_can_be_narrowed_and_is_checked(visit):
    services.set_window(visit.id, 14, 60, actor_id=None)
    assert not services.eligibility(visit, VISIT_DAY + timedelta(days=7), TODAY).eligible
    assert services.eligibility(visit, VISIT_DAY + timedelta(days=14), TODAY).eligible
    for start, end, code in [(-1, 10, "window_negative"), (30, 10, "window_range"),
                             (0, 731, "window_range")]:
        with pytest.raises(DomainError) as error:
            services.set_window(visit.id, start, end, actor_id=None)
        assert error.value.code == code
        db.session.rollback()
    assert (visit.eligible_from_days, visit.eligible_to_days) == (14, 60)


def test_adding_an_eligible_man_and_his_history_links_up_across_visits(visit):
    first = services.add_to_cohort(visit.id, man(), None, TODAY)
    later = planning.visit(visit.prison_id, VISIT_DAY + timedelta(days=20))
    second = services.add_to_cohort(later.id, man("a1234bc", location="B wing"), None, TODAY)
    assert first.person_id == second.person_id
    assert db.session.get(Person, first.person_id).location == "B wing"
    assert count(Person) == 1 and count(CohortMember) == 2
    assert first.public_id != second.public_id and "A1234BC" not in first.public_id


@pytest.mark.parametrize("details,code,field", [
    (man(release=VISIT_DAY + timedelta(days=200)), "ineligible", "release_date"),
    (man(release=None), "ineligible", "release_date"),
    (man(first_name="  "), "missing_name", "first_name"),
    (man(last_name=""), "missing_name", "last_name"),
    (man(first_name="x" * 61), "too_long", "first_name"),
    (man("123"), "bad_prison_number", "prison_number"),
    (man(release_type="LATER"), "bad_release_type", "release_type"),
    (man(interests=["knitting"]), "bad_interest", "interests"),
])
def test_bad_men_are_refused_and_nothing_is_saved(visit, details, code, field):
    with pytest.raises(DomainError) as error:
        services.add_to_cohort(visit.id, details, None, TODAY)
    assert (error.value.code, error.value.field) == (code, field)
    db.session.rollback()
    assert count(Person) == 0 and count(CohortMember) == 0


def test_a_man_is_on_a_visit_only_once(visit):
    services.add_to_cohort(visit.id, man(), None, TODAY)
    with pytest.raises(DomainError) as error:
        services.add_to_cohort(visit.id, man(), None, TODAY)
    assert error.value.code == "already_on_visit"
    db.session.rollback()
    assert count(CohortMember) == 1


def test_a_walk_in_needs_no_release_date_and_is_flagged(visit):
    member = services.add_to_cohort(visit.id, man(release=None), None, TODAY, walk_in=True)
    assert member.walk_in
    assert services.get_member(visit.id, member.public_id).id == member.id
    with pytest.raises(DomainError):
        services.get_member(visit.id, "not-an-id")
