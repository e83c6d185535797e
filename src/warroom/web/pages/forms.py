"""What every page form shares: its field types, and how it is answered.

A form's change runs in one write transaction and the answer is a redirect back to its
page (POST/redirect/GET) with `?ok=<notice>`; a refusal instead renders the page again
with the reason, the right 4xx status and what the person typed."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Annotated, Generic, Protocol, TypeVar

from fastapi import Form, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.web.context import AppContext
from warroom.web.errors import REFUSALS
from warroom.web.pages.base import PageUser, error_of, redirect

ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Short = Annotated[str, Form(max_length=100)]
# The notice a form's redirect names, shown once on the page it lands on.
Ok = Annotated[str, Query(max_length=100)]


class RefusedPage(Protocol):
    """The form's page again, showing why the change was refused."""

    def __call__(self, *, error: str, status_code: int) -> Response: ...


def submit(ctx: AppContext, write: Callable[[Session], str], refused: RefusedPage) -> Response:
    """Runs `write` in one transaction and redirects to the URL it returns; an action's
    refusal (nothing written) answers with the `refused` page instead."""
    try:
        with ctx.db.write() as session:
            url = write(session)
    except REFUSALS as exc:
        status_code, message = error_of(exc)
        return refused(error=message, status_code=status_code)
    return redirect(url)


class HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=HasId)


class RowPage(Protocol):
    """A page about one row, named by a path reference, as a refused form renders it."""

    def __call__(
        self,
        request: Request,
        ctx: AppContext,
        who: PageUser,
        ref: str,
        *,
        error: str | None = None,
        status_code: int = 200,
        form: Mapping[str, str] | None = None,
    ) -> Response: ...


@dataclass(frozen=True)
class RowForms(Generic[Row]):
    """The forms on the page of one row (a service, a schedule) at `<prefix>/<id>`: each
    loads the row its path names and changes it; done, back to the page by id."""

    prefix: str
    load: Callable[[Session, str], Row]
    page: RowPage

    def act(
        self,
        request: Request,
        ctx: AppContext,
        who: PageUser,
        ref: str,
        change: Callable[[Session, Row, datetime], object],
        *,
        done: str,
        anchor: str = "",
        form: Mapping[str, str] | None = None,
    ) -> Response:
        now = ctx.clock.now()

        def write(session: Session) -> str:
            row = self.load(session, ref)
            back = f"{self.prefix}/{row.id}?ok={done}{anchor}"
            change(session, row, now)
            return back

        return submit(ctx, write, partial(self.page, request, ctx, who, ref, form=form))
