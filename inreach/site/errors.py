"""Friendly error pages: a clear message and the right status, never a traceback."""

from flask import current_app, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..database import db

MESSAGES = {
    400: ("Something was wrong with that request", "Go back, reload the page and try again."),
    403: ("You do not have access to this page",
          "If you think you should, ask an administrator to check your role."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    409: ("Someone else changed this at the same moment",
          "Nothing you entered was saved. Go back, reload the page and try again."),
    413: ("That file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service",
          "Nothing you entered was half-saved. Try again later."),
    503: ("Sorry, the service is unavailable",
          "The database is not answering. Nothing was saved. Try again in a few minutes."),
}


def render_error(status: int, title: str | None = None, detail: str | None = None):
    """The error page for a status code."""
    default_title, default_detail = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", status=status, title=title or default_title,
                           detail=detail or default_detail), status


def handle_http(error: HTTPException):
    """Any 4xx/5xx Flask raises."""
    return render_error(error.code or 500)


def handle_csrf(error: CSRFError):
    """A form posted without a valid token (expired page, or a forged request)."""
    return render_error(400, "This form has expired",
                        "For your security, forms expire. Go back, reload the page and try again.")


def _rollback() -> None:
    """Undo whatever was in flight, even if the database is the thing that failed."""
    try:
        db.session.rollback()
    except (InterfaceError, OperationalError):
        pass


def handle_database_down(error: OperationalError | InterfaceError):
    """The database could not be reached or answered with an error about itself."""
    _rollback()
    current_app.logger.error("database unavailable: %s", type(error).__name__)
    return render_error(503)


def handle_conflict(error: IntegrityError):
    """Two people saved clashing changes at once (the services check first; the database has
    the last word): nothing is saved and the person is asked to try again."""
    _rollback()
    current_app.logger.warning("integrity conflict: %s", type(error.orig).__name__)
    return render_error(409)


def handle_unexpected(error: InternalServerError):
    """A bug: undo whatever was in flight; the log has the traceback, the page does not."""
    _rollback()
    return render_error(500)


def register(app) -> None:
    """Attach the handlers."""
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(InterfaceError, handle_database_down)
    app.register_error_handler(InternalServerError, handle_unexpected)
