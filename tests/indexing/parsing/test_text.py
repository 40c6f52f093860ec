"""Plain text and Markdown parsing."""

from __future__ import annotations

import codecs

import pytest

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, Document, MediaType
from indexing.options import ParseOptions
from indexing.parsing import parse
from indexing.parsing.text import join_lines, parse_text

pytestmark = pytest.mark.unit


def _text(s: str, media_type: MediaType = MediaType.TEXT, encoding: str = "utf-8") -> Document:
    return parse_text(s.encode(encoding), doc_id="d", name="t", media_type=media_type, options=ParseOptions())


def _kinds(doc: Document) -> list[tuple[str, str]]:
    return [(b.kind.value, b.text) for b in doc.blocks]


def test_blank_line_paragraphs_with_hard_wrapped_chinese_are_joined_without_spaces():
    doc = _text("学校坚持立德树人，\n全面推进质量文化建设。\n\nThe school was founded\nin 1952.\n")
    assert _kinds(doc) == [
        ("paragraph", "学校坚持立德树人，全面推进质量文化建设。"),
        ("paragraph", "The school was founded in 1952."),
    ]
    assert all(b.page is None for b in doc.blocks)
    assert doc.page_count is None


def test_numbered_lines_are_headings_with_paths():
    doc = _text(
        "一、学校概况\n学校创建于1952年，现有学生2万人。\n（一）历史沿革\n学校历经三次合并。\n"
        "二、本科教学\n1. 加强课程建设，完善课程体系，提高课程质量。\n"
    )
    assert _kinds(doc) == [
        ("heading", "一、学校概况"),
        ("paragraph", "学校创建于1952年，现有学生2万人。"),
        ("heading", "（一）历史沿革"),
        ("paragraph", "学校历经三次合并。"),
        ("heading", "二、本科教学"),
        ("list_item", "1. 加强课程建设，完善课程体系，提高课程质量。"),
    ]
    assert doc.blocks[3].heading_path == ("一、学校概况", "（一）历史沿革")
    assert doc.blocks[5].heading_path == ("二、本科教学",)


def test_one_paragraph_per_line_without_blank_lines():
    doc = _text(
        "学校概况如下。\n学校创建于1952年，是一所综合性大学，现有在校生两万余人，专任教师一千二百人。\n生师比为17.5:1。\n"
    )
    assert [b.text for b in doc.blocks] == [
        "学校概况如下。",
        "学校创建于1952年，是一所综合性大学，现有在校生两万余人，专任教师一千二百人。",
        "生师比为17.5:1。",
    ]


def test_pdf_extracted_text_with_a_blank_line_after_every_line():
    lines = [
        "一、研制前言",
        "质量文化是持续提升大学教育质量的最持久的内在动力。从",
        "世界范围内看，从上世纪 90 年代开始，世界发达国家对于高等教",
        "育质量保障从强调外部质量保障走向内部质量保障，从强调资源要",
        "素投入转向强调学生发展。",
        "走进新时代，我国高等教育开启以提高质量为核心、立德树人",
        "为根本的内涵式发展新征程。",
        "（2）高校应确保学校人才培养的中心地位、教学工作的核心地",
        "位、本科教育的基础地位。",
    ]
    doc = _text("\n\n".join(lines) + "\n")
    assert _kinds(doc) == [
        ("heading", "一、研制前言"),
        ("paragraph", "".join(lines[1:5]).replace("从世界", "从世界")),
        ("paragraph", "走进新时代，我国高等教育开启以提高质量为核心、立德树人为根本的内涵式发展新征程。"),
        ("list_item", "（2）高校应确保学校人才培养的中心地位、教学工作的核心地位、本科教育的基础地位。"),
    ]


def test_indented_first_lines_open_paragraphs_in_wrapped_text():
    text = (
        "　　学校坚持以本为本，推进四个回归，全面提高人才培养能力，\n"
        "把立德树人成效作为检验学校一切工作的根本标准，形成特色。\n"
        "　　学校建立了校院两级质量保障体系，持续完善教学质量标准，\n"
        "形成了闭环的质量改进机制，教学质量稳步提升，成效明显。\n"
    )
    doc = _text(text)
    assert len(doc.blocks) == 2
    assert doc.blocks[1].text.startswith("学校建立了校院两级")


def test_bullets_and_pipe_and_tab_tables_in_plain_text():
    doc = _text(
        "主要措施：\n• 完善标准\n• 健全机制\n\n| 指标 | 数值 |\n|---|---|\n| 生师比 | 17.5:1 |\n\n"
        "学院\t专业数\t学生数\n文学院\t4\t800\n理学院\t6\t1200\n"
    )
    assert _kinds(doc)[:3] == [("paragraph", "主要措施："), ("list_item", "完善标准"), ("list_item", "健全机制")]
    pipe, tab = doc.blocks[3], doc.blocks[4]
    assert pipe.kind is BlockKind.TABLE and pipe.rows == (("指标", "数值"), ("生师比", "17.5:1"))
    assert tab.rows == (("学院", "专业数", "学生数"), ("文学院", "4", "800"), ("理学院", "6", "1200"))
    assert tab.text == "学院 | 专业数 | 学生数\n文学院 | 4 | 800\n理学院 | 6 | 1200"


def test_markdown_headings_lists_tables_and_inline_markup():
    md = (
        "---\ntitle: 自评报告\n---\n"
        "# 自评报告\n\n## 一、学校概况\n\n学校**创建于**1952年，\n详见[官网](https://example.edu)。\n\n"
        "### 1.1 办学定位\n\n- 建设高水平大学\n- [x] 完成任务\n1. 第一条\n2. 第二条\n\n"
        "| 指标 | 2023 | 2024 |\n| :--- | ---: | --- |\n| 生师比 | 17.8 | 17.5 |\n| 专任教师 \\| 人 | 1200 | 1250 |\n\n"
        "```\ncode block 保留\n  缩进\n```\n\n> 引用的段落。\n\n***\n\n其他说明\n=====\n\n正文。\n"
    )
    doc = _text(md, MediaType.MARKDOWN)
    assert doc.media_type is MediaType.MARKDOWN
    assert _kinds(doc) == [
        ("heading", "自评报告"),
        ("heading", "一、学校概况"),
        ("paragraph", "学校创建于1952年，详见官网。"),
        ("heading", "1.1 办学定位"),
        ("list_item", "建设高水平大学"),
        ("list_item", "完成任务"),
        ("list_item", "1. 第一条"),
        ("list_item", "2. 第二条"),
        ("table", "指标 | 2023 | 2024\n生师比 | 17.8 | 17.5\n专任教师 | 人 | 1200 | 1250"),
        ("paragraph", "code block 保留\n  缩进"),
        ("paragraph", "引用的段落。"),
        ("heading", "其他说明"),
        ("paragraph", "正文。"),
    ]
    by_text = {b.text: b for b in doc.blocks}
    assert by_text["1. 第一条"].heading_path == ("自评报告", "一、学校概况", "1.1 办学定位")
    assert by_text["其他说明"].heading_level == 1
    assert by_text["指标 | 2023 | 2024\n生师比 | 17.8 | 17.5\n专任教师 | 人 | 1200 | 1250"].rows[2] == (
        "专任教师 | 人",
        "1200",
        "1250",
    )


def test_markdown_chinese_numbered_lines_nest_under_hash_headings():
    doc = _text("# 一、学校概况\n\n（一）历史沿革\n\n学校创建于1952年。\n", MediaType.MARKDOWN)
    assert doc.blocks[1].kind is BlockKind.HEADING and doc.blocks[1].heading_level == 2
    assert doc.blocks[2].heading_path == ("一、学校概况", "（一）历史沿革")


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("gbk", b""),
        ("gb18030", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_encodings_are_decoded(encoding, prefix):
    text = "一、学校概况\r\n学校坚持立德树人，质量文化建设成效显著。\r\n"
    doc = parse(prefix + text.encode(encoding), name="报告.txt")
    assert _kinds(doc) == [("heading", "一、学校概况"), ("paragraph", "学校坚持立德树人，质量文化建设成效显著。")]


def test_whitespace_only_text_is_empty():
    with pytest.raises(IndexingError) as err:
        parse("  \n\n\u3000\n".encode(), name="空.txt")
    assert err.value.code is IndexingErrorCode.EMPTY_FILE


def test_control_and_zero_width_characters_are_removed():
    doc = _text("学校\u200b概况\x07说明。\f第二页内容。")
    assert [b.text for b in doc.blocks] == ["学校概况说明。", "第二页内容。"]


def test_join_lines_spacing():
    assert join_lines(["质量文化", "建设"]) == "质量文化建设"
    assert join_lines(["CIQA", "秘书处"]) == "CIQA秘书处"
    assert join_lines(["quality", "culture"]) == "quality culture"


def test_runs_of_short_numbered_lines_are_list_items():
    doc = _text("主要举措：\n1. 完善制度\n2. 加强队伍\n3. 健全机制\n（一）下一节\n正文。\n")
    assert [b.kind.value for b in doc.blocks] == [
        "paragraph",
        "list_item",
        "list_item",
        "list_item",
        "heading",
        "paragraph",
    ]
