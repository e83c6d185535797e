"""A postmortem as a standalone HTML document (its Markdown is rendered by
warroom.markdown, safely, as everywhere else)."""

from html import escape

# Self-contained: the file opens anywhere (a wiki, an e-mail, a laptop offline) and
# looks like a document, without warroom's stylesheet or any script.
_STYLE = """
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #172b4d; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.8rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #dcdfe4; padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #dcdfe4; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f7f8f9; }
blockquote { margin: .5rem 0; padding: .2rem 1rem; border-left: 4px solid #dcdfe4; color: #44546f; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
em { color: #44546f; }
footer { margin-top: 3rem; font-size: .8rem; color: #626f86; }
"""


def standalone_html(*, title: str, body_html: str, footer: str) -> str:
    """A whole HTML document around a rendered fragment; `title` and `footer` are text."""
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<article>\n{body_html}</article>\n"
        f"<footer>{escape(footer)}</footer>\n</body>\n</html>\n"
    )
