import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from warroom.domain.severity import DEFAULT_RESPONSE_TARGETS_MINUTES, Severity


class _TomlSource(PydanticBaseSettingsSource):
    """WARROOM_CONFIG names a TOML file with the same keys (without the prefix)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("WARROOM_CONFIG")
        self._data: dict[str, Any] = {}
        if path:
            with Path(path).open("rb") as f:
                self._data = {k.lower(): v for k, v in tomllib.load(f).items()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="ignore")

    database_url: str = "sqlite:///./warroom.db"
    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    # Request bodies above this are refused with 413 before they are parsed.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    response_targets_minutes: dict[Severity, float] = Field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_TARGETS_MINUTES)
    )
    # TLS for `serve` (PEM files). PagerDuty's own client only speaks https.
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    # Events per minute per integration key (per process); 0 turns the limit off.
    intake_rate_limit: int = Field(default=600, ge=0)
    # A revoked or rotated integration key stops working within this many seconds.
    intake_key_cache_seconds: float = Field(default=10.0, ge=0)
    # Incident rooms (optional; Slack wins if both are set).
    slack_bot_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    matrix_homeserver: str | None = None
    matrix_access_token: str | None = None
    # Signs acknowledge links in pages. Unset, warroom generates a key on first use and
    # keeps it in the database (table app_secrets), so every process shares it; set it to
    # control the key yourself (changing it invalidates the links already sent).
    secret_key: str | None = Field(default=None, min_length=16)
    # Served pages refresh themselves this often (seconds); 0 turns live refresh off.
    live_refresh_seconds: int = Field(default=15, ge=0)
    # The public status page (/status, /api/v2) is served from a per-process cache; a
    # change made in another process shows within this many seconds (in this one, at once).
    status_page_cache_seconds: float = Field(default=1.0, ge=0, le=300)
    # Where status-page subscriber emails are sent through: an Apprise mailto URL without
    # `to` (e.g. mailto://smtp.example.com:587?user=u&pass=p&from=status@example.com).
    # Unset: email subscriptions are off (subscribing by email answers 4xx).
    status_page_mail_url: str | None = Field(default=None, max_length=2000)
    # The public status page (/status): its heading, an optional logo (an http(s) URL or
    # a path on this server), links for its header and footer ([{label, url}]), the zone
    # its times are shown in, and whether components show 90-day uptime bars.
    status_page_title: str = Field(default="Status", min_length=1, max_length=100)
    status_page_logo_url: str | None = Field(default=None, max_length=2000)
    status_page_links: list[dict[str, str]] = Field(default_factory=list, max_length=20)
    status_page_time_zone: str = "UTC"
    status_page_show_uptime: bool = True
    # /metrics answers without a token when true (for a Prometheus on a trusted network
    # that cannot send one); otherwise it needs an admin's bearer token.
    metrics_public: bool = False

    @property
    def status_page_url(self) -> str:
        return self.base_url.rstrip("/") + "/status"

    def incident_url(self, incident_id: int) -> str:
        """The incident's page, for links in messages."""
        return f"{self.base_url.rstrip('/')}/incidents/{incident_id}"

    @field_validator("response_targets_minutes")
    @classmethod
    def _every_severity_has_a_target(cls, v: dict[Severity, float]) -> dict[Severity, float]:
        merged = dict(DEFAULT_RESPONSE_TARGETS_MINUTES) | v
        if any(minutes <= 0 for minutes in merged.values()):
            raise ValueError("response targets must be positive numbers of minutes")
        return merged

    @field_validator("status_page_logo_url")
    @classmethod
    def _logo_is_a_web_address(cls, v: str | None) -> str | None:
        if not v:
            return None
        if not _public_link(v):
            raise ValueError("the logo must be an http(s) URL or a path starting with /")
        return v

    @field_validator("status_page_links")
    @classmethod
    def _links_are_label_and_url(cls, v: list[dict[str, str]]) -> list[dict[str, str]]:
        for n, link in enumerate(v, start=1):
            if set(link) != {"label", "url"}:
                raise ValueError(f"link {n} must have exactly the keys label and url")
            if not 1 <= len(link["label"].strip()) <= 60:
                raise ValueError(f"link {n}'s label must be 1 to 60 characters")
            if len(link["url"]) > 2000 or not _public_link(link["url"]):
                raise ValueError(f"link {n}'s url must be an http(s) URL or a path starting with /")
        return [{"label": link["label"].strip(), "url": link["url"]} for link in v]

    @field_validator("status_page_time_zone")
    @classmethod
    def _time_zone_exists(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as Europe/Berlin"
            ) from None
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls), file_secret_settings)


def _public_link(url: str) -> bool:
    """An address a public page may link to: http(s), or a path on this server (never
    javascript: or data:, which would run in the reader's browser)."""
    if url.startswith("/") and not url.startswith("//"):
        return True
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
