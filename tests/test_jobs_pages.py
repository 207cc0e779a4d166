"""The queue's admin page: who may see it, what it says with a real queue (a SQLite file, and
Redis too when INREACH_REDIS_URL names a throwaway server, as in CI), with a broker that does not
answer, and that it shows failures with their reasons but never a task's arguments."""

import os
import re
import socket
import time

import pytest

from inreach.dates import duration
from inreach.jobs.failures import record_failure
from inreach.jobs.queue import enqueue, huey
from inreach.jobs.schedules import SCHEDULES, check_in_schedule
from inreach.packs.batches import render_chunk

from .conftest import log_in

# The real brokers to try: the SQLite file always; Redis as well where CI provides one.
BROKERS = ["sqlite"] + (["redis"] if os.environ.get("INREACH_REDIS_URL") else [])


def closed_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_of(response) -> str:
    """The page's text with tags removed and spaces collapsed, as a person reads it."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.fixture
def queue_app(make_app, make_user, tmp_path, request):
    """An app on a real queue that starts empty, and a client logged in as an admin on it."""
    broker = getattr(request, "param", "sqlite")
    if broker == "redis":
        app = make_app(QUEUE_IMMEDIATE=False, REDIS_URL=os.environ["INREACH_REDIS_URL"])
        huey.flush()  # like INREACH_DATABASE_URL, the URL must name a throwaway server
    else:
        app = make_app(QUEUE_IMMEDIATE=False, REDIS_URL=None,
                       QUEUE_FILE=str(tmp_path / "queue.sqlite"))
    make_user("admin")
    client = app.test_client()
    assert log_in(client, "admin@test.example").status_code == 302
    yield app, client
    if broker == "redis":
        huey.flush()


def test_an_admin_sees_the_queue_page(login_as, client):
    login_as("admin")
    response = client.get("/admin/queue")
    assert response.status_code == 200
    page = text_of(response)
    assert "Task queue" in page
    assert "Waiting 0 tasks" in page
    for description in SCHEDULES.values():
        assert description in page
    assert "No failures." in page


@pytest.mark.parametrize("role", ["organiser", "volunteer", "auditor"])
def test_no_one_else_may_see_it(login_as, client, role):
    login_as(role)
    assert client.get("/admin/queue").status_code == 403


def test_the_admin_navigation_links_to_it(login_as, client):
    login_as("admin")
    assert 'href="/admin/queue"' in client.get("/").get_data(as_text=True)


def test_a_broker_that_does_not_answer_gets_a_message_not_an_error(make_app, make_user):
    app = make_app(QUEUE_IMMEDIATE=False, REDIS_URL=f"redis://127.0.0.1:{closed_port()}/0")
    make_user("admin")
    client = app.test_client()
    log_in(client, "admin@test.example")
    response = client.get("/admin/queue")
    assert response.status_code == 200
    page = text_of(response)
    assert "The queue does not answer" in page
    assert "Check that Redis is running" in page
    assert "No failures." in page  # the failures come from the database, which still answers


def test_a_failed_task_shows_with_its_reason(app, login_as, client):
    with app.app_context():
        record_failure("render_chunk", "1700000000.000-abc",
                       "The batch could not be printed: its session was deleted.")
    login_as("admin")
    page = text_of(client.get("/admin/queue"))
    assert "render_chunk" in page
    assert "The batch could not be printed: its session was deleted." in page
    assert "No failures." not in page


@pytest.mark.parametrize("queue_app", BROKERS, indirect=True)
def test_waiting_tasks_and_the_oldest_ones_age(queue_app, monkeypatch):
    app, client = queue_app
    page = text_of(client.get("/admin/queue"))
    assert "Waiting 0 tasks" in page
    assert "No worker has checked in" in page

    ten_minutes_ago = time.time() - 600
    with app.app_context(), monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: ten_minutes_ago)
        enqueue(render_chunk, 987654, 3)
    with app.app_context():
        enqueue(render_chunk, 987654, 4)

    page = text_of(client.get("/admin/queue"))
    assert "Waiting 2 tasks" in page
    assert "Oldest waiting queued 10 minutes ago" in page
    assert "987654" not in page  # a task's arguments are never shown


@pytest.mark.parametrize("queue_app", BROKERS, indirect=True)
def test_a_worker_check_in_and_the_schedules_last_run(queue_app):
    app, client = queue_app
    page = text_of(client.get("/admin/queue"))
    assert f"{SCHEDULES['check_in']} Not yet" in page

    with app.app_context():
        check_in_schedule.call_local()  # what a worker runs every minute

    page = text_of(client.get("/admin/queue"))
    assert re.search(r"Running A worker last checked in \d+ seconds? ago", page)
    assert re.search(re.escape(SCHEDULES["check_in"]) + r" \d\d \w+ \d{4} \d\d:\d\d "
                     r"\(\d+ seconds? ago\)", page)


@pytest.mark.parametrize("seconds,said", [
    (0, "0 seconds"), (1, "1 second"), (119.9, "119 seconds"), (600, "10 minutes"),
    (7199, "119 minutes"), (7200, "2 hours"), (7260, "2 hours 1 minute"),
    (7500, "2 hours 5 minutes"), (3 * 86400, "3 days")])
def test_ages_read_as_a_person_says_them(seconds, said):
    assert duration(seconds) == said
