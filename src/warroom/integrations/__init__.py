"""Inbound alert formats. Each module parses and validates one format into AlertEvents;
none of them writes anything (alerts.intake does)."""
