"""Status-page subscribers, for admins: webhooks (they make warroom call a URL, so only an
admin adds one) and email addresses an admin vouches for. The public subscribes by email
on /status/subscribe (warroom.web.pages.status_subscribers)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from warroom.errors import Invalid
from warroom.schemas import Cursor, Limit, ListOut
from warroom.statuspage import subscriptions
from warroom.statuspage.subscriber_schemas import SubscriberIn, SubscriberOut
from warroom.web.auth import Admin, Ctx

router = APIRouter(prefix="/api/v1/subscribers", tags=["status page"])

SubscriberId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=ListOut[SubscriberOut])
def list_subscribers(
    who: Admin,
    ctx: Ctx,
    kind: Annotated[str | None, Query(pattern="^(email|webhook)$")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> ListOut[SubscriberOut]:
    """Oldest first; `next` is the cursor of the following page."""
    if cursor is not None and not (cursor.isascii() and cursor.isdigit()):
        raise Invalid("cursor: pass the `next` value of the previous page")
    after = int(cursor) if cursor else 0
    with ctx.db.read() as session:
        rows = subscriptions.list_subscribers(session, kind=kind, limit=limit, after_id=after)
        total = sum(
            n
            for key, n in subscriptions.count_subscribers(session).items()
            if kind is None or key.startswith(kind)
        )
        items = [SubscriberOut.of(s) for s in rows]
    return ListOut[SubscriberOut](
        items=items, total=total, next=str(rows[-1].id) if len(rows) == limit else None
    )


@router.post("", status_code=201, response_model=SubscriberOut)
def add_subscriber(body: SubscriberIn, who: Admin, ctx: Ctx) -> SubscriberOut:
    """Confirmed at once: an admin adding it is the opt-in."""
    if body.kind == subscriptions.EMAIL and not ctx.settings.status_page_mail_url:
        raise Invalid(
            "email subscribers need a mail server: set WARROOM_STATUS_PAGE_MAIL_URL "
            "(an Apprise mailto:// URL without `to`)"
        )
    with ctx.db.write() as session:
        subscriber = subscriptions.do_add_subscriber(
            session, kind=body.kind, address=body.address, now=ctx.clock.now()
        )
        return SubscriberOut.of(subscriber)


@router.delete("/{subscriber_id}", response_model=SubscriberOut)
def delete_subscriber(subscriber_id: SubscriberId, who: Admin, ctx: Ctx) -> SubscriberOut:
    """Deliveries already queued for it send nothing."""
    with ctx.db.write() as session:
        subscriber = subscriptions.do_delete_subscriber(session, subscriber_id=subscriber_id)
        return SubscriberOut.of(subscriber)
