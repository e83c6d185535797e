"""`warroom demo`: fill an empty database with a realistic organisation."""

import typer


def demo() -> None:
    """Load a realistic demo organisation into an empty database."""
    raise typer.Exit(1)  # issue 6: written last
