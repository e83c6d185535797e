import typer

app = typer.Typer(help="teams.", no_args_is_help=True)
