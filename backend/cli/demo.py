"""Terminal presentation of `ciqa demo`: a progress bar per job and stage (or the queued jobs to follow), the logins
(passwords shown once)."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from backend.cli.accounts import ROLE_ZH
from backend.cli.indexing import console
from backend.config import Settings
from backend.db.models import JobKind
from backend.demo import DemoResult, QueuedDemo, queue_demo, run_demo
from backend.jobs.progress import JOB_STATUS_ZH, stage_zh

JOB_KIND_ZH = {JobKind.INGEST: "入库", JobKind.REVIEW: "评审"}


def account_lines(result: DemoResult | QueuedDemo) -> list[str]:
    """One plain line per demo login, every value whole (a table cuts passwords at the terminal width)."""
    return [
        f"用户名 {a.username}  角色 {ROLE_ZH[a.role]}  姓名/部门 {a.display_name}  单位 {a.institution or '-'}  "
        f"密码 {a.password or '（已存在，未更改）'}"
        for a in result.accounts
    ]


def version_lines(result: DemoResult) -> list[str]:
    """One plain line per reviewed demo version, with the ids a user copies whole."""
    return [
        f"{v.institution}（{v.institution_type.value}）  {v.label}  版本 id {v.version_id}  评审 id {v.review_id}  "
        f"{v.pages or '-'} 页  {v.chunks} 分块  补充材料 {v.materials}  考察问题 {v.questions}  "
        f"{'新建' if v.created else '已有'}"
        for v in result.versions
    ]


def queued_lines(result: QueuedDemo) -> list[str]:
    """One plain line per demo version left to the worker: its ids and the job to follow (or its review)."""
    return [
        f"{v.institution}（{v.institution_type.value}）  {v.label}  版本 id {v.version_id}  "
        + (
            f"评审 id {v.review_id}"
            if v.review_id is not None
            else f"{JOB_KIND_ZH[v.job_kind]}任务 id {v.job_id}（{JOB_STATUS_ZH[v.job_status]}）"
        )
        + f"  {'新建' if v.created else '已有'}"
        for v in result.versions
    ]


def _print_accounts(result: DemoResult | QueuedDemo) -> None:
    console.print("示例账号：")
    for line in account_lines(result):
        console.print(line, markup=False, soft_wrap=True)  # passwords are copied: never wrapped or cut
    if any(a.password for a in result.accounts):
        console.print("[yellow]密码只显示这一次，请妥善保存。[/yellow]")
    if not all(a.password for a in result.accounts):
        console.print("已存在的账号保留原密码；需要新密码时运行 ciqa demo --reset-passwords。")


def queue(*, pages: int, reset_passwords: bool, url: str) -> QueuedDemo:
    """Create the demo data and upload the sample reports, leaving ingest and review to the worker; print the
    logins, the jobs and how to follow them."""
    console.print("准备示例数据：迁移数据库，创建单位、用户、遴选活动，上传示例自评报告（入库和评审由后台任务完成）…")
    result = queue_demo(Settings(), pages=pages, reset_passwords=reset_passwords)
    _print_accounts(result)
    console.print(f"{result.campaign_name}：")
    for line in queued_lines(result):
        console.print(line, markup=False, soft_wrap=True)
    if any(v.review_id is None for v in result.versions):
        console.print(
            "后台任务进程（ciqa serve 或 ciqa worker）依次入库并评审这些报告，每份约半分钟到一分钟；"
            "入库完成后评审任务自动排队，进度条显示在各高校账号的首页。",
            soft_wrap=True,
        )
        # URLs are copied: never wrapped.
        console.print(
            f"查看进度：登录后 GET {url}/api/jobs/{{任务 id}}（stage_zh 为当前阶段，progress 为百分比），"
            f"或 GET {url}/api/versions/{{版本 id}}/jobs 查看该版本的入库和评审任务。",
            markup=False,
            soft_wrap=True,
        )
    console.print(
        f"在浏览器中打开 {url}/ ，用上面的用户名和密码登录；"
        f"接口文档在 {url}/docs（脚本可用 POST /api/auth/tokens 取令牌）。",
        markup=False,
        soft_wrap=True,
    )
    return result


def demo(*, pages: int, reset_passwords: bool, url: str) -> DemoResult:
    """Create the demo data with progress bars, then print the logins, the reviews and how to sign in."""
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    console.print("准备示例数据：迁移数据库，创建单位、用户、遴选活动，上传并评审示例自评报告…")
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(task: str, stage: str, percent: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=100)
            bar.update(tasks[task], completed=percent, description=f"{task}·{stage_zh(stage)}")

        result = run_demo(Settings(), pages=pages, reset_passwords=reset_passwords, progress=progress)

    _print_accounts(result)
    console.print(f"{result.campaign_name}：")
    for line in version_lines(result):
        console.print(line, markup=False, soft_wrap=True)
    console.print(
        f"启动服务：ciqa serve（或 make run），然后在浏览器中打开 {url}/ ，用上面的用户名和密码登录；"
        f"接口文档在 {url}/docs（脚本可用 POST /api/auth/tokens 取令牌）。",
        markup=False,
        soft_wrap=True,
    )
    return result
