from pathlib import Path

import pytest

from warroom.domain.severity import Severity
from warroom.settings import Settings


def test_it_reads_a_toml_file_named_by_warroom_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text(
        'database_url = "sqlite:///elsewhere.db"\n'
        'base_url = "https://warroom.example.com"\n'
        '[response_targets_minutes]\n"SEV-1" = 5\n'
    )
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    settings = Settings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.base_url == "https://warroom.example.com"
    assert settings.response_targets_minutes[Severity.SEV1] == 5
    # Severities the file leaves out keep their defaults.
    assert settings.response_targets_minutes[Severity.SEV4] == 24 * 60


def test_it_lets_the_environment_override_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "warroom.toml"
    config.write_text('base_url = "https://from-file"\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    monkeypatch.setenv("WARROOM_BASE_URL", "https://from-env")
    assert Settings().base_url == "https://from-env"


def test_it_refuses_a_non_positive_response_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_RESPONSE_TARGETS_MINUTES", '{"SEV-2": 0}')
    with pytest.raises(ValueError, match="positive"):
        Settings()
