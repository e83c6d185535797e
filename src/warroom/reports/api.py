"""The report API: SPEC §3's incident report, on-call load and trends."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
