"""The teacher's pages, under ``/teach``: classes and rosters, the class x concept mastery
map, a student's history, item statistics, the review queue, the tutor questions by concept
and course import. Each page calls the same services as the JSON API (``services.analytics``,
``services.review``, ``services.classes``, ``services.pack_upload``) and is for teachers and
admins; a student who opens one gets the 403 page.
"""

from __future__ import annotations

from fastapi import APIRouter

from learnloop.storage.tables import Role
from learnloop.web.pages.render import HOME_BY_ROLE, add_nav_link
from learnloop.web.pages.teach import classes, imports, reports, reviews, texts

router = APIRouter(include_in_schema=False)
for module in (classes, reports, reviews, imports):
    router.include_router(module.router)

texts.install()
add_nav_link("nav.teach", "/teach", roles={Role.TEACHER}, prefix="/teach")
HOME_BY_ROLE.setdefault(Role.TEACHER, "/teach")
HOME_BY_ROLE.setdefault(Role.ADMIN, "/teach")

__all__ = ["router"]
