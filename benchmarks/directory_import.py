"""How long importing the largest directory file allowed (5,000 services) takes: into an empty
directory, then again over itself (every entry updated), then the JSON and CSV exports, on a
throwaway SQLite database.

Run from the repository: ``.venv/bin/python -m benchmarks.directory_import``.
"""

import json
import tempfile
from pathlib import Path

from inreach import create_app
from inreach.database import db
from inreach.directory import flat_csv, importing, oruk
from inreach.directory.entries import MAX_SERVICES
from inreach.directory.services import find_services

from .common import oruk_service, timed


def main() -> None:
    """Import the file twice, export both ways; print the times."""
    content = json.dumps([oruk_service(n) for n in range(MAX_SERVICES)]).encode()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'benchmark.sqlite'}"
        app = create_app({"TESTING": True, "SECRET_KEY": "benchmark", "DATABASE_URL": url})
        with app.app_context():
            db.create_all()
            added, first = timed(lambda: importing.import_file(content, "d.json", False, None))
            updated, second = timed(lambda: importing.import_file(content, "d.json", True, None))
            db.session.expire_all()
            everything = find_services(everything=True)  # as the export pages load them
            _, to_json = timed(lambda: oruk.export_text(everything))
            _, to_csv = timed(lambda: flat_csv.export_bytes(everything))
            db.session.remove()
            db.engine.dispose()
    print(f"directory import, {MAX_SERVICES:,} services, {len(content):,} bytes: "
          f"empty {first:.2f} s ({added}); again {second:.2f} s ({updated}); "
          f"export JSON {to_json:.2f} s, CSV {to_csv:.2f} s")


if __name__ == "__main__":
    main()
