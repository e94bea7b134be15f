"""The supervisor's live view of today and the department ranking, with charts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
