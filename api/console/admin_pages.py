"""The administrator's pages: users, departments, catalogue, holidays, phrases, knowledge base.

One router gathering the area's modules (mounted by `api.console.mount`): users and their
credentials (`admin_users`), departments and the dispatch catalogue (`admin_reference`), holiday
years (`admin_calendar`), service phrases (`admin_phrases`), and the knowledge base's review
queue and import (`knowledge_pages`). Each page requires its own action of the permission
matrix, so a role sees and uses only the sections it may.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.console import admin_calendar, admin_phrases, admin_reference, admin_users, knowledge_pages

router = APIRouter(include_in_schema=False)
for _module in (admin_users, admin_reference, admin_calendar, admin_phrases, knowledge_pages):
    router.include_router(_module.router)
