"""The auditor's pages: record sheet, timeline, access log, replay and chain check, export."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
