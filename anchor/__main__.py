"""``python -m anchor`` runs the command line."""

from anchor.cli.main import entry

entry()
