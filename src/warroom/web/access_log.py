"""Access logs without secrets: integration keys sit in intake URLs, tokens in ack links."""

import copy
import logging
import re
from typing import Any

# Integration keys in intake URLs, and the signed token of acknowledge links.
_KEY_IN_PATH = re.compile(r"(/integrations/(?:alertmanager|grafana|webhook)/|/ack/)[^/?\s]+")


def redact_path(path: str) -> str:
    return _KEY_IN_PATH.sub(r"\1***", path)


class RedactIntegrationKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_path(a) if isinstance(a, str) else a for a in record.args)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, with the redacting filter on the access log. A dict
    (not a filter added at run time) so that worker processes get it too."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_keys"] = {
        "()": "warroom.web.access_log.RedactIntegrationKeys"
    }
    config["handlers"]["access"]["filters"] = ["redact_keys"]
    return config
