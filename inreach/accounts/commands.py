"""Command-line tasks of this area (registered by inreach.cli)."""

import click
from flask.cli import with_appcontext

from . import services, two_factor


@click.command("reset-two-step-login")
@click.argument("email")
@with_appcontext
def reset_two_step_login_command(email):
    """Turn off a user's two-step login, for when no other administrator can (a lost phone and
    no recovery codes). They set it up again at their next login; audited with no actor."""
    user_id = services.user_id_for_email(email)
    if user_id is None:
        raise click.ClickException("No user has that email address.")
    two_factor.reset(user_id, actor_id=None)
    click.echo("Two-step login reset and that user's login sessions ended. They set it up again "
               "when they next log in.")


COMMANDS = [reset_two_step_login_command]
