"""IPS Grow's quarterly CSV: the documented columns, the study's IPS service in its quarter,
a quarter with nothing in it, the financial-year quarters and bad quarters."""

import csv
import io
from datetime import date

import pytest

from inreach.errors import DomainError
from inreach.printing.spreadsheet import csv_text
from inreach.reports.ipsgrow import (
    HEADER,
    financial_quarter,
    quarter_dates,
    quarter_label,
    quarter_rows,
    service_row,
)

from . import report_builders as build


@pytest.fixture
def study(app, make_user):
    """The hand-made data set of tests/report_builders.py, inside an app context."""
    organiser = make_user("organiser")
    with app.app_context():
        yield build.study(organiser)


def test_the_columns_are_as_documented():
    assert HEADER == ["Quarter", "Service", "Referrals accepted", "Vocational profiles started",
                      "Job starts (4+ paid hours)", "People into work",
                      "Clients out of work at referral", "Employment rate", "Benchmark",
                      "At or above benchmark"]


def test_the_study_quarter_counts_the_ips_service(study):
    rows = quarter_rows(2025, 4)  # January to March 2026: the answers and the job starts
    # 31 accepted (2 closed after acceptance), 27 profiles, 24 jobs of 4+ hours (one man has
    # two; a 3-hour job does not count), 23 people into work: 23 / 31 = 74.2%.
    assert rows == [HEADER, ["2025-26 Q4", "IPS employment", "31", "27", "24", "23", "31",
                             "74.2%", "40%", "yes"]]
    parsed = list(csv.reader(io.StringIO(csv_text(rows))))
    assert parsed == rows


def test_a_quarter_with_nothing_in_it_has_zeros_and_no_rate(study):
    assert quarter_rows(2026, 2)[1] == ["2026-27 Q2", "IPS employment", "0", "0", "0", "0", "0",
                                        "", "40%", ""]


def test_no_ips_service_means_only_the_header(app):
    with app.app_context():
        assert quarter_rows(2026, 1) == [HEADER]


def test_below_the_benchmark():
    assert service_row("2026-27 Q1", "Work well", 10, 4, 3, 3)[7:] == ["30.0%", "40%", "no"]
    assert service_row("2026-27 Q1", "Work well", 10, 4, 4, 4)[7:] == ["40.0%", "40%", "yes"]


@pytest.mark.parametrize(("year", "quarter", "start", "end", "label"), [
    (2026, 1, date(2026, 4, 1), date(2026, 6, 30), "2026-27 Q1"),
    (2026, 2, date(2026, 7, 1), date(2026, 9, 30), "2026-27 Q2"),
    (2026, 3, date(2026, 10, 1), date(2026, 12, 31), "2026-27 Q3"),
    (2026, 4, date(2027, 1, 1), date(2027, 3, 31), "2026-27 Q4"),
    (2099, 4, date(2100, 1, 1), date(2100, 3, 31), "2099-00 Q4"),
])
def test_financial_year_quarters(year, quarter, start, end, label):
    assert quarter_dates(year, quarter) == (start, end)
    assert quarter_label(year, quarter) == label
    assert financial_quarter(start) == financial_quarter(end) == (year, quarter)


@pytest.mark.parametrize(("year", "quarter", "field"), [
    (2026, 0, "quarter"), (2026, 5, "quarter"), (1999, 1, "year"), (2101, 1, "year"),
])
def test_a_bad_quarter_is_refused(app, year, quarter, field):
    with app.app_context(), pytest.raises(DomainError) as error:
        quarter_rows(year, quarter)
    assert error.value.field == field
