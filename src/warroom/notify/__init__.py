"""Outbound transports: person notifications and incident rooms. Each one is optional;
with nothing configured the web UI and the incident timeline are the whole story."""
