"""The yardstick for a referral save: a bare Flask endpoint that inserts one row, served by the
same waitress settings on loopback and posted to by the same keep-alive clients with the same
form body. It has no login, CSRF, forms, rules or audit, so the ratio of its throughput to the
save's is what inreach's own work costs.

Used by ``benchmarks.referral_saves``; on its own: ``.venv/bin/python -m benchmarks.bare_insert``.
"""

import tempfile
import threading
from time import perf_counter

from flask import Flask, request
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from inreach.database import WRITE

from .common import Browser, database_url, percentile_ms, start_server

ROWS = Table("bare_rows", MetaData(), Column("id", Integer, primary_key=True),
             Column("client_id", String(64), unique=True), Column("body", String(4000)))


def bare_app(url: str) -> Flask:
    """One endpoint: insert the posted client id and body as one row in a write transaction
    (on SQLite WAL with BEGIN IMMEDIATE, through the same engine hooks as the app)."""
    engine = create_engine(url)
    ROWS.create(engine, checkfirst=True)
    app = Flask(__name__)

    @app.post("/save")
    def save():
        with engine.connect().execution_options(**{WRITE: True}) as connection:
            with connection.begin():
                connection.execute(insert(ROWS).values(
                    client_id=request.form["client_id"], body=request.get_data(as_text=True)))
        return {"ok": True}

    return app


def drive_bare(url: str, bodies, tablets: int, seconds: float) -> tuple[float, float, int]:
    """Post ``bodies()`` (a fresh form each time) from that many clients back to back; returns
    requests/s, p95 ms and the number of failed requests."""
    server, port = start_server(url, bare_app)
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = perf_counter() + seconds

    def tablet() -> None:
        browser = Browser(port)
        while perf_counter() < stop:
            began = perf_counter()
            status, _ = browser.request("POST", "/save", bodies())
            with lock:
                latencies.append(perf_counter() - began)
                failures[0] += status != 200

    try:
        threads = [threading.Thread(target=tablet) for _ in range(tablets)]
        began = perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = perf_counter() - began
    finally:
        server.terminate()
        server.join()
    return len(latencies) / wall, percentile_ms(latencies, 95), failures[0]


def main() -> None:
    """Run the bare endpoint alone for 20 s with 15 clients and print its figures."""
    import uuid

    with tempfile.TemporaryDirectory() as folder:
        rate, p95, failed = drive_bare(database_url(None, folder), lambda: {
            "client_id": str(uuid.uuid4()), "housing": "unknown"}, 15, 20)
    print(f"bare one-row insert: {rate:.1f} requests/s, p95 {p95:.1f} ms, {failed} failed")


if __name__ == "__main__":
    main()
