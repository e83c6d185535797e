"""Alertmanager, Grafana and generic webhook intake (routes added by their modules)."""

from fastapi import APIRouter

router = APIRouter(tags=["integrations"])
