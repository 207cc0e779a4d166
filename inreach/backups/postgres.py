"""PostgreSQL backups with pg_dump's custom format (one consistent snapshot while the app runs)
and restores with pg_restore in a single transaction (all or nothing). The connection details
come from the database URL and reach the tools through libpq's environment variables, so no
password ever appears on a command line that ``ps`` shows."""

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import text

from ..database import db
from ..errors import DomainError
from . import not_a_backup

MAGIC = b"PGDMP"
# libpq's environment variables for the query parameters a URL may carry.
QUERY_ENVIRONMENT = {"host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE",
                     "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
                     "connect_timeout": "PGCONNECT_TIMEOUT", "options": "PGOPTIONS",
                     "application_name": "PGAPPNAME"}
VERSION_COPY = re.compile(r"^COPY [\w.\"]*alembic_version \(version_num\) FROM stdin;\n"
                          r"(?P<rows>.*?)^\\\.$", re.MULTILINE | re.DOTALL)
TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE public (\S+) ", re.MULTILINE)
TIMEOUT_SECONDS = 6 * 60 * 60


def tool(name: str) -> str:
    """The path of pg_dump or pg_restore: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not candidates:
        raise DomainError("backup_tool_missing", f"{name} was not found. Install PostgreSQL's "
                          "client tools (on Debian: apt-get install postgresql-client-15).")
    return max(candidates, key=lambda path: int(re.sub(r"\D", "", path.split("/")[4]) or 0))


def environment(url) -> dict[str, str]:
    """The environment that points libpq at the database in the URL, password included."""
    env = dict(os.environ)
    values = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
              "PGPASSWORD": url.password, "PGDATABASE": url.database}
    for key, name in QUERY_ENVIRONMENT.items():
        value = url.query.get(key)
        if value:
            values[name] = value[0] if isinstance(value, tuple) else value
    env.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    return env


def dump_command() -> list[str]:
    """pg_dump's command line: the format only (where to connect comes from the environment)."""
    return [tool("pg_dump"), "--format=custom", "--no-password"]


def restore_command(path: Path, url) -> list[str]:
    """pg_restore's command line: replace each object, all in one transaction."""
    return [tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--no-owner",
            "--no-privileges", "--no-password", f"--dbname={url.database}", str(path)]


def write_backup(url, temp: Path) -> None:
    """Dump the database into the (empty, owner-only) file at temp."""
    with open(temp, "wb") as output:
        _run(dump_command(), url, output, "pg_dump failed, so no backup was written")


def backup_revision(path: Path, url) -> str:
    """Refuse a file that is not an inreach pg_dump archive; returns its schema revision."""
    with open(path, "rb") as handle:
        start = handle.read(16)
    if not start.startswith(MAGIC):
        if start.startswith(b"SQLite format 3"):
            raise not_a_backup("It is an SQLite backup, and this inreach uses PostgreSQL.")
        raise not_a_backup("It is not a pg_dump custom-format archive.")
    listing = _call([tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
                     str(path)], url)
    if listing.returncode != 0:
        raise not_a_backup("The archive is damaged or from a newer pg_dump.")
    match = VERSION_COPY.search(listing.stdout)
    rows = match["rows"].split() if match else []
    if len(rows) != 1:
        raise not_a_backup("It has no inreach schema version.")
    return rows[0]


def refuse_unreplaceable(path: Path, url, revision: str) -> None:
    """Refuse a backup that lacks tables the database has (one from an older schema):
    pg_restore replaces only the tables in the archive, so the others would stay."""
    contents = _call([tool("pg_restore"), "--list", str(path)], url)
    archived = {match[1] for match in TABLE_ENTRY.finditer(contents.stdout)}
    live = set(db.session.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
    db.session.rollback()
    extra = sorted(live - archived)
    if extra:
        raise DomainError("backup_lacks_tables", "This backup lacks tables the database has "
                          f"({', '.join(extra)}), which a restore would leave in place. If it is "
                          "from an older version of inreach, run `flask --app inreach db "
                          f"downgrade {revision}` first, then restore it. Nothing was changed.",
                          "file")


def restore_backup(path: Path, url) -> None:
    """Restore the archive over the database; on failure nothing changes (one transaction)."""
    _run(restore_command(path, url), url, subprocess.DEVNULL,
         "pg_restore failed, so the database was left as it was")


def _run(arguments: list[str], url, stdout, failed: str) -> None:
    """Run a PostgreSQL tool; a failure is refused with its error lines (never the DETAIL
    lines, which can quote row values)."""
    result = _call(arguments, url, stdout, TIMEOUT_SECONDS)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines()
                  if "error" in line.lower() and "DETAIL" not in line][:3]
        raise DomainError("backup_tool_failed", f"{failed}: "
                          + (" ".join(errors) or f"exit status {result.returncode}."))


def _call(arguments: list[str], url, stdout=subprocess.PIPE,
          timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client tool with the database's environment (standard output captured
    unless sent elsewhere, errors captured)."""
    return subprocess.run(  # noqa: S603  (a found tool, fixed options and a file path)
        arguments, stdout=stdout, stderr=subprocess.PIPE, text=True, env=environment(url),
        timeout=timeout, check=False)
