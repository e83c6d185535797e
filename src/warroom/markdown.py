"""Markdown as HTML, for runbooks and postmortems alike: CommonMark (plus tables), with
raw HTML shown as text, never passed through, and markdown-it's refusal of javascript:,
vbscript:, file: and data: links — these documents are written by any responder and
read by everyone, so they must not be able to carry script into a page."""

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False}).enable("table")

# Blocks that get an anchor for their first line, so a lint problem can link to it.
_ANCHORED = {"heading_open", "paragraph_open", "list_item_open", "fence", "code_block"}


def line_anchor(line: int) -> str:
    return f"L{line}"


def render_markdown(text: str, *, anchors: bool = False) -> str:
    """The whole document; with `anchors`, each block carries id="L<line>" for its first
    source line (a runbook's lint problems link to them)."""
    tokens = _md.parse(text)
    used: set[int] = set()
    for token in tokens if anchors else ():
        if token.type in _ANCHORED and token.map:
            line = token.map[0] + 1
            if line not in used:
                used.add(line)
                token.attrSet("id", line_anchor(line))
    return str(_md.renderer.render(tokens, _md.options, {}))


def render_step(text: str) -> str:
    """One checklist step: inline when it is one line, as blocks when it holds more (a
    command in a code block, a nested list)."""
    if "\n" in text:
        return str(_md.render(text))
    return str(_md.renderInline(text))
