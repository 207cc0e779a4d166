"""Command-line tasks of this area (registered by inreach.cli)."""

import click
from flask.cli import with_appcontext

from .purge import run


@click.command("purge")
@click.option("--dry-run", "mode", flag_value="dry-run",
              help="Count what would go; change nothing.")
@click.option("--run", "mode", flag_value="run",
              help="Remove the personal data whose time is up.")
@with_appcontext
def purge_command(mode):
    """Remove personal data past its retention period (the nightly purge, now), or with
    --dry-run only count it. Prints counts by kind, never names."""
    if mode is None:
        raise click.UsageError("Say --dry-run to count, or --run to purge.")
    counts = run(dry_run=mode == "dry-run")
    verb = "Would remove" if mode == "dry-run" else "Removed"
    click.echo(f"{verb}:")
    click.echo(f"  men de-identified:          {counts.men}")
    click.echo(f"  men with notes cleared:     {counts.notes}")
    click.echo(f"  print-batch PDFs:           {counts.batch_pdfs}")
    click.echo(f"  outbox emails:              {counts.emails}")
    click.echo(f"Kept because a referral is still open: {counts.kept_open}")


COMMANDS = [purge_command]
