"""Each role's home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from backend.api.deps import DbSession
from backend.db.base import utcnow
from backend.db.models import Role
from backend.db.queries import campaigns, institutions, users
from backend.selection.board import pending_reminders
from backend.web.deps import WebUser
from backend.web.render import ROLE_ZH, page
from backend.workspace import my_assignments, my_submissions

router = APIRouter()

HOME_TEMPLATE = {
    Role.UNIVERSITY: ("university/home.html", "我的材料"),
    Role.EXPERT: ("expert/home.html", "我的评审任务"),
    Role.SECRETARIAT: ("secretariat/home.html", "遴选活动与材料"),
    Role.ADMIN: ("admin/home.html", "用户与院校"),
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: WebUser, session: DbSession) -> HTMLResponse:
    """The signed-in user's home page."""
    template, title = HOME_TEMPLATE[user.role]
    if user.role is Role.ADMIN:
        context = {
            "users": users.list_users(session),
            "institutions": institutions.list_institutions(session),
            "role_names": ROLE_ZH,
        }
    elif user.role is Role.EXPERT:
        context = {"assignments": my_assignments(session, user)}
    else:
        states = my_submissions(session, user)
        context = {"submissions": states, "campaigns": campaigns.list_campaigns(session)}
        if user.role is Role.UNIVERSITY and user.institution_id is not None:
            context["reminders"] = pending_reminders(session, institution_id=user.institution_id, states=states)
    return page(request, template, user, title=title, now=utcnow(), **context)
