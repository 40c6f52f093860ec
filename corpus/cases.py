"""A generator of synthetic case submissions (优秀案例) with planted near-duplicates, for the duplicate evaluation.

A case tells one institution's initiative on one theme (a chapter of the 审核评估 rubric): 案例背景 (history and
the problem met, from the distractor pools), 主要做法 (four to six review-point evidence paragraphs of the theme,
each drawn from the catalogue's differently worded templates and filled with the case's own figures), 取得成效
(the theme's metric sentences) and 经验与启示. Each case names its own initiative (“三维四联”督导机制 …) and
its own school, department and figures. The catalogue has three usable wordings per review point, so cases of
one theme meet the same wordings; :func:`case_set` draws originals that share at most one of them
(:data:`SHARED_WORDINGS`), so two originals share set phrases and at most one paragraph's wording (with their
own figures), not passages. Drawn independently (as before), two of 200 originals often shared two or three
wordings and the closing: ~300 of ~1,100 characters in identical runs, what a copy with its figures changed is.

Planted duplicates (each a new case of another school, labelled with its source or sources):

* ``verbatim``: the source's text with only the school's name replaced;
* ``edited``: 30 % of the source's sentences edited: words swapped for near-synonyms, figures changed, a
  clause dropped, or the sentence replaced by a new one;
* ``paraphrase``: the same points and figures retold: every evidence paragraph re-rendered from *another*
  template of the same review point (the catalogue's templates are independently written wordings, not a
  synonym swap), background and closing paragraphs written anew, the order of the measures changed. This is
  a template-level paraphrase; a free rewrite by a person or a language model may move further from the text.
  With three wordings per point, the other wording is often one that originals of the theme use, so a retelling
  can share two or three wordings (with other figures) with a case that is not its source; one worded in more
  than half of its points as another original (that case's copy with other figures, not a false pair) is drawn
  again where the templates allow (:func:`_retelling`);
* ``merged``: background and the first half of the measures from one case, the second half and the results
  from another.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from corpus.catalogue import Strength, Topic, all_topics
from corpus.distractors import GAPS, HISTORY, NEWS, SLOGAN, distractor_paragraph
from corpus.generator import CHAPTER_NAMES, SCHOOL_PREFIXES, SCHOOL_SUFFIXES, _Filler, metric_value

SCHOOL_MIDDLES = ("", "城市", "海洋", "交通", "信息", "电力", "化工", "轻工", "水利", "航空")
_MARKS = "全维联化融环位体翼链"
_NUMERALS = "一二三四五六七八九"
_MECHANISMS = ("质量保障体系", "督导机制", "评价模式", "育人体系", "改进闭环", "协同机制", "监测平台", "培养模式")
_PROBLEMS = (
    "以往{area}工作存在标准不清、责任分散、反馈滞后等问题，评价结果难以转化为改进行动。",
    "在{area}方面，学校长期面临资源投入不均衡、过程监控薄弱、数据支撑不足的困难。",
    "随着办学规模扩大，{area}中的短板逐渐显现，部分学院对质量要求理解不一，执行存在偏差。",
    "上一轮评估专家指出，学校{area}的制度设计较为完善，但落实落地和持续改进不够。",
)
_CLOSINGS = (
    "实践表明，{initiative}抓住了{area}的关键环节，形成了可复制、可推广的经验。",
    "下一步，学校将进一步完善{initiative}，扩大覆盖面，推动{area}由“有形覆盖”向“有效覆盖”转变。",
    "{initiative}的核心在于把标准、过程和结果贯通起来，以数据驱动改进，以制度保障持续运行。",
    "该做法已在省内{n}所兄弟院校交流推广，得到同行和专家的充分肯定。",
)
# Near-synonyms a clerk swaps when lightly editing a copied text.
_SYNONYMS = (
    ("学校", "我校"),
    ("建立", "构建"),
    ("完善", "健全"),
    ("开展", "组织"),
    ("提升", "提高"),
    ("加强", "强化"),
    ("推进", "推动"),
    ("制定", "出台"),
    ("显著", "明显"),
    ("全面", "全方位"),
    ("定期", "按期"),
    ("有效", "切实"),
)
_SLOT = re.compile(r"\{(\w+)\}")
# Template slots holding a case's own figures (not the year or a small count).
FIGURE_SLOTS = {"num", "pct", "value"}
_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Two distinct cases may word one review point alike (a common wording), not more: sharing two or more
# paragraphs is what a copy with its figures changed looks like.
SHARED_WORDINGS = 1


class DuplicateKind(StrEnum):
    """How a planted duplicate was made from its source(s)."""

    VERBATIM = "verbatim"
    EDITED = "edited"
    PARAPHRASE = "paraphrase"
    MERGED = "merged"


@dataclass(frozen=True)
class CaseParagraph:
    """A paragraph and how it was made: a topic's template (index) with its slot values, or free text."""

    text: str
    topic_id: str | None = None
    template: int | None = None
    values: tuple[tuple[str, str], ...] = ()
    # Results paragraphs: the index of the topic's metric phrasing (``template`` is None then).
    phrasing: int | None = None


@dataclass(frozen=True)
class CaseSection:
    """A section of a case: heading and paragraphs."""

    heading: str
    paragraphs: tuple[CaseParagraph, ...]


@dataclass(frozen=True)
class SyntheticCase:
    """One case: id, school, title, theme, sections; ``kind`` and ``sources`` are set on planted duplicates."""

    id: str
    school: str
    title: str
    theme: str
    sections: tuple[CaseSection, ...]
    kind: DuplicateKind | None = None
    sources: tuple[str, ...] = ()

    def paragraphs(self) -> list[str]:
        """The paragraphs in order (the chunks the evaluation embeds)."""
        return [p.text for s in self.sections for p in s.paragraphs]

    def text(self) -> str:
        """The whole case as plain text: title, then each heading and its paragraphs."""
        lines = [self.title]
        for s in self.sections:
            lines += [s.heading, *(p.text for p in s.paragraphs)]
        return "\n".join(lines)


def case_docx(case: SyntheticCase) -> bytes:
    """The case as a Word file, as a university hands it in: title, section headings, paragraphs."""
    from docx import Document

    doc = Document()
    doc.add_heading(case.title, level=0)
    for section in case.sections:
        doc.add_heading(section.heading, level=1)
        for p in section.paragraphs:
            doc.add_paragraph(p.text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _school(rng: random.Random) -> str:
    return rng.choice(SCHOOL_PREFIXES) + rng.choice(SCHOOL_MIDDLES) + rng.choice(SCHOOL_SUFFIXES)


def _initiative(rng: random.Random) -> str:
    a, b = rng.sample(_NUMERALS, 2)
    x, y = rng.sample(_MARKS, 2)
    return f"“{a}{x}{b}{y}”{rng.choice(_MECHANISMS)}"


def _render(topic: Topic, template: int, values: dict[str, object]) -> str:
    return topic.templates[template].text.format(**values)


def _topic_paragraph(topic: Topic, template: int, fill: _Filler, rng: random.Random) -> CaseParagraph:
    value = metric_value(topic.metric, rng) if topic.metric else ""
    values = fill.values(value)
    return CaseParagraph(
        _render(topic, template, values), topic.id, template, tuple((k, str(v)) for k, v in values.items())
    )


def _result_paragraph(
    topic: Topic, phrasings: tuple[str, ...], phrasing: int, values: dict[str, object]
) -> CaseParagraph:
    return CaseParagraph(
        phrasings[phrasing].format(**values),
        topic.id,
        values=tuple((k, str(v)) for k, v in values.items()),
        phrasing=phrasing,
    )


def generate_case(seed: int) -> SyntheticCase:
    """One original case; the same seed always gives the same case."""
    rng = random.Random(seed)
    school = _school(rng)
    fill = _Filler(rng, school)
    topics = all_topics()
    chapter = rng.choice(sorted(CHAPTER_NAMES))
    area = CHAPTER_NAMES[chapter]
    initiative = _initiative(rng)
    pool = [t for t in topics if t.id.split(".")[0] == chapter]
    chosen = rng.sample(pool, min(len(pool), rng.randint(4, 6)))
    measures = []
    for t in chosen:
        usable = [i for i, tp in enumerate(t.templates) if tp.strength is not Strength.WEAK]
        measures.append(_topic_paragraph(t, rng.choice(usable), fill, rng))
    results = [
        _result_paragraph(t, phrasings, rng.randrange(len(phrasings)), fill.values(metric_value(t.metric, rng)))
        for t in chosen
        if t.metric and (phrasings := t.metric.phrasings)
    ] or [CaseParagraph(distractor_paragraph(rng, school, NEWS))]
    background = (
        CaseParagraph(distractor_paragraph(rng, school, HISTORY)),
        CaseParagraph(rng.choice(_PROBLEMS).format(area=area) + f"为此，学校提出并实施{initiative}。"),
    )
    closing = (
        CaseParagraph(rng.choice(_CLOSINGS).format(initiative=initiative, area=area, n=rng.randint(3, 20))),
        CaseParagraph(distractor_paragraph(rng, school, SLOGAN if rng.random() < 0.5 else GAPS)),
    )
    return SyntheticCase(
        id=f"c{seed}",
        school=school,
        title=f"{school}：以{initiative}推进{area}的实践探索",
        theme=area,
        sections=(
            CaseSection("一、案例背景", background),
            CaseSection("二、主要做法", tuple(measures)),
            CaseSection("三、取得成效", tuple(results)),
            CaseSection("四、经验与启示", closing),
        ),
    )


def _renamed(case: SyntheticCase, rng: random.Random, case_id: str) -> SyntheticCase:
    """The case as another school would hand it in: its name replaced everywhere."""
    other = _school(rng)
    while other == case.school:
        other = _school(rng)
    sections = tuple(
        replace(s, paragraphs=tuple(replace(p, text=p.text.replace(case.school, other)) for p in s.paragraphs))
        for s in case.sections
    )
    return replace(case, id=case_id, school=other, title=case.title.replace(case.school, other), sections=sections)


def verbatim_copy(case: SyntheticCase, rng: random.Random, case_id: str) -> SyntheticCase:
    """The case copied word for word under another school's name."""
    return replace(_renamed(case, rng, case_id), kind=DuplicateKind.VERBATIM, sources=(case.id,))


def _edit_sentence(sentence: str, rng: random.Random, school: str) -> str:
    action = rng.randrange(4)
    if action == 0:
        edited = sentence
        for old, new in rng.sample(_SYNONYMS, 4):
            edited = edited.replace(old, new)
        return edited if edited != sentence else sentence.replace("。", "，成效明显。", 1)
    if action == 1 and _NUMBER.search(sentence):
        return _NUMBER.sub(lambda m: str(int(float(m.group()) * rng.uniform(0.8, 1.2)) + 1), sentence)
    if action == 2 and "，" in sentence:
        parts = sentence.split("，")
        del parts[rng.randrange(len(parts))]
        return "，".join(parts)
    return distractor_paragraph(rng, school).split("。")[0] + "。"


def edited_copy(case: SyntheticCase, rng: random.Random, case_id: str, share: float = 0.3) -> SyntheticCase:
    """The case copied with ``share`` of its sentences edited (synonyms, figures, a clause dropped, replaced)."""
    renamed = _renamed(case, rng, case_id)
    sentences = [
        (si, pi, m.group())
        for si, s in enumerate(renamed.sections)
        for pi, p in enumerate(s.paragraphs)
        for m in _SENTENCE.finditer(p.text)
    ]
    edit = set(rng.sample(range(len(sentences)), round(share * len(sentences))))
    texts: dict[tuple[int, int], list[str]] = {}
    for n, (si, pi, sentence) in enumerate(sentences):
        texts.setdefault((si, pi), []).append(_edit_sentence(sentence, rng, renamed.school) if n in edit else sentence)
    sections = tuple(
        replace(s, paragraphs=tuple(CaseParagraph("".join(texts[(si, pi)])) for pi in range(len(s.paragraphs))))
        for si, s in enumerate(renamed.sections)
    )
    return replace(renamed, sections=sections, kind=DuplicateKind.EDITED, sources=(case.id,))


def paraphrase(case: SyntheticCase, rng: random.Random, case_id: str) -> SyntheticCase:
    """The same points and figures retold: other templates of the same review points, new framing, new order."""
    renamed = _renamed(case, rng, case_id)
    topics = {t.id: t for t in all_topics()}
    background, measures, results, closing = renamed.sections
    retold = []
    for p in measures.paragraphs:
        topic = topics[p.topic_id or ""]
        others = [i for i, tp in enumerate(topic.templates) if i != p.template and tp.strength is not Strength.WEAK]
        # The retelling keeps the case's facts: a wording that states the same figures is preferred.
        slots = set(_SLOT.findall(topic.templates[p.template or 0].text)) & FIGURE_SLOTS
        keeping = [i for i in others if slots & set(_SLOT.findall(topic.templates[i].text))]
        values = dict(p.values) | {"school": renamed.school}
        template = rng.choice(keeping or others)
        retold.append(
            CaseParagraph(
                _render(topic, template, values), topic.id, template, tuple((k, str(v)) for k, v in values.items())
            )
        )
    rng.shuffle(retold)
    restated = []
    for p in results.paragraphs:
        topic = topics.get(p.topic_id or "")
        if topic is None or topic.metric is None or p.phrasing is None:
            restated.append(CaseParagraph(distractor_paragraph(rng, renamed.school, NEWS)))
            continue
        other = rng.choice([i for i in range(len(topic.metric.phrasings)) if i != p.phrasing])
        restated.append(
            _result_paragraph(topic, topic.metric.phrasings, other, dict(p.values) | {"school": renamed.school})
        )
    second = background.paragraphs[1]
    initiative = re.search(r"“[^”]+”\S*?(?=。)", second.text)
    named = initiative.group() if initiative else "这一做法"
    new_background = (
        CaseParagraph(distractor_paragraph(rng, renamed.school, HISTORY)),
        CaseParagraph(f"针对{renamed.theme}工作中的突出问题，学校系统设计并推行{named}。"),
    )
    new_closing = (CaseParagraph(f"总体来看，{named}的成效已经显现，相关经验值得在更大范围推广。"),)
    sections = (
        replace(background, paragraphs=new_background),
        replace(measures, paragraphs=tuple(retold)),
        replace(results, paragraphs=tuple(restated)),
        replace(closing, paragraphs=new_closing),
    )
    return replace(renamed, sections=sections, kind=DuplicateKind.PARAPHRASE, sources=(case.id,))


def merged(a: SyntheticCase, b: SyntheticCase, rng: random.Random, case_id: str) -> SyntheticCase:
    """A case stitched together: background and first half of the measures of ``a``, the rest of ``b``."""
    ra = _renamed(a, rng, case_id)
    rb = replace(
        b,
        sections=tuple(
            replace(s, paragraphs=tuple(replace(p, text=p.text.replace(b.school, ra.school)) for p in s.paragraphs))
            for s in b.sections
        ),
    )
    half_a = ra.sections[1].paragraphs[: (len(ra.sections[1].paragraphs) + 1) // 2]
    half_b = rb.sections[1].paragraphs[len(rb.sections[1].paragraphs) // 2 :]
    sections = (
        ra.sections[0],
        replace(ra.sections[1], paragraphs=half_a + half_b),
        rb.sections[2],
        rb.sections[3],
    )
    return replace(ra, sections=sections, kind=DuplicateKind.MERGED, sources=(a.id, b.id))


def wordings(case: SyntheticCase) -> frozenset[tuple[str, int]]:
    """The catalogue wordings (review point, template) the case's measures are written in."""
    return frozenset(
        (p.topic_id, p.template) for p in case.sections[1].paragraphs if p.topic_id and p.template is not None
    )


def _distinct(case: SyntheticCase, others: list[SyntheticCase]) -> bool:
    mine = wordings(case)
    return all(len(mine & wordings(o)) <= SHARED_WORDINGS for o in others)


def _retelling(
    source: SyntheticCase, originals: list[SyntheticCase], rng: random.Random, case_id: str, seed: int
) -> SyntheticCase:
    """A paraphrase of the source that words as few of its points as another original does as it can.

    A retelling draws each point's wording from the other templates, which originals of the theme also use; one
    worded mostly as another original is that case's copy with other figures, and the set would label a real
    resemblance false. While more than half of its wordings are one other original's, it is drawn again (each
    time from its own random source, so that the rest of the set stays as it was), up to 50 times, and the draw
    sharing least is kept: the templates that keep a point's figures are often a single one.
    """

    def most_shared(case: SyntheticCase) -> int:
        mine = wordings(case)
        return max((len(mine & wordings(o)) for o in originals if o.id != source.id), default=0)

    best = paraphrase(source, rng, case_id)
    for attempt in range(1, 50):
        if 2 * most_shared(best) <= len(wordings(best)):
            break
        retold = paraphrase(source, random.Random(f"{seed}:{case_id}:{attempt}"), case_id)
        if most_shared(retold) < most_shared(best):
            best = retold
    return best


def case_set(originals: int, per_kind: int, *, seed: int = 0) -> list[SyntheticCase]:
    """``originals`` distinct cases plus ``per_kind`` planted duplicates of each kind, each from distinct sources.

    The catalogue has three usable wordings per review point, so cases of one theme meet the same wordings: a
    case is drawn again while it shares more than :data:`SHARED_WORDINGS` of them with an original already in
    the set (otherwise two originals share whole paragraphs, as a copy with its figures changed does).

    Sources of the planted duplicates are distinct originals (a merged case takes two), so every planted pair
    is labelled and no original is the source of two duplicates.
    """
    rng = random.Random(seed)
    cases: list[SyntheticCase] = []
    for attempt in range(seed * 100_000, (seed + 1) * 100_000):
        if len(cases) == originals:
            break
        case = generate_case(attempt)
        if _distinct(case, cases):
            cases.append(case)
    if len(cases) < originals:
        raise ValueError(f"the catalogue does not give {originals} distinct originals")
    needed = per_kind * (len(DuplicateKind) + 1)
    if needed > originals:
        raise ValueError(f"{originals} originals cannot source {needed} planted duplicates")
    sources = iter(rng.sample(cases, needed))
    planted = []
    for kind in DuplicateKind:
        for n in range(per_kind):
            case_id = f"{kind.value}{n}"
            source = next(sources)
            if kind is DuplicateKind.VERBATIM:
                planted.append(verbatim_copy(source, rng, case_id))
            elif kind is DuplicateKind.EDITED:
                planted.append(edited_copy(source, rng, case_id))
            elif kind is DuplicateKind.PARAPHRASE:
                planted.append(_retelling(source, cases, rng, case_id, seed))
            else:
                planted.append(merged(source, next(sources), rng, case_id))
    return cases + planted
