"""Command-line tasks: create-user, seed-demo, purge-print-batches and worker (database upgrades
are `flask db upgrade`)."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .accounts.roles import ROLES
from .accounts.services import create_user
from .demo.seed import DEFAULT_PASSWORD, demo_email, seed
from .errors import DomainError
from .jobs.worker import worker_command
from .packs.batches import purge_expired


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", "display_name", default="", help="Full name (defaults to the email).")
@with_appcontext
def create_user_command(email, role, display_name):
    """Add a user. Prompts for the password, or reads it from standard input when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        create_user(email, display_name or email, role, password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {role} {email.strip().lower()}.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Fill the database with fictional demo data (safe to run again) and print the logins."""
    password = current_app.config.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
    try:
        created = seed(password)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Demo data ready ({len(created)} new accounts). All of it is fictional.")
    click.echo("Open http://127.0.0.1:5000 and log in with one of:")
    for role in ROLES:
        click.echo(f"  {role:<10} {demo_email(role):<26} password: {password}")


@click.command("purge-print-batches")
@with_appcontext
def purge_print_batches_command():
    """Delete the PDFs of session batches kept longer than PRINT_BATCH_KEEP_MINUTES (starting a
    batch does this too; run it from cron so none outstays its time on a quiet day)."""
    deleted = purge_expired()
    click.echo(f"Deleted {deleted} expired batch PDF(s).")


def register(app) -> None:
    """Add the commands to `flask --app inreach`: these, and each area's own ``COMMANDS``."""
    from .accounts.commands import COMMANDS as accounts
    from .audit.commands import COMMANDS as audit
    from .backups.commands import COMMANDS as backups
    from .privacy.commands import COMMANDS as privacy

    for command in (create_user_command, seed_demo_command, purge_print_batches_command,
                    worker_command, *accounts, *audit, *backups, *privacy):
        app.cli.add_command(command)
