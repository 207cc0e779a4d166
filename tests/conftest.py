"""Fixtures: a fresh real database per test (SQLite, or PostgreSQL when INREACH_DATABASE_URL is
set), the app with CSRF switched on, a test client, a CLI runner and helpers to log in."""

import os
import re
import threading

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from inreach import create_app
from inreach.accounts.services import create_user
from inreach.database import db

PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TABLET = {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": False}
IN_CI = os.environ.get("CI") == "true"


# What the PostgreSQL schema looks like just after create_all built it (tables, columns,
# indexes, constraints, triggers, functions), noted the first time it is built in a run.
_BUILT_SCHEMA: tuple | None = None
SCHEMA_SHAPE = text("""
    SELECT (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables
             WHERE schemaname = 'public'),
           (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public'),
           (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'),
           (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
             WHERE n.nspname = 'public'),
           (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND NOT t.tgisinternal),
           (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public')""")


def _empty_postgres(url: str) -> bool:
    """Empty the PostgreSQL database the suite was pointed at (it must be a throwaway one).
    When it holds exactly the schema create_all builds, its tables are emptied with TRUNCATE
    (ids start at 1 again), which is several times faster than building them again; anything
    else (a test ran migrations or dropped a trigger) is dropped whole. Returns whether the
    tables are still there."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if _BUILT_SCHEMA is not None and tuple(
                    connection.execute(SCHEMA_SHAPE).one()) == _BUILT_SCHEMA:
                tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                return True
    finally:
        engine.dispose()
    _empty_postgres_schema(url)
    return False


def _empty_postgres_schema(url: str) -> None:
    """Drop everything in the PostgreSQL database's public schema."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _note_built_schema(app) -> None:
    """Note the schema create_all has just built on an empty PostgreSQL database."""
    global _BUILT_SCHEMA
    with app.app_context(), db.engine.connect() as connection:
        _BUILT_SCHEMA = tuple(connection.execute(SCHEMA_SHAPE).one())


@pytest.fixture
def database_state() -> dict:
    """Whether this test's PostgreSQL database still holds the app's (empty) tables."""
    return {"tables": False}


@pytest.fixture
def database_url(tmp_path, database_state):
    """A URL for an empty database of the kind under test."""
    url = os.environ.get("INREACH_DATABASE_URL")
    if url:
        database_state["tables"] = _empty_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def make_app(tmp_path, database_url, database_state):
    """Build apps on the test database with tables created; extra config may be given."""
    apps = []

    def build(create_tables=True, **config):
        on_suite_postgres = config.get("DATABASE_URL", database_url) == database_url and (
            database_url.startswith("postgresql"))
        if on_suite_postgres and not create_tables and database_state["tables"] and not apps:
            _empty_postgres_schema(database_url)  # a test of migrations starts from nothing
            database_state["tables"] = False
        settings = {"TESTING": True, "SECRET_KEY": "test-secret-key", "DATABASE_URL": database_url,
                    # argon2id still, at a lower cost so the suite stays quick
                    "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8192,
                    # tasks run at once in the caller, except where a test starts a worker
                    "QUEUE_IMMEDIATE": True, "REDIS_URL": os.environ.get("INREACH_REDIS_URL"),
                    # password-only logins, except in the two-step login tests that switch it on
                    "TWO_FACTOR_REQUIRED": False}
        settings.update(config)
        app = create_app(settings)
        if create_tables:
            with app.app_context():
                db.create_all()
            if on_suite_postgres and not database_state["tables"]:
                if _BUILT_SCHEMA is None:
                    _note_built_schema(app)
                database_state["tables"] = True
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    """The app on a fresh database, CSRF protection on as in production."""
    return make_app()


@pytest.fixture
def client(app):
    """A browser-like HTTP client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs `flask --app inreach …` commands."""
    return app.test_cli_runner()


@pytest.fixture
def app_context(app):
    """For service tests that talk to the database directly."""
    with app.app_context():
        yield app


@pytest.fixture
def make_user(app):
    """Create a user with a role; returns its id."""

    def make(role: str, email: str | None = None, password: str = PASSWORD) -> int:
        with app.app_context():
            user = create_user(email or f"{role}@test.example", f"Test {role}", role, password)
            return user.id

    return make


def csrf_token(client, path: str) -> str:
    """The CSRF token from the form on a page, as a browser would submit it."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    """Submit the login form like a person would."""
    token = csrf_token(client, "/login")
    url = "/login" + (f"?next={next_path}" if next_path else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client, make_user):
    """Create a user with the role, log the client in as them, return the user id."""

    def login(role: str) -> int:
        user_id = make_user(role)
        response = log_in(client, f"{role}@test.example")
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return login


@pytest.fixture
def serve():
    """Serve apps over HTTP on loopback, each in a thread; returns a function giving the URL."""
    servers = []

    def start(app) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join()


@pytest.fixture
def live_app(make_app, serve):
    """The app with the demo data and its URL on loopback, for browser tests that also look in
    the database."""
    from inreach.demo.seed import DEFAULT_PASSWORD, seed

    app = make_app()
    with app.app_context():
        seed(DEFAULT_PASSWORD)
    return app, serve(app)


@pytest.fixture
def live_server(live_app):
    """The app served over HTTP on loopback with the demo data, for the browser."""
    return live_app[1]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; in CI a missing browser fails instead of skipping."""
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait up to 10 s (Playwright's default is 5 s): on a busy 2-core CI machine the
    # outbox's retry after the wifi returns can take longer than 5 s to show.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (own cookies) with the given options."""
    contexts = []

    def open_page(options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def tablet(new_page):
    """A fresh page the size of a 768x1024 touch tablet."""
    return new_page(TABLET)


def tap_log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Log in from the login page by tapping, as on a tablet, and land on the home page."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").tap()
    expect(page).to_have_url(f"{base}/")
