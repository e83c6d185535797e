import typer

app = typer.Typer(help="postmortems.", no_args_is_help=True)
