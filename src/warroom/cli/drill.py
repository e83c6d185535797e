import typer

app = typer.Typer(help="drills.", no_args_is_help=True)
