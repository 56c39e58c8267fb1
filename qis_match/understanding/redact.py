"""Find and redact personal data in text before anything is stored or logged.

Clerks paste whole messages ("联系人：王经理 138****1234，身份证…") and type free text into tickets
(override reasons, status notes, feedback comments). What is stored or logged keeps the enterprise
and the need and loses the person: mobile and landline numbers in any format (dashed, dotted,
spaced, +86, masked, Chinese numerals 一三八…/幺三八…, 400 hotlines), ID-card numbers, e-mail
addresses, WeChat ids, QQ numbers and person names become placeholders ([电话], [身份证号], [邮箱],
[微信], [QQ], [联系人]). A name is found next to a label (联系人, 我叫, 姓名 …), with a title
(王经理, 张工), as a nickname (小王, 老李), or without a label where a cue says it is a person
(…负责, …说, next to a phone number), or in running text where jieba's tagger calls it a name
and it looks like one (``name_recogniser``); a name found once is redacted wherever it repeats. The
enterprise name is not personal data and is kept, and so are company, brand and place names and
ordinary words that start with a surname character (王老吉, 黄山, 高压锅, 周期).

The store layer (``qis_match.store.tickets.RedactedText``) applies ``redact`` to every free-text
column it writes, so no caller can store text unredacted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qis_match.geo import place_words
from qis_match.understanding import redact_names as names
from qis_match.understanding.name_context import role_names
from qis_match.understanding.name_recogniser import everyday_word, shaped_names, tagged_names

PLACEHOLDER = {
    "email": "[邮箱]",
    "id_card": "[身份证号]",
    "phone": "[电话]",
    "mobile": "[电话]",  # older kind names, kept for callers that look them up
    "landline": "[电话]",
    "wechat": "[微信]",
    "qq": "[QQ]",
    "person": "[联系人]",
}
KINDS = ("person", "phone", "email", "id_card", "wechat", "qq")


@dataclass(frozen=True)
class PersonalData:
    kind: str
    start: int
    end: int


# --- the text the patterns see: full-width ASCII folded to half-width, one character for one, so
# positions found in it are positions in the original ("１３８" is a mobile, "：" a colon).
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _fold(text: str) -> str:
    folded = text.translate(_FOLD)
    simple = _t2s(folded)  # 聯絡人：陳經理 reads as 联络人：陈经理
    return simple if len(simple) == len(folded) else folded


def _t2s(text: str) -> str:
    try:
        from qis_match.text.normalize import _t2s as converter

        return converter().convert(text)
    except Exception:  # no OpenCC: traditional characters are then only seen as they are
        return text


# --- numbers, addresses and ids

_SEP = r"[-\s.]"
_PLACEHOLDERS = "|".join(re.escape(p[1:-1]) for p in set(PLACEHOLDER.values()))
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ID_CARD = re.compile(
    r"(?<![\dA-Za-z])(?P<v>[1-9]\d{5}\s?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\s?\d{3}[\dXx])(?![\dA-Za-z])"
)
_ID_CUE = re.compile(r"身份证|证件|身份号|ID", re.IGNORECASE)
_OTHER_NUMBER_CUE = re.compile(
    r"编号|编码|单号|订单|批号|批次|序列号|流水号|发票|代码|条码|型号|账号|卡号|SN|No",
    re.IGNORECASE,
)
_ID_PROVINCES = {
    *(str(n) for n in range(11, 16)),
    *(str(n) for n in range(21, 24)),
    *(str(n) for n in range(31, 38)),
    *(str(n) for n in range(41, 47)),
    *(str(n) for n in range(50, 55)),
    *(str(n) for n in range(61, 66)),
    "71",
    "81",
    "82",
    "83",
    "91",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_check_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == digits[17].upper()


# A WeChat id or QQ number follows its label, perhaps after a few words ("微信号是", "扣扣也行：").
_GAP = r"[^\dA-Za-z。;\n\[\]@]{0,4}?"
_WECHAT = re.compile(
    r"(?:(?<![A-Za-z])(?:[Ww][Xx]|[Vv][Xx]|[Vv]信|weixin|WeChat|Wechat|wechat)(?![A-Za-z])"
    r"|微信|威信|薇信|卫信)"
    rf"(?!同号|一样){_GAP}"
    r"(?P<v>wxid_[A-Za-z0-9_-]+|[A-Za-z][A-Za-z0-9_-]{4,19}|1[3-9]\d{9}|[1-9]\d{4,10})"
    r"(?![A-Za-z0-9_@-])"
)
_WXID = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_-]{3,}")
_QQ = re.compile(
    rf"(?:(?<![A-Za-z])[Qq][Qq](?![A-Za-z])|扣扣|企鹅号)(?!\s?群){_GAP}(?P<v>[1-9]\d{{4,10}})(?!\d)"
)
_MOBILE = re.compile(
    r"(?<![\d+])(?P<v>(?:\(?(?:\+|00)?\s?86\)?\s?-?\s?)?"
    rf"1[3-9]\d(?:{_SEP}?[\d*]{{4}}{_SEP}?\d{{4}}|\d{_SEP}?\d{{3}}{_SEP}?\d{{4}}))(?![\d*])"
)
_INTL_LANDLINE = re.compile(
    r"(?<![\d+])(?P<v>(?:\+|00)\s?86\s?-?\s?\(?[1-9]\d{1,2}\)?\s?-?\s?\d{3,4}\s?-?\s?\d{4})(?!\d)"
)
_HOTLINE = re.compile(
    r"(?<![\d])(?P<v>[48]00(?:[-\s]?\d{3}[-\s]?\d{4}|[-\s]\d{4}[-\s]\d{3}))(?!\d)"
)
_LANDLINE = re.compile(
    r"(?<![\d-])(?P<v>(?:\(0\d{2,3}\)|0\d{2,3})\s?-?\s?[\d*]{3,5}[-\s]?[\d*]{4}"
    r"(?:\s?(?:-|转|ext\.?|分机)\s?\d{1,5})?)(?![\d*])"
)
_CN_DIGIT = "零〇一二三四五六七八九幺"
_CN_MOBILE = re.compile(
    rf"(?<![{_CN_DIGIT}十百千万])(?P<v>[一幺]\s?[三四五六七八九](?:\s?[{_CN_DIGIT}]){{9}})"
    rf"(?![{_CN_DIGIT}十百千万])"
)
# A number right after 电话/手机/座机 … whatever its grouping (电话 8600 0789).
_PHONE_CUE = re.compile(
    r"(?:电话|手机|座机|固话|手机号|联系方式|热线|(?<![A-Za-z])(?:Tel|TEL|tel|Mobile|mobile|Phone|phone))"
    r"(?:号码|号)?\s?(?::|是|为)?\s?(?P<v>\+?[\d*][\d*\s-]{5,16}[\d*])(?![\d*])"
)


def _digits_between(n_min: int, n_max: int) -> Callable[[str, re.Match], bool]:
    def ok(_text: str, m: re.Match) -> bool:
        return n_min <= sum(c.isdigit() or c == "*" for c in m.group("v")) <= n_max

    return ok


def _id_ok(text: str, m: re.Match) -> bool:
    """An ID-shaped number (region, birth date, sequence, check) is an ID number unless it is
    labelled as some other number (编号, 订单号 …) and its check digit is wrong."""
    v = m.group("v").replace(" ", "")
    if _id_check_ok(v) and v[:2] in _ID_PROVINCES:
        return True
    before = text[max(0, m.start() - 12) : m.start()]
    return bool(_ID_CUE.search(before)) or not _OTHER_NUMBER_CUE.search(before)


# --- names

_HAN = names.HAN_RE
_SUR1 = names.SURNAME_1_RE
_SUR = names.SURNAME_RE
_NAMEY = f"[{names.NAME_CHARS}]"
_STRONG = "(?:" + "|".join(sorted(names.STRONG_TITLES, key=len, reverse=True)) + ")"
_WEAK = "[" + "".join(names.WEAK_TITLES) + "]"
# What may stand right before a name that no label marks, and right after any name.
_LB = r"(?:^|(?<=[\s,.;:!?()\[\]/|、。“”‘’\"'《》【】…~+*#&<>]))"
_CUE_AFTER = (
    "负责|对接|跟进|跟踪|说|讲|表示|反映|反馈|咨询|来电|致电|打电话|询问|问|想|希望|要求|同意|确认|签收|签字|"
    "签名|在现场|所在|在|的电话|的手机|的微信|的邮箱|的号码|的证件|的身份证|的地址|电话|手机|座机|邮箱|微信|"
    "联系|已|会|将|来|去|提出|带|介绍|态度|服务|出差|熟|处理|办理|领取|收到|填写|发来|发送|上门|认为|建议|打|"
    "先生|女士|沟通"
)
# Weaker cues: a subject's adverb or time word (单立新今天不在, 时小雨从长沙寄出); everyday words
# stand there too (全书都有, 明明都提交), so a name before one must be no common word.
_WEAK_CUE_AFTER = "从|把|也|都|今天|明天|昨天|上午|下午|晚上"
_RB = rf"(?=[\s,.;:!?()\[\]/|、。“”‘’\"'《》【】…\d<>]|$|{_CUE_AFTER}|{_WEAK_CUE_AFTER})"
# Next to a contact datum: "魏红，电话…", "崔浩 +86 …", "熊伟（139…）".
_NEAR_DATUM = (
    r"(?=\s?[,、]?\s?(?:\(?\s?(?:\+?86|1[3-9]\d|0\d{2,3}[-)\s])|"
    rf"\[(?:{_PLACEHOLDERS})\]|电话|手机|座机|邮箱|微信|QQ|[A-Za-z0-9._-]+@))"
)
_STRONG_LABEL = (
    "联系人|联络人|对接人|负责人|经办人|办理人|申请人|投诉人|举报人|来电人|来访人|咨询人|签收人|收件人|收货人|"
    "寄件人|委托人|代理人|法定代表人|法人代表|填表人|报告人|受理人|领取人|签字人|签名人|签收|签字|签名|署名|"
    "姓名|名字是|名字叫|我叫|我的名字是|本人叫|名叫|叫做|自称是|自称"
)
_WEAK_LABEL = (
    "我是|本人是|本人|请联系|联系|请找|去找|找一下|找|致电|通知|告知|转告|交给|转给|交由|由|经|签字|签名|指定|"
    "问|让|叫|跟|给|客户|用户|已与|与|抄送|"
    # a colleague or relative named by the job or the tie (他们财务习敏, 我爱人陈红)
    "财务|出纳|采购|前台|仓管|同事|爱人|妻子|丈夫|老公|老婆|女儿|儿子"
)
_LATIN_NAME = r"[A-Z][a-z]{1,12}(?:\s[A-Z][a-z]{1,12})?"
# Words that say "the name follows" only with a colon (对接：钱多多, 客户：…).
_COLON_LABEL = "对接|联系|负责|经办|客户|用户|来访|来电|投诉|反馈人|申请|收件|寄件|Contact|contact"
# Places written as two pinyin-like words whose first is also a surname.
_PINYIN_PLACES = {"Hong Kong", "Tai Po", "Kwun Tong", "Wan Chai", "Sha Tin", "Ma On"}


def _not_a_pinyin_place(_text: str, m: re.Match) -> bool:
    return m.group("v") not in _PINYIN_PLACES


_NOT_LATIN_NAMES = {"Excel", "Word", "Apple", "Google", "Android", "Windows", "Office", "Email"}
_ENGLISH_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s?[A-Z][a-z]{1,12}(?:\s[A-Z][a-z]{1,12}(?![A-Za-z]))?"
)
_PINYIN = "(?:" + "|".join(sorted(set(names.PINYIN_SURNAMES), key=len, reverse=True)) + ")"
_NICK = f"[小老]{_SUR1}"
# One or two pinyin syllables, capitalised (Yang, Xiaoming): the given name after a pinyin surname.
_SYLLABLE = (
    "(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    "(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui"
    "|ue|ve|er|a|o|e|i|u|v)"
)
_PINYIN_SYLLABLES = rf"(?=[A-Z][a-z]{{1,11}}(?![A-Za-z]))(?i:(?:{_SYLLABLE}){{1,2}})"


def _not_a_word(text: str, start: int, end: int) -> bool:
    """False when the candidate is an everyday word (黄金, 周期) or its surname character ends one
    (安全科长, 工程经理, 公司经理)."""
    cand = text[start:end]
    if any(cand[:n] in names.NOT_NAMES for n in range(2, min(len(cand), 5) + 1)):
        return False
    if cand in place_words():  # 邵东, 方正: a county
        return False
    return not (start > 0 and text[start - 1 : start + 1] in names.WORD_BEFORE_SURNAME)


def _name_ok(text: str, m: re.Match) -> bool:
    return _not_a_word(text, m.start("v"), m.end("v"))


def _titled_ok(text: str, m: re.Match) -> bool:
    """Surname + title; a surname character that is also a common function word (和律师, 于经理)
    must start a clause or follow a label."""
    s = m.start("v")
    if (
        text[s] in names.FUNCTION_SURNAMES
        and s > 0
        and re.match(_HAN, text[s - 1])
        and not _LABEL_AT_END.search(text[max(0, s - 6) : s])
    ):
        return False
    return _name_ok(text, m)


_LABEL_AT_END = re.compile(f"(?:{_WEAK_LABEL}|{_STRONG_LABEL})$")


_CONJUNCTIONS = set("和与及同向于跟")


def _nick_ok(text: str, m: re.Match) -> bool:
    s = m.start("v")
    prev = text[s - 1] if s > 0 else ""  # 王老吉 is a brand, not 王 + 老吉
    if text[s] in "小老" and prev and prev in names.SINGLE_SURNAMES and prev not in _CONJUNCTIONS:
        return False
    return text[s : s + 2] not in names.NOT_NICKNAMES and _name_ok(text, m)


def _weak_label_ok(text: str, m: re.Match) -> bool:
    """After a weak label (让, 与, 同事) a name that is also an everyday word is the word."""
    v = m.group("v")
    if everyday_word(v) or (v[0] in names.CONJUNCTIONS and everyday_word(v[1:])):
        return False  # 同事和朋友: "and friends"
    return _nick_ok(text, m)


def _weak_title_ok(text: str, m: re.Match) -> bool:
    end = m.end("v")
    title = text[end - 1]
    nxt = text[end] if end < len(text) else ""
    return nxt not in names.WEAK_TITLE_NOT_BEFORE.get(title, ()) and _titled_ok(text, m)


def _label_name_ok(text: str, m: re.Match) -> bool:
    v = m.group("v")
    if v[:2] in names.NOT_NICKNAMES or v in names.NOT_NAMES_AFTER_LABEL:
        return False
    return text[m.start("v") - 1 : m.start("v") + 1] not in names.WORD_BEFORE_SURNAME


_ANY_NAME = (
    rf"{_SUR}{_STRONG}|{_SUR}{_HAN}{{1,2}}?{_STRONG}|{_SUR}{_WEAK}(?={_HAN}|\W|$)"
    rf"|(?:{_SUR}{_HAN}{{1,2}}?|{_NICK}){_RB}|{_LATIN_NAME}(?![A-Za-z])"
)

Rule = tuple[str, re.Pattern[str], Callable[[str, re.Match], bool] | None]
_RULES: list[Rule] = [
    ("email", _EMAIL, None),
    ("id_card", _ID_CARD, _id_ok),
    ("wechat", _WXID, None),
    ("wechat", _WECHAT, None),
    ("qq", _QQ, None),
    ("phone", _MOBILE, None),
    ("phone", _INTL_LANDLINE, None),
    ("phone", _HOTLINE, None),
    ("phone", _LANDLINE, _digits_between(10, 17)),
    ("phone", _CN_MOBILE, None),
    ("phone", _PHONE_CUE, _digits_between(7, 13)),
    ("person", re.compile(rf"(?<![A-Za-z])(?P<v>{_ENGLISH_TITLE})(?![A-Za-z])"), None),
    # a label says what follows is a name (联系人：陈晓明, 我叫张伟, 姓名：陆一鸣)
    (
        "person",
        re.compile(rf"(?:{_STRONG_LABEL})\s?(?::|是|为)?\s?(?P<v>{_ANY_NAME})"),
        _label_name_ok,
    ),
    # a strong label before a full name of common given-name characters needs no boundary after
    # it (申请人胡建新提供了…, 负责人季明德承诺)
    (
        "person",
        re.compile(rf"(?:{_STRONG_LABEL})\s?(?::|是|为)?\s?(?P<v>{_SUR}{_NAMEY}{{2}})"),
        _label_name_ok,
    ),
    # full name + title (冯雪梅女士), then surname + title (王经理, 张工)
    ("person", re.compile(rf"(?:{_COLON_LABEL})\s?:\s?(?P<v>{_ANY_NAME})"), _name_ok),
    ("person", re.compile(rf"(?P<v>{_SUR}{_NAMEY}{{1,2}}{_STRONG})"), _name_ok),
    ("person", re.compile(rf"(?P<v>{_SUR}{_STRONG})"), _titled_ok),
    ("person", re.compile(rf"(?P<v>{_SUR}{_WEAK})"), _weak_title_ok),
    # a weaker label: the name must look like one (请联系董明辉, 我是马丽, 找谢宏伟)
    (
        "person",
        re.compile(rf"(?:{_WEAK_LABEL})\s?(?P<v>{_SUR}{_NAMEY}{{1,2}}|{_NICK}){_RB}"),
        _weak_label_ok,
    ),
    # nicknames (老李说, 小王，)
    (
        "person",
        re.compile(
            rf"(?P<v>{_NICK})(?:{_RB}|(?=的|那|家|和|与|跟|都|也|还|又|及|就|很|非常|特别))"
        ),
        _nick_ok,
    ),
    # no label: a person is what does something (欧阳晓峰负责, 丁一凡说) or stands by a datum
    ("person", re.compile(rf"{_LB}(?P<v>{_SUR}{_NAMEY}{{1,2}})(?={_CUE_AFTER}|\()"), _name_ok),
    ("person", re.compile(rf"{_LB}(?P<v>{_SUR}{_NAMEY}{{1,2}}){_NEAR_DATUM}"), _name_ok),
    # a speaker's name before a colon at the start (唐雨桐：我们…)
    ("person", re.compile(rf"(?:^|(?<=[。;!?\n]))(?P<v>{_SUR}{_NAMEY}{{1,2}})(?=:)"), _name_ok),
    # a name in brackets after a datum or another name ([电话]（田甜，…）, Kevin Zhang（张凯文）),
    # or listed after another name ([联系人]和李娜负责)
    (
        "person",
        re.compile(rf"\[(?:{_PLACEHOLDERS})\]\s?\(?\s?(?P<v>{_SUR}{_NAMEY}{{1,2}}){_RB}"),
        _name_ok,
    ),
    (
        "person",
        re.compile(
            rf"\[联系人\]\s?(?:和|与|及|跟|、|,)\s?(?P<v>{_SUR}{_NAMEY}{{1,2}}|{_NICK}|{_LATIN_NAME})"
            rf"(?:{_RB}|(?=不|没|是|都|也))"
        ),
        _nick_ok,
    ),
    # a name listed before another one ([联系人]) that an earlier pass found: 廖总和[联系人]都去了
    (
        "person",
        re.compile(
            rf"(?P<v>{_SUR}{_STRONG}|{_SUR}{_WEAK}|{_SUR}{_NAMEY}{{1,2}}|{_NICK})"
            r"(?=(?:和|与|及|跟|、)\[联系人\])"
        ),
        _titled_ok,
    ),
    # two names doing something together (王伟和李娜负责): the first one
    (
        "person",
        re.compile(
            rf"{_LB}(?P<v>{_SUR}{_NAMEY}{{1,2}})(?=(?:和|与|及|跟|、){_SUR}{_NAMEY}{{1,2}}(?:{_CUE_AFTER}))"
        ),
        _name_ok,
    ),
    # a role ending in 人/员 before a name, as on forms (送样人黄志刚, 检测员：刘敏)
    (
        "person",
        re.compile(rf"(?<=[人员])\s?:?\s?(?P<v>{_SUR}{_STRONG}|{_SUR}{_NAMEY}{{1,2}}){_RB}"),
        _titled_ok,
    ),
    # English given name + pinyin surname (Kevin Zhang), before the single English names below
    (
        "person",
        re.compile(rf"(?<![A-Za-z])(?P<v>[A-Z][a-z]{{2,12}}\s{_PINYIN})(?![A-Za-z])"),
        _not_a_pinyin_place,
    ),
    # pinyin surname + pinyin given name, in Chinese order (请Liu Yang补签, Zhang Weiming from …)
    (
        "person",
        re.compile(rf"(?<![A-Za-z])(?P<v>{_PINYIN}\s{_PINYIN_SYLLABLES})(?![A-Za-z])"),
        _not_a_pinyin_place,
    ),
    # a Latin full name after a Chinese role word (外方代表Thomas Becker)
    (
        "person",
        re.compile(
            r"(?:代表|经理|工程师|先生|女士|客户|顾问|专家|老师|审核员|评审员)\s?"
            r"(?P<v>[A-Z][a-z]{1,12}\s[A-Z][a-z]{1,12})(?![A-Za-z])"
        ),
        None,
    ),
    # an English name doing something (Linda负责, Tony说)
    (
        "person",
        re.compile(rf"(?<![A-Za-z])(?P<v>[A-Z][a-z]{{2,12}})(?={_CUE_AFTER})"),
        lambda text, m: m.group("v") not in _NOT_LATIN_NAMES,
    ),
    # a title attached to a name an earlier pass found ([联系人]经理 was 王敬东经理)
    ("person", re.compile(rf"(?P<v>\[联系人\]{_STRONG})"), None),
]


def _find_once(text: str, tag: bool = True) -> list[PersonalData]:
    """One pass of the rules over ``text``: non-overlapping spans, earliest first. A person name
    found once is personal data wherever else it occurs in the text ("王经理…王经理"). ``tag``:
    also run jieba's tagger (the slowest pass; the first pass only, since a placeholder does not
    change what the tagger finds around it)."""
    view = _fold(text)
    taken = [False] * (len(text) + 1)
    spans: list[PersonalData] = []

    def take(kind: str, s: int, e: int) -> None:
        while s < e and view[s].isspace():
            s += 1
        while e > s and view[e - 1].isspace():
            e -= 1
        if s >= e or any(taken[s:e]):
            return
        taken[s:e] = [True] * (e - s)
        spans.append(PersonalData(kind, s, e))

    for kind, pat, ok in _RULES:
        for m in pat.finditer(view):
            if ok is None or ok(view, m):
                g = "v" if "v" in pat.groupindex else 0
                take(kind, m.start(g), m.end(g))
    # a name in running text that no rule marks (请转告刘建国明天来取)
    for s, e in tagged_names(view) if tag else ():
        if _not_a_word(view, s, e):
            take("person", s, e)
    # a full name the dictionary reads as nothing else (见到柯文斌，…; 单立新今天不在)
    for s, e in shaped_names(view) if tag else ():
        if _not_a_word(view, s, e):
            take("person", s, e)
    # a name known by its role: one of three people, asks for leave, is told to come (雷雨明天请假)
    for s, e in role_names(view):
        if _not_a_word(view, s, e):
            take("person", s, e)
    found = {view[p.start : p.end] for p in spans if p.kind == "person"}
    for name in sorted(found, key=len, reverse=True):
        for m in re.finditer(re.escape(name), view):
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


@lru_cache(maxsize=8192)
def _redact(text: str) -> tuple[str, tuple[PersonalData, ...]]:
    """The redacted text and the spans of the original that became placeholders.

    A placeholder changes the context of what is next to it (a name before "[电话]" now stands by
    a datum), so redaction repeats until nothing more is found. No rule matches a placeholder's
    characters, so every pass removes at least one original character and the loop ends; in
    practice after one or two passes. ``origin`` maps each character of the current text to the
    span of the original it stands for (a placeholder's characters all to the span it replaced).
    """
    cur = text
    origin = [(i, i + 1, None) for i in range(len(text))]  # (start, end, kind or None)
    for _ in range(len(text) + 1):
        spans = _find_once(cur, tag=cur is text)
        if not spans:
            break
        new_origin: list[tuple[int, int, str | None]] = []
        pos = 0
        for p in spans:
            new_origin.extend(origin[pos : p.start])
            region = (origin[p.start][0], origin[p.end - 1][1], p.kind)
            new_origin.extend([region] * len(PLACEHOLDER[p.kind]))
            pos = p.end
        new_origin.extend(origin[pos:])
        cur, origin = _replace(cur, spans), new_origin
    regions = sorted({o for o in origin if o[2] is not None})
    return cur, tuple(PersonalData(k, s, e) for s, e, k in regions)


def find_personal_data(text: str) -> list[PersonalData]:
    """Non-overlapping spans of personal data in ``text``, earliest first: exactly the characters
    that ``redact`` replaces by placeholders."""
    return list(_redact(text)[1])


def redact(text: str) -> str:
    """The text with every personal datum replaced by a placeholder such as [电话]; a fixed
    point: redacting the result again changes nothing."""
    if not text:
        return text
    return _redact(text)[0]
