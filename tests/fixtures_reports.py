"""Session reports and other bodies' resolutions, WRITTEN FOR TESTING.

Every text below was written for these tests in the drafting style of the
documents they imitate (a COP session report, General Assembly, ECOSOC,
Crime Commission and UNCAC COSP resolutions, text saved from a web page);
none is copied from a UN document. The numbers, titles and dates are made up.

``report_units()`` gives the resolutions and decisions a report holds, each
as the text of a file of its own; ``report_text(units)`` puts them in a
report with a cover, contents, chapter headings, introductions, narrative
chapters and footnotes numbered through the report.
"""

from __future__ import annotations

COP_BODY = "联合国打击跨国有组织犯罪公约缔约方会议，"

RES_A = f"""第 11/1 号决议

加强打击有组织犯罪的国际合作

{COP_BODY}

回顾其关于国际合作的第 9/3 号决议¹，

关切地注意到有组织犯罪集团利用各国法律制度之间的差异，

1. 鼓励各国在引渡和司法协助方面加强合作；

2. 请联合国毒品和犯罪问题办公室：

(a) 继续向提出请求的国家提供技术援助；

(b) 向缔约方会议第十二届会议报告本决议的执行情况。

¹ 见 CTOC/COP/2018/13，第一章。
"""

RES_B = f"""第 11/3 号决议

关于实施情况审议机制的后续行动

{COP_BODY}

欢迎实施情况审议机制各工作组所开展的工作，

1. 决定继续开展国别审议²；

2. 吁请各缔约国及时指定其国家联络人；

3. 请秘书处在现有资源范围内为审议工作提供支持。

² 见第 10/1 号决议附件。
"""

DEC_A = """第 11/101 号决定

缔约方会议第十二届会议的日期和地点

在 2022 年 10 月 21 日第 9 次会议上，缔约方会议决定其第十二届会议于 2024 年在维也纳举行。
"""

DEC_B = """第 11/102 号决定

缔约方会议第十二届会议临时议程

在 2022 年 10 月 21 日第 9 次会议上，缔约方会议核准了其第十二届会议的临时议程³。

³ 临时议程载于 CTOC/COP/2022/L.5。
"""


def report_units() -> dict[str, str]:
    """key -> the unit as a file of its own."""
    return {"11/1": RES_A, "11/3": RES_B, "dec.11/101": DEC_A, "dec.11/102": DEC_B}


def _body(unit: str) -> str:
    return unit.strip() + "\n"


def report_text(units: dict[str, str] | None = None) -> str:
    """A session report holding ``units`` (resolutions first, then decisions)."""
    units = units or report_units()
    res = [_body(t) for k, t in units.items() if not k.startswith("dec.")]
    dec = [_body(t) for k, t in units.items() if k.startswith("dec.")]
    return (
        "CTOC/COP/2022/15\n\n"
        "联合国打击跨国有组织犯罪公约缔约方会议\n\n"
        "联合国打击跨国有组织犯罪公约缔约方会议第十一届会议报告\n\n"
        "2022 年 10 月 17 日至 21 日在维也纳举行\n\n"
        "目录\n\n"
        "一. 缔约方会议第十一届会议通过的决议和决定 ........ 3\n\n"
        "二. 会议安排 ........ 12\n\n"
        "一. 缔约方会议第十一届会议通过的决议和决定\n\n"
        "A. 决议\n\n"
        "1. 缔约方会议第十一届会议通过了下列决议：\n\n"
        + "\n".join(res)
        + "\nB. 决定\n\n"
        "2. 缔约方会议第十一届会议还通过了下列决定：\n\n"
        + "\n".join(dec)
        + "\n二. 会议安排\n\n"
        "A. 会议开幕\n\n"
        "3. 缔约方会议第十一届会议于 2022 年 10 月 17 日至 21 日在维也纳举行。\n\n"
        "4. 会议主席宣布会议开幕，并回顾了\n"
        "第 9/3 号决议，该决议请秘书处报告其工作。\n\n"
        "5. 毒品和犯罪问题办公室执行主任作了开幕发言。\n"
    )


# -- other bodies ------------------------------------------------------------

GA_RES = """联合国

大会

第五十二届会议

议程项目 101

[根据第三委员会的报告(A/52/635)通过]

52/85. 《关于有组织犯罪的政治宣言》的后续行动

大会，

回顾其 1994 年 12 月 23 日第 49/159 号决议，

又回顾经济及社会理事会 1996 年 7 月 24 日第 1996/27 号决议，

深信国际合作对于打击有组织犯罪至关重要，

1. 请秘书长继续向会员国提供咨询服务；

2. 吁请各国加强在这一领域的合作；

3. 决定继续审议这一问题。

第 70 次全体会议

1997 年 12 月 12 日
"""

ECOSOC_RES = """2002/13 采取行动促进有效预防犯罪

经济及社会理事会，

铭记理事会 1997 年 7 月 21 日第 1997/22 号决议，

1. 鼓励会员国制定预防犯罪的国家战略；

2. 请预防犯罪和刑事司法委员会继续审议这一问题。

第 37 次全体会议

2002 年 7 月 24 日
"""

CCPCJ_RES = """第 26/3 号决议

将性别观点纳入预防犯罪和刑事司法政策的主流

预防犯罪和刑事司法委员会，回顾其以往关于这一主题的决议，

1. 鼓励会员国将性别观点纳入预防犯罪政策；

2. 请联合国毒品和犯罪问题办公室协助会员国开展这项工作。
"""

COSP_RES = """第 9/1 号决议

预防腐败

联合国反腐败公约缔约国会议，

重申预防腐败是各缔约国的共同责任，

1. 敦促各缔约国加强预防腐败机构的独立性；

2. 请秘书处继续收集良好做法。
"""

GA_NEXT_LINE_TITLE = """45/123.
打击有组织犯罪的国际合作

大会，

关注有组织犯罪活动日益增加，

1. 请秘书长编写一份报告；

2. 决定在第四十六届会议上审议这一问题。
"""


# -- a later version of the seed, with known edits (written for testing) --------

#: rec_id in the later text -> what was done to it
EDITS = {
    "12/2:I:b": "strengthened",  # 可制定 -> 应制定
    "12/2:I:d": "actor changed",  # 各国不妨考虑 -> 捐助方不妨考虑
    "12/2:I:e": "weakened",  # 应考虑扩充 -> 不妨考虑扩充
    "12/2:I:i": "condition added",  # + 在资源允许的情况下
    "12/2:I:l": "condition removed",  # - 在可行情况下
    "12/2:I:p": "item added",
}
DROPPED = "11/2:II:k"  # the seed's last item, left out of the later text


def later_seed(seed: str) -> str:
    """The seed as if the next session had adopted it again (as 12/2) with
    the edits of ``EDITS`` and without its last item."""
    lines = seed.split("\n")

    def edit(prefix: str, old: str, new: str) -> None:
        for i, line in enumerate(lines):
            if line.startswith(prefix):
                assert old in line, (prefix, old)
                lines[i] = line.replace(old, new, 1)
                return
        raise AssertionError(prefix)

    text = "\n".join(lines).replace("第 11/2 号决议", "第 12/2 号决议", 1)
    lines = text.split("\n")
    annex2 = lines.index("附件二")
    # annex I items come before "附件二", annex II items after it
    first = lines[:annex2]
    rest = lines[annex2:]
    lines = first
    edit("(b) ", "可制定一项传播计划", "应制定一项传播计划")
    edit("(d) ", "各国不妨考虑编写", "捐助方不妨考虑编写")
    edit("(e) ", "应考虑扩充", "不妨考虑扩充")
    edit("(i) ", "各国应考虑加强执法", "各国应考虑在资源允许的情况下加强执法")
    edit("(l) ", "在可行情况下划拨", "划拨")
    o = next(i for i, line in enumerate(lines) if line.startswith("(o) "))
    lines[o + 1:o + 1] = ["", "(p) 各国应考虑建立专门机构，负责监测海上运输集装箱的非法转运；"]
    k = next(i for i, line in enumerate(rest) if line.startswith("(k) "))
    j = next((i for i, line in enumerate(rest) if i > k and line.startswith("(")), len(rest))
    rest = rest[:k] + rest[j:]
    return "\n".join(lines + rest)
