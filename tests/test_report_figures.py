"""The report figures on a hand-made data set whose numbers are known (tests/report_builders.py
describes every man): the funnel with the study's 61 seen / 23 job starts, the mental-health
row with its 63 referrals / 9 accepted, pathways, over time, volunteer hours, an organisation
scope, an empty scope, bad scopes, a purge leaving every figure unchanged, working days and
medians, and a flat statement count."""

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update

from inreach.cohorts.models import Person
from inreach.database import begin_write, counting_statements, db
from inreach.errors import DomainError
from inreach.followup.chase import add_working_days
from inreach.referrals.models import ReferralSet
from inreach.reports.figures import (
    HoursRow,
    PeriodRow,
    Scope,
    ServiceRow,
    check_scope,
    median,
    report,
    working_days,
)
from inreach.volunteers.models import Volunteer

from . import report_builders as build

TODAY = date(2026, 6, 1)
KEYS = ["on_list", "eligible", "attended", "seen", "referred", "sent", "accepted",
        "first_contact", "profile", "job_start", "in_work_13"]
VISIT_A = [80, 75, 66, 61, 59, 53, 31, 29, 27, 23, 15]


@pytest.fixture
def study(app, make_user):
    """The hand-made data set, inside an app context."""
    organiser = make_user("organiser")
    with app.app_context():
        yield build.study(organiser)


def counts(result) -> list[int]:
    """The funnel's step counts in order."""
    return [step.count for step in result.funnel.steps]


def test_the_funnel_of_one_visit_has_the_study_shape(study):
    result = report(Scope(visit_id=study.visit_a))
    assert [step.key for step in result.funnel.steps] == KEYS
    assert counts(result) == VISIT_A
    seen, job_start = result.funnel.steps[3], result.funnel.steps[9]
    assert (seen.count, job_start.count) == (61, 23)  # "61 engaged, 23 into work"
    rates = [step.rate for step in result.funnel.steps]
    assert rates[0] is None
    assert rates[1:] == [pytest.approx(now / before)
                         for before, now in zip(VISIT_A, VISIT_A[1:], strict=False)]
    assert result.funnel.declined_everything == 1
    assert result.funnel.not_attended == [("Released early", 3), ("Transferred", 2),
                                          ("Refused", 4), ("Unwell", 1), ("Not recorded", 4)]
    assert sum(count for _, count in result.funnel.not_attended) == 80 - 66
    assert not result.empty
    assert result.title == "Employment and wellbeing day, HMP Wormwood Scrubs, 15 Jan 2026"
    assert all(step.definition and step.label for step in result.funnel.steps)


def test_all_time_leaves_out_the_cancelled_visit(study):
    result = report(Scope())
    assert counts(result) == [90, 85, 76, 71, 69, 63, 33, 29, 27, 23, 15]
    assert result.title == "All prisons, all time"
    assert counts(report(Scope(visit_id=study.visit_c)))[:5] == [5, 5, 5, 5, 5]


MENTAL_HEALTH = ServiceRow(name="Talking therapies", made=63, sent=63, accepted=9, declined=27,
                           no_contact=10, unanswered=17, acceptance_rate=9 / 63,
                           median_days_to_answer=5, median_days_to_first_contact=8.5)
IPS = ServiceRow(name="IPS employment", made=39, sent=37, accepted=31, declined=1, no_contact=1,
                 unanswered=4, acceptance_rate=31 / 37, median_days_to_answer=5,
                 median_days_to_first_contact=10)
HOUSING = ServiceRow(name="Housing desk", made=20, sent=0, accepted=0, declined=0, no_contact=0,
                     unanswered=0, acceptance_rate=None, median_days_to_answer=None,
                     median_days_to_first_contact=None)


def test_the_service_table_shows_the_63_to_9_gap(study):
    result = report(Scope())
    assert result.by_service == [MENTAL_HEALTH, IPS, HOUSING]
    for row in result.by_service:
        assert row.sent == row.accepted + row.declined + row.no_contact + row.unanswered


def test_pathways_add_up_their_services(study):
    result = report(Scope())
    assert result.by_pathway == [
        ServiceRow(name="Accommodation", made=20, sent=0, accepted=0, declined=0, no_contact=0,
                   unanswered=0, acceptance_rate=None, median_days_to_answer=None,
                   median_days_to_first_contact=None, parts=(2,)),
        ServiceRow(name="Education, skills and work", made=39, sent=37, accepted=31, declined=1,
                   no_contact=1, unanswered=4, acceptance_rate=31 / 37,
                   median_days_to_answer=5, median_days_to_first_contact=10, parts=(1,)),
        ServiceRow(name="Health", made=102, sent=100, accepted=40, declined=28, no_contact=11,
                   unanswered=21, acceptance_rate=40 / 100, median_days_to_answer=5,
                   median_days_to_first_contact=10, parts=(0, 1))]


def test_outcomes_by_quarter_and_volunteer_hours(study):
    result = report(Scope())
    assert result.over_time == [PeriodRow("2026 Q1", 112, 38, 24), PeriodRow("2026 Q2", 10, 2, 0)]
    label = "Employment and wellbeing day, HMP Wormwood Scrubs, 15 Jan 2026"
    assert result.volunteer_hours == [HoursRow("Fictional Charity", label, 1, 2.0),
                                      HoursRow("North Thames NHS Trust", label, 2, 7.5)]


def test_a_period_counts_the_visits_in_it(study):
    result = report(Scope(start=date(2026, 4, 1), end=date(2026, 6, 30), prison_id=study.prison))
    assert counts(result) == [10, 10, 10, 10, 10, 10, 2, 0, 0, 0, 0]
    assert result.over_time == [PeriodRow("2026 Q2", 10, 2, 0)]
    assert result.volunteer_hours == []
    assert result.title == "HMP Wormwood Scrubs, 1 Apr 2026 to 30 Jun 2026"


def test_an_organisation_counts_only_referrals_to_its_services(study):
    works = report(Scope(visit_id=study.visit_a, organisation_id=study.works))
    assert counts(works) == [80, 75, 66, 61, 59, 37, 31, 29, 27, 23, 15]
    assert [row.name for row in works.by_service] == ["IPS employment", "Housing desk"]
    assert works.title.endswith(": referrals to Fictional Works")
    trust = report(Scope(visit_id=study.visit_a, organisation_id=study.trust))
    assert counts(trust) == [80, 75, 66, 61, 53, 53, 7, 2, 0, 0, 0]
    assert [row.name for row in trust.by_service] == ["Talking therapies"]
    assert trust.over_time == [PeriodRow("2026 Q1", 53, 7, 0)]


def test_an_empty_scope_says_so_without_dividing_by_zero(study):
    result = report(Scope(prison_id=study.other_prison))
    assert result.empty
    assert counts(result) == [0] * len(KEYS)
    assert all(step.rate is None for step in result.funnel.steps)
    assert (result.funnel.not_attended, result.funnel.declined_everything) == ([], 0)
    assert result.by_service == result.by_pathway == result.over_time == []
    assert result.volunteer_hours == []


def test_a_purge_of_personal_data_leaves_every_figure_unchanged(study):
    before = [report(Scope()), report(Scope(visit_id=study.visit_a, organisation_id=study.works))]
    begin_write()
    db.session.execute(update(Person).values(
        first_name="", last_name="", prison_number=Person.id, date_of_birth=None,
        release_date=None, location="", release_area="", notes=""))
    db.session.execute(update(ReferralSet).values(phone="", probation_name="", notes=""))
    db.session.execute(update(Volunteer).values(name="", email="", phone=""))
    db.session.commit()
    assert [report(Scope()),
            report(Scope(visit_id=study.visit_a, organisation_id=study.works))] == before


@pytest.mark.parametrize(("scope", "field", "code"), [
    (Scope(start=date(2026, 3, 1), end=date(2026, 2, 1)), "end", "end_before_start"),
    (Scope(start=date(1999, 12, 31)), "start", "date_out_of_range"),
    (Scope(end=TODAY + timedelta(days=366)), "end", "date_out_of_range"),
    (Scope(prison_id=999), "prison_id", "not_found"),
    (Scope(organisation_id=999), "organisation_id", "not_found"),
    (Scope(visit_id=999), "visit_id", "not_found"),
])
def test_a_bad_scope_is_refused_on_its_field(study, scope, field, code):
    with pytest.raises(DomainError) as error:
        check_scope(scope, TODAY)
    assert (error.value.field, error.value.code) == (field, code)


def test_good_scopes_pass(study):
    for scope in (Scope(), Scope(visit_id=study.visit_a), Scope(
            start=date(2000, 1, 1), end=TODAY + timedelta(days=365), prison_id=study.prison,
            organisation_id=study.trust)):
        check_scope(scope, TODAY)


def _statements(scope: Scope) -> int:
    """Statements one report sends."""
    with counting_statements() as statements:
        report(scope)
    return len(statements)


def test_statements_stay_flat_as_the_data_grows(app, make_user):
    organiser = make_user("organiser")
    with app.app_context():
        small = build.plain(organiser, 5)
        few = (_statements(Scope(visit_id=small)), _statements(Scope()),
               _statements(Scope(organisation_id=1)))
        large = build.plain(organiser, 60, date(2026, 9, 1), "Q")
        many = (_statements(Scope(visit_id=large)), _statements(Scope()),
                _statements(Scope(organisation_id=1)))
        assert counts(report(Scope(visit_id=large)))[3] == 60
    assert few == many


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 400))
def test_working_days_undo_add_working_days(start, days):
    if start.weekday() < 5:
        assert working_days(start, add_working_days(start, days)) == days


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 1, 19), date(2026, 1, 19), 0),
    (date(2026, 1, 23), date(2026, 1, 26), 1),  # Friday to Monday
    (date(2026, 1, 24), date(2026, 1, 26), 1),  # Saturday to Monday
    (date(2026, 1, 19), date(2026, 2, 2), 10),
    (date(2026, 1, 19), date(2026, 1, 12), 0),
])
def test_working_days(start, end, days):
    assert working_days(start, end) == days


@pytest.mark.parametrize(("values", "expected"), [
    ({}, None), ({3: 1}, 3), ({1: 1, 2: 1}, 1.5), ({5: 38, 10: 8}, 5), ({8: 1, 9: 1}, 8.5),
    ({1: 2, 7: 2}, 4), ({1: 1, 2: 1, 9: 1}, 2),
])
def test_median_of_counted_values(values, expected):
    assert median(Counter(values)) == expected


@given(st.lists(st.integers(0, 30), min_size=1, max_size=40))
def test_median_matches_the_plain_median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    plain = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    assert median(Counter(values)) == plain
