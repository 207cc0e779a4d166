"""inreach: organise prison in-reach days. ``create_app`` builds the Flask application."""

from pathlib import Path

from flask import Flask, g
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import cli, config, models, urls  # noqa: F401  (models: every table registered)
from .accounts import access
from .accounts import session as login_session
from .database import db, render_migration_type
from .jobs import queue as jobs_queue
from .security import SessionInterface, add_security_headers

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()
migrate = Migrate()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, database, security hooks, blueprints and commands."""
    app = Flask(__name__, instance_relative_config=True,
                static_folder=str(ROOT / "static"), template_folder=str(ROOT / "templates"))
    config.load(app, test_config)
    _templates(app)
    db.init_app(app)
    jobs_queue.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                     compare_type=True, render_item=render_migration_type)
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    if app.config.get("TRUSTED_PROXIES"):
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    urls.register(app)  # ids the database can hold, no control characters
    _blueprints(app)
    app.view_functions["static"].access = access.PUBLIC
    app.before_request(login_session.load_user)
    app.before_request(access.enforce_access)
    app.after_request(add_security_headers)
    cli.register(app)
    return app


def _templates(app: Flask) -> None:
    """Our templates first, then the NHS.UK frontend macros; shared values for every page."""
    from .fields import error_list
    from .site.models import is_demo
    from .site.navigation import navigation

    app.jinja_options = {
        "undefined": ChainableUndefined,  # the NHS.UK macros read optional nested parameters
        "loader": ChoiceLoader([FileSystemLoader(app.template_folder),
                                PackageLoader("nhsuk_frontend_jinja")]),
        "autoescape": True,
    }
    app.add_template_global(error_list)

    @app.context_processor
    def page_context():
        """The demo flag and navigation, read once per page."""
        if "demo" not in g:
            try:
                g.demo = is_demo()
            except SQLAlchemyError:  # an error page must render even when the database is down
                g.demo = False
        return {"demo_data": g.demo, "nav_items": navigation(), "current_user": g.get("user")}


def _blueprints(app: Flask) -> None:
    """Register each domain area's pages and the error handlers."""
    from .accounts.views import bp as accounts
    from .attendance.views import bp as attendance
    from .audit.views import bp as audit
    from .checkin.views import bp as checkin
    from .cohorts.import_views import bp as cohort_import
    from .cohorts.views import bp as cohorts
    from .directory.exchange_views import bp as directory_exchange
    from .directory.views import bp as directory
    from .followup.board_views import bp as followup
    from .followup.handoff_views import bp as handoff
    from .followup.link_views import bp as referral_link
    from .followup.referral_views import bp as referral_followup
    from .gate_list.views import bp as gate_list
    from .jobs.views import bp as jobs
    from .packs.views import bp as packs
    from .people.views import bp as people
    from .prisons.views import bp as prisons
    from .privacy.request_views import bp as data_requests
    from .privacy.retention_views import bp as retention
    from .referrals.consent_views import bp as consent
    from .referrals.outbox_views import bp as outbox
    from .referrals.views import bp as referrals
    from .reports.views import bp as reports
    from .roster.views import bp as roster
    from .site import errors
    from .site.views import bp as site
    from .visits.views import bp as visits
    from .volunteers.views import bp as volunteers

    for blueprint in (site, accounts, audit, visits, roster, gate_list, checkin, cohorts,
                      cohort_import, attendance, people, volunteers, prisons, directory,
                      directory_exchange, referrals, outbox, consent, packs, jobs, handoff,
                      referral_link, followup, referral_followup, reports, retention,
                      data_requests):
        app.register_blueprint(blueprint)
    errors.register(app)
    from .jobs import failures, schedules  # noqa: F401  (register the signal and schedules)
