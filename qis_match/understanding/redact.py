"""Find and redact personal data in request text before anything is stored or logged.

Clerks paste whole messages: "联系人：王经理 138****1234，身份证…". What is stored or logged keeps
the enterprise and the need and loses the person: mobile and landline numbers, ID-card numbers,
e-mail addresses and person names next to 联系人/经理/先生/女士 … become placeholders. The enterprise
name is not personal data and is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
    "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌"
    "毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
    "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
    "明佘池乐匡钮"
)
_TITLES = "经理|总经理|副总|总监|主任|主管|厂长|老板|老总|总|工|先生|女士|小姐|师傅|会计|科长|部长|处长|董事长|秘书|助理"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    (
        "id_card",
        re.compile(
            r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
        ),
    ),
    ("mobile", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?(?:\d{4}|\*{4})[- ]?\d{4}(?!\d)")),
    (
        "landline",
        re.compile(
            r"(?<![\d-])0\d{2,3}[- ]?[\d*]{3,5}[- ]?[\d*]{4}(?:[- ]?(?:转|ext\.?)\s*\d{1,5})?(?![\d*])"
        ),
    ),
    (
        "person",
        re.compile(
            rf"(?:(?<=联系人)|(?<=联系人:)|(?<=联系人：)|(?<=对接人)|(?<=对接人:)|(?<=对接人：)|(?<=负责人:)|(?<=负责人：)|(?<=姓名:)|(?<=姓名：))\s*"
            rf"[{_SURNAMES}][\u4e00-\u9fa5]{{0,2}}?(?:{_TITLES})?(?=[\s,，;；。、()（）\d]|$|电话|手机|联系)"
        ),
    ),
    ("person", re.compile(rf"(?<![\u4e00-\u9fa5])[{_SURNAMES}](?:{_TITLES})")),
    ("person", re.compile(rf"[{_SURNAMES}](?:{_TITLES})(?=[\s,，;；:：。、()（）\d]|$|电话|手机)")),
]

PLACEHOLDER = {
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "mobile": "[电话]",
    "landline": "[电话]",
    "person": "[联系人]",
}


@dataclass(frozen=True)
class PersonalData:
    kind: str
    start: int
    end: int


def find_personal_data(text: str) -> list[PersonalData]:
    """Non-overlapping spans of personal data, earliest first (one pass of the patterns). A
    person name found once is personal data wherever else it occurs in the text ("王经理…王经理"),
    even where its context alone would not have marked it."""
    spans: list[PersonalData] = []
    taken = [False] * (len(text) + 1)

    def take(kind: str, s: int, e: int) -> None:
        while s < e and text[s].isspace():
            s += 1
        if s >= e or any(taken[s:e]):
            return
        taken[s:e] = [True] * (e - s)
        spans.append(PersonalData(kind, s, e))

    for kind, pat in _PATTERNS:
        for m in pat.finditer(text):
            take(kind, m.start(), m.end())
    names = {text[p.start : p.end] for p in spans if p.kind == "person"}
    for name in sorted(names, key=len, reverse=True):
        for m in re.finditer(re.escape(name), text):
            take("person", m.start(), m.end())
    return sorted(spans, key=lambda p: p.start)


def _replace(text: str, spans: list[PersonalData]) -> str:
    out, pos = [], 0
    for p in spans:
        out.append(text[pos : p.start])
        out.append(PLACEHOLDER[p.kind])
        pos = p.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """The text with every personal datum replaced by a placeholder such as [电话]; a fixed
    point: redacting the result again changes nothing."""
    # A placeholder changes the context of what is next to it (a name after "[联系人]" no longer
    # follows a Chinese character), so redaction repeats until nothing more is found. No pattern
    # matches a placeholder's characters, so every pass removes at least one original character
    # and the loop ends; in practice after one or two passes.
    for _ in range(len(text) + 1):
        spans = find_personal_data(text)
        if not spans:
            break
        text = _replace(text, spans)
    return text
