"""Configuration: defaults in code, then instance/config.py, then INREACH_* environment."""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "DATABASE_URL": None,  # None means the SQLite file instance/inreach.sqlite
    "SQLITE_BUSY_TIMEOUT_SECONDS": 15,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "LOGIN_MAX_FAILURES": 10,
    # argon2id cost: RFC 9106's second recommendation (64 MiB, 3 passes); above OWASP's minimum.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    "LOGIN_WINDOW_MINUTES": 15,
    "SESSION_COOKIE_NAME": "inreach_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    # A directory entry not checked for this many days is marked "needs checking".
    "DIRECTORY_CHECK_DAYS": 180,
    # How long a finished session batch (personal data) is kept for download before it is
    # deleted.
    "PRINT_BATCH_KEEP_MINUTES": 120,
    # The task queue: Redis at this URL (several hosts), else SQLite in instance/queue.sqlite.
    # QUEUE_IMMEDIATE runs each task at once in the caller instead (tests).
    "REDIS_URL": None,
    "QUEUE_FILE": None,  # None means instance/queue.sqlite
    "QUEUE_IMMEDIATE": False,
    # A running batch with no progress for this long had its worker stop: it is queued again
    # once, then marked failed.
    "PRINT_STALLED_SECONDS": 120,
    # Sending referrals by secure email. Without MAIL_SERVER each email is written to
    # instance/outbox/ as an .eml file instead (the demo needs no mail server).
    # MAIL_SECURITY: "starttls" (port 587) or "tls" (port 465); MAIL_CA_FILE trusts a private CA.
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_SECURITY": "starttls",
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "inreach@example.org",
    "MAIL_CA_FILE": None,
    "MAIL_TIMEOUT_SECONDS": 30,
    "MAIL_OUTBOX_DIR": None,  # None means instance/outbox
    # The address people reach inreach at, for links in emails.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # A receiving team's link: open this many days; an answer can be corrected for this many.
    "REFERRAL_LINK_DAYS": 60,
    "REFERRAL_LINK_CORRECTION_DAYS": 7,
    # Wrong links from one address inside the window before it is refused for a while.
    "LINK_MAX_FAILURES": 20,
    "LINK_WINDOW_MINUTES": 15,
    # The chase list: men with no first contact this many weeks after release.
    "FIRST_CONTACT_WEEKS": 4,
    # Shared reports show counts from 1 to one below this as "fewer than 5" (small numbers).
    "REPORT_SUPPRESS_BELOW": 5,
    # Two-factor sign-in (a time-based code after the password): required for administrators,
    # organisers and auditors unless this is False (the log then warns); volunteers may enrol,
    # and must when TWO_FACTOR_VOLUNTEERS is True. Demo accounts on a demo database are exempt.
    "TWO_FACTOR_REQUIRED": True,
    "TWO_FACTOR_VOLUNTEERS": False,
    # Failed logins from one client address (any account) inside LOGIN_WINDOW_MINUTES before
    # that address is refused for a while.
    "LOGIN_CLIENT_MAX_FAILURES": 30,
    # Backups: written to this folder (None means instance/backups), kept this many days.
    "BACKUP_DIR": None,
    "BACKUP_KEEP_DAYS": 30,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the login session
    # Flask-WTF's HTTPS referrer check needs a Referer header, which Referrer-Policy: no-referrer
    # stops browsers sending; the token and SameSite cookies already stop cross-site posts.
    "WTF_CSRF_SSL_STRICT": False,
}

def _switch(text: str) -> bool:
    """An on/off setting from the environment: 1, true, yes or on is on; anything else off."""
    return text.strip().lower() in ("1", "true", "yes", "on")


# Settings an INREACH_<NAME> environment variable may override, with how to read the text.
ENVIRONMENT = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_ABSOLUTE_HOURS": int,
    "DEMO_PASSWORD": str,
    "TRUSTED_PROXIES": int,
    "DIRECTORY_CHECK_DAYS": int,
    "PRINT_BATCH_KEEP_MINUTES": int,
    "REDIS_URL": str,
    "QUEUE_FILE": str,
    "PRINT_STALLED_SECONDS": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_SECURITY": str,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_FROM": str,
    "MAIL_CA_FILE": str,
    "MAIL_TIMEOUT_SECONDS": int,
    "MAIL_OUTBOX_DIR": str,
    "PUBLIC_URL": str,
    "FIRST_CONTACT_WEEKS": int,
    "REPORT_SUPPRESS_BELOW": int,
    "TWO_FACTOR_REQUIRED": _switch,
    "TWO_FACTOR_VOLUNTEERS": _switch,
    "LOGIN_CLIENT_MAX_FAILURES": int,
    "BACKUP_DIR": str,
    "BACKUP_KEEP_DAYS": int,
}


def load(app, test_config=None):
    """Fill app.config from defaults, the instance file, the environment and test overrides."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for name, kind in ENVIRONMENT.items():
            value = os.environ.get(f"INREACH_{name}")
            if value:
                app.config[name] = kind(value)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not app.config["TWO_FACTOR_REQUIRED"]:
        app.logger.warning("TWO_FACTOR_REQUIRED is off: administrators, organisers and auditors "
                           "can log in with a password alone.")
    default_sqlite = "sqlite:///" + str(Path(app.instance_path) / "inreach.sqlite")
    url = app.config["DATABASE_URL"] or default_sqlite
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # sqlite3's timeout is SQLite's busy timeout: a second writer waits instead of failing.
        timeout = app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]
        options = {"connect_args": {"timeout": timeout}}
    else:
        options = {"pool_pre_ping": True}
    # Query parameters hold personal data: keep them out of error messages and logs.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "hide_parameters": True}


def _instance_secret_key(instance: Path) -> str:
    """Read the secret key from instance/secret_key, creating it (owner-only) on first run."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
