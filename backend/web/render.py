"""Rendering a page: the template with the signed-in user, the role's navigation and the CSRF token."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from backend.auth.tokens import CSRF_COOKIE, Principal
from backend.db.models import Role
from backend.web.deps import TEMPLATES

ROLE_ZH = {Role.UNIVERSITY: "高校用户", Role.EXPERT: "评审专家", Role.SECRETARIAT: "秘书处", Role.ADMIN: "系统管理员"}


@dataclass(frozen=True)
class NavItem:
    """One link of the top navigation."""

    label: str
    href: str
    current: bool = False


# Each role's own pages first; the API documentation is for everyone who scripts.
NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.UNIVERSITY: (("我的材料", "/"), ("自评报告起草", "/drafting"), ("质量文化诊断", "/diagnosis")),
    Role.EXPERT: (("我的评审任务", "/"),),
    Role.SECRETARIAT: (
        ("遴选活动与材料", "/"),
        ("院校与专家", "/people"),
        ("专家与 AI 一致性", "/secretariat/agreement"),
        ("质量文化诊断汇总", "/secretariat/diagnosis"),
    ),
    Role.ADMIN: (("用户与院校", "/"), ("院校与专家", "/people")),
}
API_DOCS = ("接口文档", "/docs")


def navigation(principal: Principal, path: str) -> list[NavItem]:
    """The links a role sees, the current one marked."""
    items = [*NAV[principal.role], API_DOCS]
    return [
        NavItem(label, href, current=(href == path or (href != "/" and path.startswith(href)))) for label, href in items
    ]


def page(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    title: str,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    """A full page (or a fragment template) rendered for the user."""
    base = {"title": title, "user": principal, "csrf_token": request.cookies.get(CSRF_COOKIE, "")}
    if principal is not None:
        base |= {"nav": navigation(principal, request.url.path), "role_zh": ROLE_ZH[principal.role]}
    return TEMPLATES.TemplateResponse(request, template, base | context, status_code=status_code)
