"""File downloads name the file in a header that HTTP carries as latin-1."""

from warroom.web.downloads import content_disposition


def test_a_name_people_chose_survives_as_ascii_and_as_utf8() -> None:
    header = content_disposition("платежи.md", inline=True)
    header.encode("latin-1")  # what Starlette does with it; a UnicodeEncodeError was a 500
    assert header.startswith('inline; filename="_______.md"')
    assert "filename*=UTF-8''%D0%BF%D0%BB" in header


def test_quotes_cannot_end_the_filename_early() -> None:
    assert content_disposition('a"b.csv').startswith('attachment; filename="a_b.csv"')
