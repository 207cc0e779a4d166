"""The health check (the database, and the task queue reported but never a reason for a 503),
and what people see when the database is down."""

import time

import pytest

from inreach.jobs.queue import WORKER_FRESH_SECONDS, WORKER_SEEN, check_in, huey

from .queue_helpers import broker_config, empty_queue

DOWN_URLS = [
    "sqlite:////nonexistent-folder/inreach.sqlite",
    "postgresql+psycopg://inreach@127.0.0.1:1/inreach",  # nothing listens on port 1
]


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_healthz_says_when_no_worker_has_checked_in_lately_and_stays_200(make_app, tmp_path):
    app = make_app(**broker_config(tmp_path))  # a real broker (Redis in CI's second phase)
    client = app.test_client()
    empty_queue()
    try:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok", "database": "ok", "queue": "no worker"}
        check_in()
        assert client.get("/healthz").get_json()["queue"] == "ok"
        huey.put(WORKER_SEEN, time.time() - WORKER_FRESH_SECONDS - 1)  # it stopped a while ago
        response = client.get("/healthz")
        assert (response.status_code, response.get_json()["queue"]) == (200, "no worker")
    finally:
        empty_queue()


def test_healthz_says_when_the_queue_is_unavailable_and_stays_200(make_app):
    app = make_app(QUEUE_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0")  # nothing there
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "unavailable"}


@pytest.fixture(params=DOWN_URLS, ids=["sqlite", "postgresql"])
def down_client(request, make_app):
    app = make_app(create_tables=False, DATABASE_URL=request.param)
    return app.test_client()


def test_healthz_reports_503_when_the_database_is_down(down_client):
    response = down_client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable", "queue": "ok"}


def test_login_page_still_renders_and_logging_in_gets_a_clear_503(down_client):
    from .conftest import csrf_token

    token = csrf_token(down_client, "/login")
    response = down_client.post("/login", data={
        "email": "someone@test.example", "password": "whatever it is", "csrf_token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "the service is unavailable" in text and "Nothing was saved" in text
    assert "Traceback" not in text and "someone@test.example" not in text
