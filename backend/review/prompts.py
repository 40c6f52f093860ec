"""Prompt files: one Jinja2 template per prompt version, with a YAML header, selected by id and version.

A prompt lives in ``prompts/<id>_v<version>.j2`` and opens with a Jinja comment holding YAML::

    {#-
    id: indicator_draft
    version: 1
    purpose: what the prompt asks the model to do
    variables:
      indicator: what the caller passes under this name
    -#}

The header renders to nothing. :meth:`Prompt.render` refuses missing or undeclared variables and any
undefined name inside the template, so a prompt and its caller cannot drift apart silently. A draft
records :attr:`Prompt.ref` (``indicator_draft@1``); an edited prompt gets a new file with a new version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from backend.config import Settings
from backend.errors import AppError, ErrorCode

PROMPT_ID_PATTERN = r"^[a-z][a-z0-9_]*$"
_FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)_v(?P<version>[0-9]+)\.j2$")
_HEADER = re.compile(r"\A\{#-?(?P<yaml>.*?)-?#\}", re.DOTALL)
# Plain text for a model, not HTML: escaping would corrupt quotes the model must copy verbatim.
_ENV = jinja2.Environment(
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class PromptHeader(BaseModel):
    """What a prompt file says about itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=PROMPT_ID_PATTERN)
    version: int = Field(ge=1)
    purpose: str = Field(min_length=1)
    variables: dict[str, str] = Field(description="variable name -> what the caller passes")
    output: str | None = None


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt: its header and compiled template."""

    header: PromptHeader
    template: jinja2.Template
    path: Path

    @property
    def ref(self) -> str:
        """``id@version``, the value recorded in a draft's provenance."""
        return f"{self.header.id}@{self.header.version}"

    def render(self, **variables: object) -> str:
        """Render with exactly the declared variables."""
        declared = set(self.header.variables)
        missing, extra = declared - set(variables), set(variables) - declared
        if missing or extra:
            raise AppError(
                ErrorCode.INVALID_INPUT,
                f"提示词 {self.ref} 的变量不匹配。",
                f"missing {sorted(missing)}, undeclared {sorted(extra)}",
            )
        try:
            return self.template.render(**variables)
        except jinja2.UndefinedError as e:
            raise AppError(ErrorCode.INVALID_INPUT, f"提示词 {self.ref} 引用了未定义的内容。", str(e)) from e


def _invalid(path: Path, detail: str) -> AppError:
    return AppError(ErrorCode.INVALID_INPUT, f"提示词文件 {path.name} 有误。", f"{path}: {detail}")


def load_prompt(path: Path) -> Prompt:
    """Read one prompt file, checking its header against its file name."""
    name = _FILE_NAME.match(path.name)
    if name is None:
        raise _invalid(path, "file name must be <id>_v<version>.j2")
    source = path.read_text(encoding="utf-8")
    found = _HEADER.match(source)
    if found is None:
        raise _invalid(path, "no header comment {# ... #} at the start")
    try:
        header = PromptHeader.model_validate(yaml.safe_load(found.group("yaml")))
    except (yaml.YAMLError, ValidationError) as e:
        raise _invalid(path, f"header: {e}") from e
    if (header.id, header.version) != (name.group("id"), int(name.group("version"))):
        raise _invalid(path, f"header says {header.id} v{header.version}, the file name disagrees")
    try:
        template = _ENV.from_string(source)
    except jinja2.TemplateSyntaxError as e:
        raise _invalid(path, f"line {e.lineno}: {e.message}") from e
    return Prompt(header=header, template=template, path=path)


class PromptRegistry:
    """Prompts by (id, version); the latest version of an id is the default."""

    def __init__(self, prompts: Iterable[Prompt] = ()) -> None:
        self._by_key: dict[tuple[str, int], Prompt] = {}
        for prompt in prompts:
            key = (prompt.header.id, prompt.header.version)
            if key in self._by_key:
                raise _invalid(prompt.path, f"{prompt.ref} is also defined in {self._by_key[key].path.name}")
            self._by_key[key] = prompt

    @classmethod
    def load_dir(cls, directory: Path) -> PromptRegistry:
        """Load every ``*.j2`` file of a directory."""
        return cls(load_prompt(p) for p in sorted(Path(directory).glob("*.j2")))

    def get(self, prompt_id: str, version: int | None = None) -> Prompt:
        """The prompt with this id, at ``version`` or else the latest."""
        versions = sorted(v for i, v in self._by_key if i == prompt_id)
        wanted = version if version is not None else (versions[-1] if versions else None)
        found = self._by_key.get((prompt_id, wanted)) if wanted is not None else None
        if found is None:
            label = prompt_id if version is None else f"{prompt_id}@{version}"
            raise AppError(ErrorCode.NOT_FOUND, f"找不到提示词 {label}。", label)
        return found

    def list(self) -> list[Prompt]:
        """Every prompt, by id then version."""
        return [self._by_key[k] for k in sorted(self._by_key)]


def default_prompts(directory: Path | None = None) -> PromptRegistry:
    """The registry of the configured prompts directory (``CIQA_PROMPTS_DIR``)."""
    if directory is None:
        directory = Settings().prompts_dir
    return PromptRegistry.load_dir(directory)
