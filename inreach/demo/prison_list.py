"""A fictional list of men due for release, as the prison would send it (CSV), for the demo."""

import csv
import io
from datetime import date, timedelta

FIRST = ["Aaron", "Ben", "Callum", "Dev", "Eli", "Femi", "Gareth", "Harun", "Idris", "Jamal",
         "Kieran", "Liam", "Marek", "Nathan", "Owen", "Paolo", "Quincy", "Reece", "Sami", "Tyrone"]
LAST = ["Ashdown", "Brennock", "Calloway", "Dunmore", "Ellery", "Fenwick", "Garroway", "Hollins",
        "Inchley", "Jardine", "Kettering", "Lomax", "Marlow", "Northcott", "Oakes", "Pemberton",
        "Quarry", "Radley", "Stanwick", "Thorne"]
WINGS = ["A wing", "B wing", "C wing", "D wing"]
AREAS = ["Hammersmith and Fulham", "Ealing", "Brent", "Westminster"]
INTERESTS = ["employment", "psychological_support", "housing", "finance_id", "substance_misuse",
             "family", "education"]
HEADER = ["prison_number", "first_name", "last_name", "release_date", "release_type",
          "location", "release_area", "interests", "easy_read", "keep_apart_from"]
MEN = 40
# Every row from here on is due for release outside the 90-day window (ineligible).
INELIGIBLE_FROM = 36
# Pairs of rows (by index) who must not be in the same session.
KEEP_APART = [(0, 1), (10, 11)]


def number(index: int) -> str:
    """A fictional prison number in the NOMIS shape."""
    return f"X{7000 + index:04d}{'ABCDEFGH'[index % 8]}{'JKLMN'[index % 5]}"


def row(index: int, visit_day: date) -> list[str]:
    """One man: eligible men are due 5 to 85 days after the visit, the rest 120 or more."""
    days = 5 + (index * 7) % 81 if index < INELIGIBLE_FROM else 120 + index
    partners = [number(b) for a, b in KEEP_APART if a == index]
    return [number(index), FIRST[index % 20], LAST[(index * 3 + index // 20) % 20],
            (visit_day + timedelta(days=days)).isoformat(), ["CRD", "ARD", "HDCED"][index % 3],
            WINGS[index % 4], AREAS[index % 4],
            ";".join(INTERESTS[index % 7: index % 7 + 2]), "yes" if index % 5 == 0 else "no",
            ";".join(partners)]


def prison_list_csv(visit_day: date) -> bytes:
    """The whole fictional list as UTF-8 CSV bytes."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER] + [row(index, visit_day) for index in range(MEN)])
    return buffer.getvalue().encode()
