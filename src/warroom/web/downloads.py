"""Headers for files served to a browser."""

from urllib.parse import quote


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266: header values are latin-1, so names people chose (a service called
    «платежи») go as an ASCII fallback plus the UTF-8 `filename*` browsers prefer."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
