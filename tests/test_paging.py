"""Every list a page at a time, cut in SQL, through HTTP: the directory (numbered pages that
keep its filters), the visits list, the home page's upcoming visits, the audit trail (older and
newer by row id, never OFFSET) and the directory exports (streamed a batch at a time, holding
no connection, byte for byte what they were). Bad page numbers give the first or last page."""

import json
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from sqlalchemy import event, select

from inreach.audit.models import AuditEvent
from inreach.database import begin_write, counting_statements, db
from inreach.dates import today
from inreach.directory import oruk
from inreach.directory import services as directory
from inreach.directory.flat_csv import COLUMNS, row
from inreach.directory.models import (
    Contact,
    DirectoryOrganisation,
    Phone,
    Service,
    ServiceArea,
    ServicePathway,
)
from inreach.printing.spreadsheet import csv_download, csv_text
from inreach.roster.models import RosterEntry
from inreach.visits.models import Visit

from . import planning
from .conftest import log_in
from .test_directory_exchange import SCHEMA, clear_directory, download, fill_directory, upload

NOT_NUMBERS = ["abc", "", "2.5", "1e3", "%00", "9" * 5000]


def add_services(count: int, name: str = "Service", pathway: str = "accommodation",
                 area: str = "Ealing") -> None:
    """``count`` services named "<name> 001" onwards under one organisation, each with a
    pathway, an area and a phone."""
    begin_write()
    organisation = DirectoryOrganisation(name=f"{name} trust")
    db.session.add_all(
        Service(organisation=organisation, name=f"{name} {number:03d}",
                pathways=[ServicePathway(pathway=pathway)], areas=[ServiceArea(name=area)],
                contacts=[Contact(phones=[Phone(number="020 7946 0000")])])
        for number in range(1, count + 1))
    db.session.commit()


def page_of(client, url: str) -> str:
    """A page's HTML, checked to answer 200."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def count_text(html: str) -> str:
    """What the list says it shows."""
    return re.search(r'data-testid="result-count">([^<]+)<', html).group(1).strip()


def service_names(html: str) -> list[str]:
    """The services listed, in order."""
    return re.findall(r'href="/directory/services/[^"]+">([^<]+)</a>', html)


def pager(html: str) -> str:
    """The pagination navigation of a page ('' if it has none)."""
    found = re.search(r'<nav class="nhsuk-pagination.*?</nav>', html, re.S)
    return found.group(0) if found else ""


def links(html: str) -> dict[str, dict[str, list[str]]]:
    """The pager's links by their text (Previous, Next, a page number), as query arguments."""
    found = {}
    for href, label in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', pager(html), re.S):
        text = re.sub(r"<[^>]+>|\s+", " ", label).split()[0]
        found[text] = parse_qs(urlsplit(unescape(href)).query)
    return found


def statements_for(app, client, url: str) -> list[str]:
    """The SQL statements one GET of the page sends."""
    with app.app_context(), counting_statements() as statements:
        assert client.get(url).status_code == 200, url
    return statements


# The directory list ----------------------------------------------------------------------------

@pytest.fixture
def listing(app):
    """120 Ealing housing services, then three Hackney employment ones (by name, last)."""
    with app.app_context():
        add_services(120)
        add_services(3, "Work", "education_work", "Hackney")


def test_the_directory_shows_fifty_services_a_page_with_a_count(client, login_as, listing):
    login_as("volunteer")
    first = page_of(client, "/directory/")
    assert count_text(first) == "Showing 1 to 50 of 123 services"
    assert service_names(first) == [f"Service {number:03d}" for number in range(1, 51)]
    assert set(links(first)) == {"1", "2", "3", "Next"}
    assert links(first)["Next"] == {"page": ["2"]}
    assert re.search(r'aria-label="Page 1" aria-current="page"', pager(first))
    second = page_of(client, "/directory/?page=2")
    assert count_text(second) == "Showing 51 to 100 of 123 services"
    assert service_names(second)[0] == "Service 051"
    assert links(second)["Previous"] == {"page": ["1"]} and links(second)["Next"] == {
        "page": ["3"]}
    last = page_of(client, "/directory/?page=3")
    assert count_text(last) == "Showing 101 to 123 of 123 services"
    assert service_names(last)[-3:] == ["Work 001", "Work 002", "Work 003"]
    assert "Next" not in links(last)


def test_far_pages_are_elided_around_the_current_one(app, client, login_as):
    with app.app_context():
        add_services(500)
    login_as("volunteer")
    html = page_of(client, "/directory/?page=5")
    assert [text for text in links(html) if text.isdigit()] == ["1", "4", "5", "6", "10"]
    assert pager(html).count("nhsuk-pagination__item--ellipsis") == 2


def test_filters_are_kept_on_every_page_link(client, login_as, listing):
    login_as("volunteer")
    html = page_of(client, "/directory/?pathway=accommodation&area=Ealing&words=service"
                           "&everything=y&page=2")
    assert count_text(html) == "Showing 51 to 100 of 120 services"
    filters = {"pathway": ["accommodation"], "area": ["Ealing"], "words": ["service"],
               "everything": ["y"]}
    assert links(html) and all(
        {name: value for name, value in query.items() if name != "page"} == filters
        for query in links(html).values())
    narrowed = page_of(client, "/directory/?area=Hackney")
    assert count_text(narrowed) == "3 services" and pager(narrowed) == ""


@pytest.mark.parametrize("number", [*NOT_NUMBERS, "-2", "0"])
def test_a_page_number_that_is_not_a_page_gives_the_first(client, login_as, listing, number):
    login_as("volunteer")
    html = page_of(client, f"/directory/?page={number}")
    assert count_text(html) == "Showing 1 to 50 of 123 services"


@pytest.mark.parametrize("number", ["4", "99", "9" * 40])
def test_a_page_past_the_end_gives_the_last(client, login_as, listing, number):
    login_as("volunteer")
    assert count_text(page_of(client, f"/directory/?words=&page={number}")) == (
        "Showing 101 to 123 of 123 services")


def test_a_filter_that_matches_nothing_says_so(client, login_as, listing):
    login_as("volunteer")
    html = page_of(client, "/directory/?pathway=urgent&page=7")
    assert count_text(html) == "0 services" and service_names(html) == []
    assert "No services match these filters" in html and pager(html) == ""


def test_an_empty_directory_says_it_is_empty(client, login_as):
    login_as("volunteer")
    assert "There are no services in the directory yet" in page_of(client, "/directory/")


def test_a_directory_page_costs_the_same_statements_at_any_size(app, client, login_as):
    login_as("volunteer")
    with app.app_context():
        add_services(60)
    small = statements_for(app, client, "/directory/?page=2")
    with app.app_context():
        add_services(400, "More")
    large = statements_for(app, client, "/directory/?page=8")
    assert len(small) == len(large), (len(small), len(large))


# The visits list and the home page -------------------------------------------------------------

@pytest.fixture
def visits(app):
    """60 visits at one prison, one a day from 30 days ago; by date."""
    with app.app_context():
        prison = planning.prison()
        return [planning.visit(prison.id, today() + timedelta(days=offset)).id
                for offset in range(-30, 30)]


def visit_links(html: str) -> list[int]:
    """The visits a page links to, in order."""
    return [int(visit_id) for visit_id in re.findall(r'href="/visits/(\d+)"', html)]


def test_the_visits_list_is_paged_newest_first(client, login_as, visits):
    login_as("organiser")
    first = page_of(client, "/visits/")
    assert count_text(first) == "Showing 1 to 50 of 60 visits"
    assert visit_links(first) == visits[::-1][:50]
    second = page_of(client, "/visits/?page=2")
    assert count_text(second) == "Showing 51 to 60 of 60 visits"
    assert visit_links(second) == visits[::-1][50:]
    assert visit_links(page_of(client, "/visits/?page=-1")) == visits[::-1][:50]
    assert visit_links(page_of(client, "/visits/?page=12")) == visits[::-1][50:]


def rostered(app, user_id: int, visit_ids: list[int]) -> None:
    """Put the user, as a volunteer, on the roster of these visits."""
    with app.app_context():
        me = planning.volunteer("Val Me", user_id=user_id)
        begin_write()
        db.session.add_all(RosterEntry(visit_id=visit_id, volunteer_id=me.id,
                                       role_on_day="Mentor") for visit_id in visit_ids)
        db.session.commit()


def test_a_volunteer_pages_only_their_own_visits(app, client, make_user, visits):
    user_id = make_user("volunteer")
    rostered(app, user_id, [visits[0], visits[40]])
    log_in(client, "volunteer@test.example")
    html = page_of(client, "/visits/")
    assert count_text(html) == "2 visits" and visit_links(html) == [visits[40], visits[0]]
    assert pager(html) == ""


def test_home_shows_the_next_ten_draft_or_confirmed_visits_soonest_first(app, client, login_as,
                                                                         visits):
    with app.app_context():
        begin_write()
        for visit_id, status in zip(visits[30:33], ("cancelled", "completed", "confirmed"),
                                    strict=True):
            db.session.get(Visit, visit_id).status = status
        db.session.commit()
    login_as("organiser")
    html = page_of(client, "/")
    assert visit_links(html) == visits[32:42]  # from today, not cancelled or completed
    assert 'href="/visits/">All visits</a>' in html


def test_home_shows_a_volunteer_only_their_upcoming_visits(app, client, make_user, visits):
    user_id = make_user("volunteer")
    rostered(app, user_id, [visits[5], visits[35], visits[50]])
    log_in(client, "volunteer@test.example")
    html = page_of(client, "/")
    assert visit_links(html) == [visits[35], visits[50]] and "All visits" not in html


def test_home_costs_the_same_statements_however_many_visits(app, client, login_as):
    login_as("organiser")
    with app.app_context():
        prison_id = planning.prison().id
        planning.visit(prison_id, today())
    few = statements_for(app, client, "/")
    with app.app_context():
        for offset in range(1, 40):
            planning.visit(prison_id, today() + timedelta(days=offset))
    many = statements_for(app, client, "/")
    assert len(few) == len(many)


# The audit trail -------------------------------------------------------------------------------

@pytest.fixture
def trail(app, login_as):
    """An auditor logged in and 250 audit rows after their login's; every row's id, newest
    first."""
    login_as("auditor")
    with app.app_context():
        begin_write()
        db.session.add_all(AuditEvent(action=f"test.event_{number}") for number in range(250))
        db.session.commit()
        return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))


def event_ids(html: str) -> list[str]:
    """The audit rows shown, by their action's number."""
    return re.findall(r"test\.event_(\d+)", html)


def follow(client, html: str, text: str) -> str:
    """The page the pager's link with this text leads to."""
    query = {name: values[0] for name, values in links(html)[text].items()}
    return page_of(client, "/audit/?" + "&".join(f"{key}={value}" for key, value in
                                                   query.items()))


def test_the_audit_trail_pages_older_and_newer_by_row_id(client, trail):
    first = page_of(client, "/audit/")
    assert event_ids(first) == [str(number) for number in range(249, 149, -1)]
    assert set(links(first)) == {"Older"}
    assert links(first)["Older"] == {"older_than": [str(trail[99])]}
    second = follow(client, first, "Older")
    assert event_ids(second) == [str(number) for number in range(149, 49, -1)]
    assert set(links(second)) == {"Newer", "Older"}
    last = follow(client, second, "Older")
    assert event_ids(last)[0] == "49" and len(event_ids(last)) == 50  # and the login rows
    assert set(links(last)) == {"Newer"}
    assert event_ids(follow(client, last, "Newer")) == event_ids(second)
    assert event_ids(follow(client, second, "Newer")) == event_ids(first)


@pytest.mark.parametrize("query", ["older_than=abc", "older_than=-4", "newer_than=",
                                   "page=2000", "older_than=" + "9" * 30,
                                   "newer_than=999999999"])
def test_a_bad_or_far_key_gives_the_newest_page(client, trail, query):
    assert event_ids(page_of(client, f"/audit/?{query}"))[0] == "249"


def test_a_key_past_the_oldest_row_gives_the_oldest_page(client, trail):
    html = page_of(client, "/audit/?older_than=1")
    assert event_ids(html)[-1] == "0" and set(links(html)) == {"Newer"}


def offsets_for(app, client, url: str) -> tuple[int, list]:
    """How many SQL statements one GET of the page sends, and the OFFSET of each that has one
    (SQLite writes "OFFSET ?" after every LIMIT, with 0 unless an offset was asked for)."""
    sent = []

    def note(connection, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert client.get(url).status_code == 200, url
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    offsets = []
    for statement, parameters in sent:
        found = re.search(r"OFFSET\s+(\S+)\s*$", statement, re.I)
        if found:  # SQLite's "?" is the last parameter; PostgreSQL's "%(name)s" is named
            token = found.group(1)
            offsets.append(parameters[token[2:-2]] if isinstance(parameters, dict)
                           else parameters[-1])
    return len(sent), offsets


def test_a_deep_audit_page_costs_what_the_first_does_and_never_uses_offset(app, client, trail):
    first, first_offsets = offsets_for(app, client, "/audit/")
    deep, deep_offsets = offsets_for(app, client, f"/audit/?older_than={trail[220]}")
    assert first == deep
    assert set(first_offsets + deep_offsets) <= {0}


# The directory exports -------------------------------------------------------------------------

@pytest.fixture
def exports(app, login_as, monkeypatch):
    """The three-service directory, exported two services at a time, for an organiser."""
    monkeypatch.setattr(directory, "EXPORT_BATCH", 2)
    login_as("organiser")
    with app.app_context():
        fill_directory()


@pytest.mark.parametrize("path", ["/directory/export.json", "/directory/export.csv"])
def test_exports_are_streamed_and_hold_no_connection_while_written(app, client, exports, path):
    with app.app_context():
        pool = db.engine.pool
    response = client.get(path, buffered=False)
    assert response.is_streamed
    chunks = []
    for chunk in response.response:
        assert pool.checkedout() == 0  # each batch's read ended before it was handed on
        chunks.append(chunk)
    response.close()
    assert len(chunks) >= 3  # the head, then the services two at a time


def test_the_streamed_json_is_the_whole_page_as_one_json_dump(app, client, exports):
    streamed = download(client, "/directory/export.json")
    with app.app_context():
        services = directory.find_services(everything=True)
        expected = {"total_items": 3, "total_pages": 1, "page_number": 1, "size": 3,
                    "first_page": True, "last_page": True, "empty": False,
                    "contents": [oruk.service_object(service) for service in services]}
        text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    assert streamed == text.encode("utf-8")
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(
        json.loads(streamed))


def test_the_streamed_csv_is_the_whole_file_written_at_once(app, client, exports):
    streamed = download(client, "/directory/export.csv")
    with app.app_context():
        rows = [row(service) for service in directory.find_services(everything=True)]
    assert streamed == csv_download(csv_text([list(COLUMNS), *rows]))


@pytest.mark.parametrize("path", ["/directory/export.json", "/directory/export.csv"])
def test_a_streamed_export_imported_again_exports_byte_identical(app, client, exports, path):
    first = download(client, path)
    with app.app_context():
        clear_directory()
    assert upload(client, first, path.rsplit("/", 1)[1]).status_code == 302
    assert download(client, path) == first


def test_an_empty_directory_streams_an_empty_page(client, login_as):
    login_as("auditor")
    assert json.loads(download(client, "/directory/export.json")) == {
        "total_items": 0, "total_pages": 1, "page_number": 1, "size": 0, "first_page": True,
        "last_page": True, "empty": True, "contents": []}


# In a browser ----------------------------------------------------------------------------------

@pytest.mark.browser
def test_pages_of_the_directory_and_audit_trail_on_a_tablet(live_app, new_page):
    """Pagination is tappable and axe finds nothing serious, numbered and older/newer alike."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    from .conftest import TABLET
    from .test_browser import log_in
    from .test_volunteers_browser import checked

    app, base = live_app
    with app.app_context():
        add_services(120, "Zz paging")
        begin_write()
        db.session.add_all(AuditEvent(action=f"test.event_{number}") for number in range(150))
        db.session.commit()
    page, axe = new_page(TABLET), Axe()
    log_in(page, base, "organiser", tap=True)
    page.goto(f"{base}/directory/")
    pages = page.get_by_role("navigation", name="Pages of services")
    problems = checked(page, axe)
    pages.get_by_role("link", name="Next").tap()
    expect(page.get_by_test_id("result-count")).to_contain_text("Showing 51 to 100 of")
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    problems += checked(page, axe)
    page = new_page(TABLET)
    log_in(page, base, "auditor", tap=True)
    page.goto(f"{base}/audit/")
    page.get_by_role("link", name="Older events").tap()
    expect(page.get_by_role("link", name="Newer events")).to_be_visible()
    problems += checked(page, axe)
    assert problems == []
