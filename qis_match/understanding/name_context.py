"""Person names known by what the sentence does with them ("雷雨明天请假", "通知方圆下午过来",
"小贾下午过来取执照", "[联系人]、王五和孔繁星三人").

The label, title and cue rules in ``redact`` and the tagger in ``name_recogniser`` miss names
that are also words (雷雨, 方圆) or that jieba cuts apart (单立|伟), and nicknames before a time
word (小贾下午…). Their sentence still gives them away: only a person asks for leave, signs,
says, is notified, is one of "three people", or is referred back to as 他/她. Each pass here asks
for such a role on top of the shape of a name, and the weaker the shape (a two-character word
that is also an everyday word), the stronger the role it must have.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from qis_match.text.dictionary import default_tagger, word_frequency
from qis_match.understanding import redact_names as names

_SUR1 = names.SURNAME_1_RE
_SUR = names.SURNAME_RE
_HAN = names.HAN_RE
# Time and manner words that may stand between a person and what the person does.
_GAP = (
    r"(?:今天|明天|昨天|后天|今早|明早|一早|上午|下午|中午|晚上|早上|刚才|刚刚|这周|下周|本周|上周|"
    r"周[一二三四五六日]|[一二三四五六七八九十\d]+点(?:半|钟)?|已经|已|都|也|还|又|就|先|再|会|亲自|本人|一直|马上|"
    r"电话|当面)*"
)
# What only a person does (she asks for leave, signs, says, confirms, is the one who handles it).
_PERSON_ONLY = (
    r"请假|签字|签名|签过字|亲笔|亲自|说|讲|表示|反映|确认|答应|同意|经办|负责|本人|在外地|出差|休假|"
    r"回电|回复|打电话|来电|来窗口|到窗口|过来|来取|来交|来办|来签|到现场|去现场|认为|觉得|知道|清楚|"
    r"带过来|送过来|帮(?:我|我们|忙)|让我们|实际要|问过|看过|来过|打电话|打过电话|领走|领了|交来|"
    r"抱怨|不同意|不满意|申请复|提交|在门口|等着|代办|代为|从[^，。]{1,4}过来|去[^，。]{1,6}参加|"
    r"一起去|一起来|没来|刚从|让我|核实|核对|沟通|商量|协商|承诺|书面承诺|和[他她]的"
)
# What a person or an organisation does: a person only with another sign (他/她, a cue before).
_AGENT = r"把|已经把|帮|填|交了|交过|改|补|寄|送|带|看|找|办|拿"
_PERSON_AHEAD = re.compile(rf"{_GAP}(?:{_PERSON_ONLY})")
_AGENT_AHEAD = re.compile(rf"{_GAP}(?:{_PERSON_ONLY}|{_AGENT})")
# Words just before a name that make someone the object of a person's act (通知方圆, 请白云把…).
_CUE_BEFORE = re.compile(
    r"(?:通知|告诉|转告|提醒|麻烦|让|请|叫|找|约|约了|联系|联系一下|和|跟|与|同|由|委托|催|问|等|需要|"
    r"要求|经与|帮|电话给|打给|交给|发给)$"
)
# A name is preceded by the start of a clause or one of the cues above.
_CLAUSE_START = re.compile(
    r"(?:^|[\s,.;:!?()、。“”‘’\"'《》【】…]|备注:|意见:|原因:|但|但是|而|可是|因为|所以|如果|"
    r"昨天|今天|今早|刚才|上午|下午)$"
)

_PRONOUN = re.compile(r"[他她](?!们的公司)")
_SENTENCE_END = re.compile(r"[。！？!?\n]")
# Part-of-speech tags of words that are never a name, whatever follows them.
_NOT_NAME_FLAGS = (
    "t",
    "m",
    "q",
    "r",
    "d",
    "p",
    "c",
    "f",
    "s",
    "u",
    "ns",
    "nt",
    "nz",
    "a",
    "ad",
    "an",
    "v",
    "vn",
    "l",
    "i",
    "z",
    "e",
    "y",
    "o",
)
# A two-character word more frequent than this in jieba's dictionary (古人 1270, 武林 2204) is a
# name only with a cue before it or a pronoun after it; rarer ones (雷雨 195) need only an act.
_COMMON_WORD = 500


def _rest_of_sentence(text: str, end: int) -> str:
    right = _SENTENCE_END.search(text, end)
    return text[end : right.start() if right else len(text)]


def _given_ok(given: str) -> bool:
    return bool(given) and all("\u4e00" <= c <= "\u9fff" for c in given)


@lru_cache(maxsize=65536)
def _flag(word: str) -> str:
    tagged = list(default_tagger().cut(word))
    return tagged[0].flag if len(tagged) == 1 else ""


def _word_frequency(word: str) -> int:
    return word_frequency().get(word, 0) or 0


_CANDIDATE = re.compile(rf"(?P<v>{_SUR}{_HAN}{{1,2}})")
_SURNAME_AT = re.compile(_SUR)


def _role_names(text: str) -> Iterator[tuple[int, int]]:
    """Surname + one or two characters that stands where a person stands."""
    for start in range(len(text)):
        if not _SURNAME_AT.match(text, start) or text[start] in names.FUNCTION_SURNAMES:
            continue
        before = text[max(0, start - 6) : start]
        cued = bool(_CUE_BEFORE.search(before))
        if not (cued or _CLAUSE_START.search(before)):
            continue
        compound = text[start : start + 2] in names.COMPOUND_SURNAMES
        for length in (4, 3) if compound else (3, 2):
            end = start + length
            word = text[start:end]
            if end > len(text) or not _CANDIDATE.fullmatch(word):
                continue
            given = word[2:] if compound else word[1:]
            if not _given_ok(given):
                continue
            if _is_name_in_role(text, start, end, len(given), cued, compound):
                yield start, end
                break


def _is_name_in_role(
    text: str, start: int, end: int, given_length: int, cued: bool, compound: bool
) -> bool:
    word = text[start:end]
    # the tag of a dictionary word (麻烦 an, 明天 t); the HMM's tag of an unknown one is a guess
    if _word_frequency(word) and _flag(word) in _NOT_NAME_FLAGS:
        return False
    if word[-1] in names.CONJUNCTIONS or word[-1] in names.PLACE_LAST_CHARS:
        return False
    # the candidate must end where a word ends: the next characters do not continue it
    if end < len(text) and _word_frequency(text[end - 1 : end + 1]) > 2000:
        return False
    full = given_length == 2 or compound
    if full:
        # a dictionary word (鄂伦春), or a word and one more character (简直|胡, 高中|时)
        if _word_frequency(word) > 50 or (not compound and _word_frequency(word[:2]) > 100):
            return False
        given_like = all(c in names.NAME_CHARS for c in word[-given_length:])
        return bool(
            _AGENT_AHEAD.match(text, end) if cued or given_like else _PERSON_AHEAD.match(text, end)
        )
    # surname + one character: a word as often as a name (雷雨, 方圆); a person's act is needed,
    # and unless that act is one only a person does, a pronoun that refers back to them
    if not _AGENT_AHEAD.match(text, end):
        return False
    if _PERSON_AHEAD.match(text, end) and (cued or _word_frequency(word) <= _COMMON_WORD):
        return True
    return bool(_PRONOUN.search(_rest_of_sentence(text, end)))


# --- nicknames before a time word or an act (小贾下午过来, 老褚把…)

_NICKNAME = re.compile(rf"(?P<v>[小老]{_SUR1})(?={_GAP}(?:{_PERSON_ONLY}|{_AGENT}|比较|加))")


def _nicknames(text: str) -> Iterator[tuple[int, int]]:
    for m in _NICKNAME.finditer(text):
        s, e = m.span("v")
        word = m.group("v")
        prev = text[s - 1] if s else ""
        if word in names.NOT_NICKNAMES or (prev and prev in names.SINGLE_SURNAMES):
            continue
        if _word_frequency(word) > 20 or _word_frequency(text[s : e + 1]) > 0:
            continue
        if e < len(text) and _word_frequency(text[s + 1 : e + 1]) > 200:  # 小白菜: 白菜
            continue
        yield s, e


# --- lists of people ("雷鸣、[联系人]、孔繁星三人", "[联系人]和老易一起负责")

_ITEM = rf"(?:\[联系人\]|{_SUR}{_HAN}{{1,2}}?|[小老]{_SUR1})"
_SEPARATOR = r"(?:、|和|与|及|跟|同|,)"
_LIST = re.compile(
    rf"(?P<list>{_ITEM}(?:{_SEPARATOR}{_ITEM}){{1,6}})"
    r"(?=(?:[两二三四五六七八九]|几)(?:个人|人|位)|都是|一起|等人|都在|都提交|分别|俩|两个)"
)
_ITEM_SPLIT = re.compile(_SEPARATOR)


def _listed_names(text: str) -> Iterator[tuple[int, int]]:
    """Members of a list of people: the list has a placeholder for a name already found or ends
    in a count of people, so its other members that have a name's shape are names too."""
    for m in _LIST.finditer(text):
        chunk = m.group("list")
        counted = not re.match(r"都是|一起|都在|都提交|分别", text[m.end() :])
        if not counted and "[联系人]" not in chunk:
            continue
        pos = m.start()
        for item in _ITEM_SPLIT.split(chunk):
            start = text.index(item, pos)
            pos = start + len(item)
            if item == "[联系人]" or len(item) < 2 or _flag(item) in _NOT_NAME_FLAGS:
                continue
            if item in names.NOT_NAMES or item in names.NOT_NICKNAMES:
                continue
            yield start, pos


# --- a surname with the short title of an office head (约一下林处, 报张局审批)

_OFFICE_TITLE = re.compile(
    rf"(?:约|找|向|请|报|问|跟|和|给|陪|见|联系|一下)(?P<v>{_SUR1}[处局])"
    r"(?=[，。、；;,.!?！？\s]|$|说|审|签|同意|批|过目|看|那|的意见)"
)


def _office_titles(text: str) -> Iterator[tuple[int, int]]:
    for m in _OFFICE_TITLE.finditer(text):
        if m.group("v")[0] not in names.FUNCTION_SURNAMES:
            yield m.span("v")


def role_names(text: str) -> Iterator[tuple[int, int]]:
    """Spans of names found by their role in the sentence; the caller skips spans taken."""
    yield from _office_titles(text)
    yield from _listed_names(text)
    yield from _nicknames(text)
    yield from _role_names(text)
