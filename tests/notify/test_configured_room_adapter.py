"""Which room adapter the settings give: none by default, Slack before Matrix."""

from types import SimpleNamespace

from pydantic import SecretStr

from warroom.notify.rooms import configured_room_adapter
from warroom.notify.rooms.matrix import MatrixRoomAdapter
from warroom.notify.rooms.slack import SlackRoomAdapter
from warroom.settings import Settings


def test_nothing_configured_means_no_adapter() -> None:
    assert configured_room_adapter(Settings()) is None
    assert configured_room_adapter(SimpleNamespace()) is None
    assert configured_room_adapter(SimpleNamespace(slack_bot_token="  ")) is None
    assert configured_room_adapter(SimpleNamespace(matrix_homeserver="http://hs")) is None


def test_slack_wins_when_both_are_configured() -> None:
    both = SimpleNamespace(
        slack_bot_token="xoxb-1",
        slack_api_url="http://127.0.0.1:9/api/",
        matrix_homeserver="http://127.0.0.1:8008",
        matrix_access_token="syt_1",
    )

    adapter = configured_room_adapter(both)

    assert isinstance(adapter, SlackRoomAdapter)
    assert adapter.name == "slack"


def test_matrix_alone_gives_the_matrix_adapter() -> None:
    adapter = configured_room_adapter(
        SimpleNamespace(
            slack_bot_token=None,
            matrix_homeserver="http://127.0.0.1:8008",
            matrix_access_token=SecretStr("syt_1"),
        )
    )

    assert isinstance(adapter, MatrixRoomAdapter)
    assert adapter.name == "matrix"
