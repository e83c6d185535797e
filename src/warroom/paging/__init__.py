"""Paging: walking an incident's escalation policy and delivering each page once."""
