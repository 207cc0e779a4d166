"""What the benchmarks share: a throwaway database, the app configured as in production, the app
under waitress on loopback in its own process, a browser that logs in through the login form
(over HTTP or through Flask's test client), fictional prison numbers and directory entries,
timing and percentiles."""

import http.client
import multiprocessing
import os
import re
import statistics
from http.cookies import SimpleCookie
from pathlib import Path
from time import perf_counter
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

from inreach import create_app
from inreach.database import counting_statements
from inreach.demo.seed import DEFAULT_PASSWORD
from inreach.directory.vocabulary import PATHWAYS, TAXONOMY

# --- the database and the app ----------------------------------------------------------------


def database_url(given: str | None, folder: str) -> str:
    """The given PostgreSQL URL with its public schema emptied, or a new SQLite file."""
    url = given or os.environ.get("INREACH_DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(folder) / 'benchmark.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def app_config(url: str) -> dict:
    """The app's settings as in production (CSRF on, full password cost), on this database."""
    return {"SECRET_KEY": "benchmark", "DATABASE_URL": url}


def database_kind(url: str) -> str:
    """sqlite or postgresql, from the URL."""
    return url.split(":", 1)[0].split("+")[0]


# --- the server ------------------------------------------------------------------------------

def inreach_app(url: str):
    """The app as in production, on this database."""
    return create_app(app_config(url))


def serve(url: str, pipe, make_app=inreach_app) -> None:
    """In a child process: an app (inreach unless told) under waitress on loopback; sends back
    its port."""
    import waitress

    server = waitress.create_server(make_app(url), host="127.0.0.1", port=0, threads=16)
    pipe.send(server.effective_port)
    server.run()


def start_server(url: str, make_app=inreach_app) -> tuple[multiprocessing.Process, int]:
    """Start the server in its own process (so the clients do not share its GIL); ``make_app``
    must be a module-level function of the URL."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(url, theirs, make_app), daemon=True)
    process.start()
    if not ours.poll(60):
        process.terminate()
        raise SystemExit("the server did not start within 60 s")
    return process, ours.recv()


# --- browsers --------------------------------------------------------------------------------

class Browser:
    """One keep-alive HTTP connection with its own session cookie."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        """Send a request, keep any cookie it sets, return the status and body."""
        headers = {**(headers or {}), "Cookie": "; ".join(
            f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnect on the next request
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content


class AppBrowser:
    """Flask's test client behind the same ``request`` as ``Browser`` (no server, no sockets)."""

    def __init__(self, app):
        self.client = app.test_client()

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        """Send a request through the app, return the status and body."""
        response = self.client.open(path, method=method, data=form, headers=headers)
        return response.status_code, response.get_data()


def hidden_value(page: str, name: str) -> str:
    """The value of a hidden field on a page."""
    match = (re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page)
             or re.search(rf'name="{name}" value="([^"]*)"', page))
    if match is None:
        raise SystemExit(f"no {name} field on the page")
    return match.group(1)


def log_in(browser: Browser | AppBrowser, email: str) -> None:
    """Log in through the login form with the demo password."""
    page = browser.request("GET", "/login")[1].decode()
    status, _ = browser.request("POST", "/login", {
        "email": email, "password": DEFAULT_PASSWORD,
        "csrf_token": hidden_value(page, "csrf_token")})
    if status != 302:
        raise SystemExit(f"{email} could not log in (HTTP {status})")


# --- fictional data --------------------------------------------------------------------------

def prison_number(n: int) -> str:
    """A well-formed, fictional prison number no demo man has (they start with X)."""
    return f"B{n % 10000:04d}{chr(65 + n // 10000 % 26)}{chr(65 + n // 260000 % 26)}"


def oruk_service(n: int) -> dict:
    """A fictional Open Referral UK service with two phones, two areas and two pathways."""
    codes = list(PATHWAYS)[n % 7:n % 7 + 2]
    return {"id": f"service-{n}", "name": f"Service {n:05d}", "status": "active",
            "url": f"https://example.org/{n}", "description": "Help after release. " * 10,
            "organization": {"id": f"org-{n % 200}", "name": f"Organisation {n % 200}",
                             "description": ""},
            "contacts": [{"id": f"contact-{n}", "phones": [
                {"id": f"phone-{n}-1", "number": "0800 123 4567", "description": "Free"},
                {"id": f"phone-{n}-2", "number": "020 7946 0000"}]}],
            "service_areas": [{"id": f"area-{n}-1", "name": "Ealing"},
                              {"id": f"area-{n}-2", "name": "Hounslow"}],
            "attributes": [{"id": f"a-{n}-{code}", "taxonomy_term": {
                "name": code, "taxonomy": TAXONOMY}} for code in codes]}


# --- figures ---------------------------------------------------------------------------------

def measure(app, browser: AppBrowser, path: str, requests: int) -> dict:
    """The page's status, statements, size and median time."""
    with app.app_context(), counting_statements() as statements:
        status, body = browser.request("GET", path)
    timings = []
    for _ in range(requests):
        start = perf_counter()
        browser.request("GET", path)
        timings.append(perf_counter() - start)
    return {"status": status, "statements": len(statements), "kb": len(body) / 1024,
            "ms": statistics.median(timings) * 1000}


def timed(work):
    """What the work returned, and how long it took in seconds."""
    start = perf_counter()
    result = work()
    return result, perf_counter() - start


def percentile_ms(latencies: list[float], share: int) -> float:
    """The share-th percentile of the latencies (seconds), in milliseconds."""
    return statistics.quantiles(latencies, n=100, method="inclusive")[share - 1] * 1000
