"""The health check, and what people see when the database is down."""

import pytest

DOWN_URLS = [
    "sqlite:////nonexistent-folder/inreach.sqlite",
    "postgresql+psycopg://inreach@127.0.0.1:1/inreach",  # nothing listens on port 1
]


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.fixture(params=DOWN_URLS, ids=["sqlite", "postgresql"])
def down_client(request, make_app):
    app = make_app(create_tables=False, DATABASE_URL=request.param)
    return app.test_client()


def test_healthz_reports_503_when_the_database_is_down(down_client):
    response = down_client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


def test_login_page_still_renders_and_logging_in_gets_a_clear_503(down_client):
    from .conftest import csrf_token

    token = csrf_token(down_client, "/login")
    response = down_client.post("/login", data={
        "email": "someone@test.example", "password": "whatever it is", "csrf_token": token})
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "the service is unavailable" in text and "Nothing was saved" in text
    assert "Traceback" not in text and "someone@test.example" not in text
