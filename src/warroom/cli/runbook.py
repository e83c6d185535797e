import typer

app = typer.Typer(help="runbooks.", no_args_is_help=True)
