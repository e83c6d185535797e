"""Prometheus `/metrics`: live gauges and counters, and the report figures as gauges."""

from fastapi import APIRouter

router = APIRouter(tags=["meta"])
