"""Terminal presentation of `ciqa demo`: a progress bar per job and stage, the logins (passwords shown once)."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from backend.config import Settings
from backend.demo import DemoResult, run_demo
from backend.indexing_cli import console

STAGE_ZH = {
    "parse": "解析",
    "chunk": "分块",
    "save": "保存分块",
    "embed": "向量化",
    "index": "建立索引",
    "match": "匹配证据",
    "draft": "起草评议",
}
ROLE_ZH = {"university": "高校", "expert": "评审专家", "secretariat": "秘书处", "admin": "管理员"}


def demo(*, pages: int, reset_passwords: bool, url: str) -> DemoResult:
    """Create the demo data with progress bars, then print the logins, the reviews and how to sign in."""
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    console.print("准备示例数据：迁移数据库，创建单位、用户、遴选活动，上传并评审示例自评报告…")
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(task: str, stage: str, percent: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=100)
            bar.update(tasks[task], completed=percent, description=f"{task}·{STAGE_ZH.get(stage, stage)}")

        result = run_demo(Settings(), pages=pages, reset_passwords=reset_passwords, progress=progress)

    accounts = Table("用户名", "角色", "姓名/部门", "单位", "密码", title="示例账号")
    for a in result.accounts:
        accounts.add_row(
            a.username, ROLE_ZH[a.role.value], a.display_name, a.institution, a.password or "（已存在，未更改）"
        )
    console.print(accounts)
    if any(a.password for a in result.accounts):
        console.print("[yellow]密码只显示这一次，请妥善保存。[/yellow]")
    if not all(a.password for a in result.accounts):
        console.print("已存在的账号保留原密码；需要新密码时运行 ciqa demo --reset-passwords。")

    reviews = Table(
        "单位", "类型", "版本", "页数", "分块", "补充材料", "考察问题", "评审 id", "本次", title=result.campaign_name
    )
    for v in result.versions:
        reviews.add_row(
            v.institution,
            v.institution_type.value,
            f"{v.label} (#{v.version_id})",
            str(v.pages or "-"),
            str(v.chunks),
            str(v.materials),
            str(v.questions),
            str(v.review_id),
            "新建" if v.created else "已有",
        )
    console.print(reviews)
    console.print(
        f"启动服务：ciqa serve（或 make run），然后打开 {url}/docs，"
        f"用上表的用户名和密码调用 POST /api/auth/login 登录（脚本可用 POST /api/auth/tokens 取令牌）。"
    )
    return result
