"""The report's scope form, read from the page address (a GET form: a report only reads, and its
address can be bookmarked or shared; it holds dates and ids, no personal data)."""

from datetime import date

from sqlalchemy import select
from wtforms import IntegerField, ValidationError
from wtforms.validators import InputRequired, NumberRange, Optional

from ..database import db
from ..dates import today
from ..directory.models import DirectoryOrganisation
from ..fields import ChoiceField, Form, RealDateField, id_or_none, options
from ..prisons.models import Prison
from .figures import Scope
from .ipsgrow import financial_quarter

FIRST_YEAR = 2000  # IPS Grow's returns start long after; earlier years are a typing slip
# The names check_scope gives its errors, and the form field each belongs on.
SCOPE_FIELDS = {"start": "start", "end": "end", "prison_id": "prison", "prison": "prison",
                "organisation_id": "organisation", "organisation": "organisation"}


class ScopeForm(Form):
    """Which visits a report covers: visit dates from and to, a prison, a receiving
    organisation; each may be left blank (all time, every prison, every organisation)."""

    start = RealDateField("From", validators=[Optional()])
    end = RealDateField("To", validators=[Optional()])
    prison = ChoiceField("Prison", required=False, coerce=id_or_none)
    organisation = ChoiceField("Receiving organisation", required=False, coerce=id_or_none,
                               message="Choose a receiving organisation from the list")


def scope_form(args) -> ScopeForm:
    """The form filled from the page address, offering every prison and receiving
    organisation (two queries, whatever their number)."""
    form = ScopeForm(args)
    form.prison.choices = options(db.session.execute(
        select(Prison.id, Prison.name).order_by(Prison.name)).all(), "Every prison")
    form.organisation.choices = options(db.session.execute(
        select(DirectoryOrganisation.id, DirectoryOrganisation.name)
        .order_by(DirectoryOrganisation.name)).all(), "Every organisation")
    return form


def scope_of(form: ScopeForm) -> Scope:
    """The scope the (validated) form asks for."""
    return Scope(start=form.start.data, end=form.end.data, prison_id=form.prison.data,
                 organisation_id=form.organisation.data)


def scope_args(scope: Scope) -> dict:
    """The scope as page address arguments, for the download links of the same report."""
    chosen = {"start": _iso(scope.start), "end": _iso(scope.end),
              "prison": scope.prison_id or "", "organisation": scope.organisation_id or ""}
    return {name: value for name, value in chosen.items() if value}


def _iso(day: date | None) -> str:
    """The date as YYYY-MM-DD, or blank."""
    return day.isoformat() if day else ""


class YearField(IntegerField):
    """A year that says so plainly when it is not a number."""

    def process_formdata(self, valuelist):
        """Parse, replacing WTForms' wording for text that is not a number."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the year as a number, for example 2026") from error


class IpsGrowForm(Form):
    """Which quarter's figures IPS Grow's CSV holds: NHS financial-year quarters (the year is the
    one the financial year starts in; Q1 is April to June)."""

    year = YearField("Financial year starting in", validators=[
        InputRequired("Enter the year the financial year starts in, for example 2026"),
        NumberRange(min=FIRST_YEAR, message=f"Enter a year from {FIRST_YEAR}")])
    quarter = ChoiceField("Quarter", coerce=id_or_none, message="Choose a quarter",
                          choices=options((n, f"Q{n}") for n in range(1, 5)))

    def validate_year(self, field):
        """No financial year after this one: it has no figures yet."""
        current = financial_quarter(today())[0]
        if field.data and field.data > current:
            raise ValidationError(f"Enter a year up to {current}")
