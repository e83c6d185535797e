"""Which handler runs which kind of task: the one place an engine's work is listed
(paging and notification handlers join here)."""

from warroom.alerts import automation, room_tasks
from warroom.drills import reminders as drill_reminders
from warroom.engine.runner import Handler
from warroom.incidents import timer_handlers
from warroom.incidents import timers as incident_timers
from warroom.incidents.actions import SYNC_COMPONENT
from warroom.oncall import handoffs
from warroom.paging import handlers as paging
from warroom.paging import notices
from warroom.postmortems import reminders as action_item_reminders
from warroom.statuspage import deliveries as subscriber_deliveries
from warroom.statuspage import maintenance_tasks, maintenances, subscriptions


def default_handlers() -> dict[str, Handler]:
    return {
        room_tasks.OPEN_ROOM: room_tasks.open_room,
        room_tasks.INVITE_ROOM: room_tasks.invite_room,
        room_tasks.POST_ROOM_MESSAGE: room_tasks.post_room_message,
        paging.ESCALATE: paging.escalate,
        paging.DELIVER_PAGE: paging.deliver_page,
        SYNC_COMPONENT: automation.sync_component,
        notices.DELIVER_NOTICE: notices.deliver_notice,
        subscriptions.SUBSCRIBERS_FANOUT: subscriber_deliveries.subscribers_fanout,
        subscriptions.DELIVER_SUBSCRIBER: subscriber_deliveries.deliver_subscriber,
        subscriptions.DELIVER_AUDIENCE: subscriber_deliveries.deliver_audience,
        handoffs.SCHEDULE_HANDOFFS: handoffs.schedule_handoffs,
        incident_timers.RESPONSE_TARGET: timer_handlers.response_target,
        incident_timers.UPDATE_REMINDER: timer_handlers.update_reminder,
        incident_timers.AUTO_RESOLVE: timer_handlers.auto_resolve,
        incident_timers.ACK_TIMEOUT: timer_handlers.ack_timeout,
        maintenances.START: maintenance_tasks.maintenance_start,
        maintenances.COMPLETE: maintenance_tasks.maintenance_complete,
        action_item_reminders.ACTION_ITEM_DUE: action_item_reminders.action_item_due,
        drill_reminders.DRILL_REMINDER: drill_reminders.drill_reminder,
    }
