"""Prompt files: headers, versions, strict rendering, and the shipped prompts load and render."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from backend.errors import AppError, ErrorCode
from backend.review.prompts import PromptRegistry, default_prompts, load_prompt

pytestmark = pytest.mark.unit


def _write(
    directory: Path, name: str, version: int = 1, body: str = "你好，{{ who }}。", prompt_id: str = "greet"
) -> Path:
    path = directory / name
    header = textwrap.dedent(
        f"""\
        {{#-
        id: {prompt_id}
        version: {version}
        purpose: 问候
        variables:
          who: 被问候的人
        -#}}
        """
    )
    path.write_text(header + body, encoding="utf-8")
    return path


def test_header_is_parsed_and_renders_to_nothing(tmp_path):
    prompt = load_prompt(_write(tmp_path, "greet_v1.j2"))
    assert (prompt.header.id, prompt.header.version, prompt.header.purpose) == ("greet", 1, "问候")
    assert prompt.header.variables == {"who": "被问候的人"}
    assert prompt.ref == "greet@1"
    assert prompt.render(who="专家") == "你好，专家。"


def test_registry_picks_the_latest_version_unless_asked(tmp_path):
    _write(tmp_path, "greet_v1.j2")
    _write(tmp_path, "greet_v2.j2", version=2, body="您好，{{ who }}！")
    registry = PromptRegistry.load_dir(tmp_path)
    assert registry.get("greet").ref == "greet@2"
    assert registry.get("greet", 1).render(who="A") == "你好，A。"
    assert [p.ref for p in registry.list()] == ["greet@1", "greet@2"]
    with pytest.raises(AppError) as missing:
        registry.get("greet", 3)
    assert missing.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(AppError):
        registry.get("other")


def test_rendering_refuses_missing_undeclared_and_undefined_variables(tmp_path):
    prompt = load_prompt(_write(tmp_path, "greet_v1.j2", body="{{ who }}{{ who.title_zh }}"))
    with pytest.raises(AppError, match="missing"):
        prompt.render()
    with pytest.raises(AppError, match="undeclared"):
        prompt.render(who="A", extra="B")
    with pytest.raises(AppError) as undefined:
        prompt.render(who="A")
    assert "未定义" in undefined.value.message_zh


@pytest.mark.parametrize(
    ("name", "kwargs", "detail"),
    [
        ("greet.j2", {}, "file name"),
        ("greet_v2.j2", {}, "disagrees"),
        ("hello_v1.j2", {}, "disagrees"),
        ("greet_v1.j2", {"body": "{% if %}"}, "line"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path, name, kwargs, detail):
    with pytest.raises(AppError) as err:
        load_prompt(_write(tmp_path, name, **kwargs))
    assert err.value.code is ErrorCode.INVALID_INPUT and detail in err.value.detail


def test_a_file_without_header_is_refused(tmp_path):
    path = tmp_path / "greet_v1.j2"
    path.write_text("你好，{{ who }}。", encoding="utf-8")
    with pytest.raises(AppError, match="header"):
        load_prompt(path)


def test_shipped_prompts_load_with_complete_headers():
    registry = default_prompts()
    prompt = registry.get("indicator_draft")
    assert prompt.ref == "indicator_draft@1" and prompt.path.name == "indicator_draft_v1.j2"
    assert set(prompt.header.variables) == {"rubric_name", "scale", "indicator", "points", "evidence", "marks"}
    assert prompt.header.purpose and prompt.header.output


def test_a_shipped_prompt_never_changes_under_the_same_version():
    """Drafts record ``id@version``; an edited prompt must be a new file with a new version (and a new fingerprint).

    ``prompts/fingerprints.json`` holds the SHA-256 of every released prompt file. Editing a file fails here; add
    ``<id>_v<next>.j2`` instead and record its fingerprint.
    """
    directory = Path(default_prompts().get("indicator_draft").path).parent
    recorded = json.loads((directory / "fingerprints.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in directory.glob("*.j2"))
    assert files == sorted(recorded), "every prompt file needs a recorded fingerprint (and none may be deleted)"
    for name in files:
        digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        assert digest == recorded[name], f"{name} changed without a new version: copy it to a new _vN file instead"


def test_both_shipped_prompts_render_their_declared_variables():
    registry = default_prompts()
    judge = registry.get("point_judge")
    assert judge.ref == "point_judge@1" and set(judge.header.variables) == {"point", "mark", "evidence"}
    assert judge.header.purpose and judge.header.output
