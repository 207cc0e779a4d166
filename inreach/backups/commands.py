"""Command-line tasks of this area (registered by inreach.cli)."""

COMMANDS: list = []
