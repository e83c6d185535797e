"""`warroom report`: the incident report for a period, as Rich tables, JSON or CSV."""

import typer


def report() -> None:
    """The incident report (MTTA, MTTD, MTTR, MTTF, compliance) for a period."""
    raise typer.Exit(1)  # issue 6: the reports helper writes this
