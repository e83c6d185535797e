import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
