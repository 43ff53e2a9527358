"""`anchor report` (being written)."""

import typer


def register(app: typer.Typer) -> None:
    """Nothing yet."""
