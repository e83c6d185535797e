import logging

from warroom.web.access_log import RedactIntegrationKeys, redact_path, uvicorn_log_config


def test_it_hides_integration_keys_in_intake_paths() -> None:
    assert redact_path("/integrations/alertmanager/wri_abc123") == "/integrations/alertmanager/***"
    assert redact_path("/integrations/webhook/wri_x?x=1") == "/integrations/webhook/***?x=1"
    assert redact_path("/ack/eyJpbmNpZGVudCI.abc") == "/ack/***"
    assert redact_path("/api/v1/incidents/3") == "/api/v1/incidents/3"


def test_it_redacts_uvicorn_access_records() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "POST", "/integrations/grafana/wri_secret", "1.1", 200), None,
    )  # fmt: skip
    assert RedactIntegrationKeys().filter(record)
    assert "wri_secret" not in record.getMessage()
    assert uvicorn_log_config()["handlers"]["access"]["filters"] == ["redact_keys"]
