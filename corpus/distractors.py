"""Report text that is not evidence of any review point: history, news, research, slogans, generic gaps.

Distractor paragraphs are assembled from sentence pools at random, so a 100-page report does not repeat
one paragraph, and many mention review-point vocabulary (教学, 质量, 教师) without being evidence.
"""

from __future__ import annotations

import random

HISTORY = (
    "{school}前身为创办于{old_year}年的{old_name}，历经多次合并与更名，于{year2}年升格为本科院校。",
    "学校坐落于{city}，现有{campuses}个校区，校园占地面积{area}亩，校舍建筑面积{build}万平方米。",
    "学校现设{colleges}个二级学院，开设本科专业{majors}个，涵盖工学、理学、管理学、文学、艺术学等学科门类。",
    "多年来，学校秉承“{motto}”的校训，形成了鲜明的办学特色。",
    "学校是省人民政府与行业部门共建高校，先后获评省文明校园、平安校园等称号。",
    "校园环境优美，绿树成荫，被誉为“花园式学校”，为师生学习生活提供了良好环境。",
    "学校图书馆始建于建校之初，现为区域性文献信息中心之一，馆舍布局合理。",
)
NEWS = (
    "{year}年，学校隆重举行建校纪念大会，海内外校友代表齐聚一堂，共叙发展情谊。",
    "学校成功承办全省大学生运动会，展示了良好的组织协调能力和精神风貌。",
    "学校举办校园文化艺术节，开展合唱比赛、戏剧展演、书画展览等系列活动，营造了浓厚的校园文化氛围。",
    "学校与地方政府签署全面战略合作协议，在科技创新、人才引进、文化建设等方面开展合作。",
    "学校后勤服务持续改善，完成学生食堂改造和宿舍空调安装工程，师生满意度较高。",
    "学校新建体育馆投入使用，可承办省级以上综合性体育赛事。",
    "学校召开第{n}次党代会，明确了今后五年学校事业发展的总体目标和重点任务。",
)
RESEARCH = (
    "{year}年，学校获批国家自然科学基金项目{m}项，国家社会科学基金项目{n}项，科研经费总额稳步增长。",
    "学校建有省级重点实验室{n}个、省级工程技术研究中心{n2}个，科研平台建设取得新进展。",
    "学校教师在高水平期刊发表学术论文{num}篇，获授权发明专利{m}件，科技成果转化成效明显。",
    "学校研究生教育稳步发展，现有硕士学位授权一级学科{n}个，在校研究生{num}人。",
    "学校学科建设成效显著，{n}个学科进入ESI全球排名前1%。",
)
SLOGAN = (
    "学校将继续坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针。",
    "面向未来，学校将以更加饱满的热情、更加务实的作风，奋力谱写高质量发展新篇章。",
    "学校上下团结一心、锐意进取，各项事业呈现出蓬勃发展的良好态势。",
    "站在新的历史起点上，学校将抢抓机遇、迎接挑战，为建设特色鲜明的高水平大学而努力奋斗。",
    "学校始终把发展作为第一要务，不断深化综合改革，持续增强办学活力。",
)
GAPS = (
    "对照审核评估要求，学校在部分工作上仍存在不足，需要在今后的工作中进一步加强。",
    "部分工作的制度建设还需完善，落实的力度和深度有待进一步提升。",
    "学校各项改革任务推进不够平衡，个别学院重视程度有待提高。",
    "信息化建设与管理服务需求相比仍有差距，数据共享程度有待提高。",
    "学校将针对上述问题，制定整改方案，明确责任单位和完成时限，确保整改取得实效。",
)
POOLS = (HISTORY, NEWS, RESEARCH, SLOGAN, GAPS)

_NAMES = ("师范专科学校", "工业专科学校", "农业学校", "职业技术学院", "财经专科学校")
_CITIES = ("长江之滨的历史文化名城", "素有“鱼米之乡”之称的江南古城", "中原腹地", "西南边陲的省会城市", "美丽的海滨城市")
_MOTTOS = ("厚德博学、求是创新", "明德笃行、知行合一", "自强不息、止于至善", "崇实尚能、敬业乐群")


def distractor_paragraph(rng: random.Random, school: str, pool: tuple[str, ...] | None = None) -> str:
    """A paragraph of two to four sentences from one pool (chosen at random unless given).

    Args:
        rng: the seeded random source.
        school: the institution name for ``{school}``.
        pool: one of :data:`POOLS`, or ``None`` to pick one.

    Returns:
        Chinese text with every slot filled.
    """
    pool = pool or rng.choice(POOLS)
    sentences = rng.sample(pool, k=min(len(pool), rng.randint(2, 4)))
    values = {
        "school": school,
        "old_year": rng.randint(1950, 1985),
        "old_name": rng.choice(_NAMES),
        "year2": rng.randint(1999, 2012),
        "city": rng.choice(_CITIES),
        "campuses": rng.randint(2, 4),
        "area": rng.randint(1200, 3800),
        "build": rng.randint(40, 120),
        "colleges": rng.randint(12, 28),
        "majors": rng.randint(40, 90),
        "motto": rng.choice(_MOTTOS),
        "year": rng.randint(2021, 2024),
        "n": rng.randint(2, 12),
        "n2": rng.randint(2, 9),
        "m": rng.randint(15, 90),
        "num": rng.randint(120, 3000),
    }
    return "".join(s.format(**values) for s in sentences)
