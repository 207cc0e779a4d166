"""Command-line tasks of this area (registered by inreach.cli): backup and restore."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..errors import DomainError
from . import services


@click.command("backup")
@with_appcontext
def backup_command():
    """Write a consistent copy of the database to BACKUP_DIR (safe while inreach is in use)."""
    try:
        path = services.backup()
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Backup written: {path}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Restore without asking for confirmation.")
@with_appcontext
def restore_command(file, yes):
    """Replace the whole database with a backup (the current one is backed up first), then erase
    again the men erased since it was taken and run the retention purge. Stop the web app and
    worker first."""
    try:
        revision = services.check_backup(file)
        if not yes:
            click.confirm(f"Replace everything in the database with {file.name}? Whatever was "
                          "saved since that backup will be gone from the database (it is kept "
                          "in a backup taken first); men erased since then stay erased",
                          abort=True)
        restored = services.restore(file, revision)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"The database as it was is saved in {restored.saved_first}.")
    if restored.upgraded:
        click.echo(f"The backup's schema ({restored.revision}) was brought up to date.")
    click.echo(f"Restored {file}.")
    click.echo(erased_again(restored.erased_again))
    click.echo(f"Retention purge for today: {restored.purged.describe()}.")


def erased_again(men: int) -> str:
    """How many men erased since the backup was taken were erased again, in words."""
    if men == 1:
        return "1 man erased since that backup was taken was erased again."
    return f"{men} men erased since that backup was taken were erased again."


COMMANDS = [backup_command, restore_command]
