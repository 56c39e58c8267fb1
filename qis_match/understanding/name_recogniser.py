"""Person names that no label or cue marks ("请转告刘建国明天来取", "张丽华下午过来"), found by
jieba's part-of-speech tagger and kept only when they also look like a Chinese name.

The rules in ``redact`` find a name next to a label (联系人, 我叫), a title (王经理) or a cue
(…负责, …说). A name in running text has none of these; jieba's tagger (``nr``) knows names from
its dictionary and its HMM. The tagger alone is too eager (周庄, 陶然亭, 高峰期 come out as names), so
a candidate must also start with a known surname, have one or two given-name characters from
the common set, and not be followed by a place or organisation suffix (周庄镇, 方正集团); the
caller (``redact``) then drops everyday words and brands (``redact_names.NOT_NAMES``).

The HMM also cuts many names wrong (柯文|斌, 莫|少华). ``shaped_names`` reads the whole text with
the dictionary alone (cheap): a surname that stands as a word of its own, then two common
given-name characters that end on a word boundary, is a name the dictionary cannot read as
anything else (见到|柯|文|斌|，).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jieba.posseg.char_state_tab import P as _CHAR_STATES

from qis_match.geo import place_words
from qis_match.settings import get_settings
from qis_match.text.dictionary import default_tagger, word_frequency
from qis_match.understanding import redact_names as names

_SURNAMES_1 = frozenset(names.SINGLE_SURNAMES)
_SURNAMES_2 = frozenset(names.COMPOUND_SURNAMES)
_GIVEN = frozenset(names.NAME_CHARS)
# What makes the word before it a place, an organisation or a product, not a person.
_SUFFIX = re.compile(
    r"[市县区镇乡村路街道巷山湖河江海庄园亭寺桥港湾省州岛厂店楼馆牌号峰岭塔城站场宫府堂阁坊苑]"
    r"|集团|公司|品牌|商标|系列|牌子|酒业|食品|科技|实业|股份|有限|广场|大厦|中心|小区"
    r"|酒店|宾馆|饭店|医院|学校|大学|学院|银行|超市|商场|商城|药店|影院"
)
# Surname characters that are also function words (和, 于, 莫 "don't"): inside a clause they are
# the word, not a surname (对和春有好感, 被莫明其妙地收费).
_CONJUNCTION_GIVEN = names.CONJUNCTIONS
_FUNCTION_SURNAMES = frozenset(names.FUNCTION_SURNAMES) | {"莫"}
# An organisation's name goes on to its kind within a few characters (张江高科技公司).
_ORG_AHEAD = re.compile(
    r"[^，,。；;、\s的]{0,6}?(?:公司|集团|有限|实业|股份|研究院|研究所|事务所|协会)"
)
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")
# Organisation or place words just before it (××方正公司, 在黄山, 去周庄).
# 到 ends verbs that take a person too (见到|柯文斌, 接到|滕飞的电话).
_BEFORE_PLACE = re.compile(
    r"(?:××|XX|xx|在|去|(?<![见接找遇收看听提碰等])到|往|于|自|至|从|来自|位于)$"
)

# jieba dictionary frequency above which an ``nr`` word is an everyday word (阳光 3451, 安静 1199,
# 周全 261, 毛发 258), not a name (于丹 2, 刘建国 3).
COMMON_WORD = 100


def _surname_length(word: str) -> int:
    if word[:2] in _SURNAMES_2:
        return 2
    return 1 if word[0] in _SURNAMES_1 else 0


def looks_like_name(
    text: str, start: int, end: int, tagged: bool = False, introduced: bool = False
) -> bool:
    """Surname + one or two common given-name characters (for a full name the tagger found, one
    common character is enough: 施国栋), not a place or organisation, and not an everyday word
    with a character after it (宣传|语). A surname that is also a function word (于, 向, 莫) may
    follow another character only when ``introduced`` (a word that takes a person precedes it)."""
    word = text[start:end]
    sur = _surname_length(word)
    given = word[sur:]
    if not sur or not 1 <= len(given) <= 2:
        return False
    if len(word) == 3 and everyday_word(word[:2], COMMON_WORD * 10):
        return False
    common = sum(c in _GIVEN for c in given)
    if common < len(given) and not (tagged and len(given) == 2 and common >= 1):
        return False
    if given in _CONJUNCTION_GIVEN:  # 咨询费和认证费: 费 + 和 is no name
        return False
    if word[0] in _FUNCTION_SURNAMES and len(given) == 2 and everyday_word(given):
        return False  # 查|清楚, 向|前方: the function word and a word, not a surname and a name
    if given[-1] in names.PLACE_LAST_CHARS:  # 何家村, 王家镇: a village or town
        return False
    if _SUFFIX.match(text, end) or _ORG_AHEAD.match(text, end):
        return False
    if _BEFORE_PLACE.search(text[max(0, start - 2) : start]):
        return False
    return introduced or not (
        word[0] in _FUNCTION_SURNAMES and start > 0 and "\u4e00" <= text[start - 1] <= "\u9fff"
    )


def everyday_word(word: str, more_than: int = COMMON_WORD) -> bool:
    """A dictionary word more frequent than ``more_than`` that the dictionary does not tag as a
    name (朋友, 宣传 4745 vn; 东升 553 is tagged a name)."""
    if word_frequency().get(word, 0) <= more_than:
        return False
    return not default_tagger().word_tag_tab.get(word, "").startswith("nr")


_AFTER_NAME_FLAGS = ("v", "vn", "p", "r", "uj", "ul", "c", "d", "x")


def _is_place_or_name(token) -> bool:
    """A word right before a candidate that makes it part of a longer proper noun."""
    return token.flag in ("ns", "nr", "nrt", "nrfg") or token.word in place_words()


def _ends_a_name(tokens, k: int) -> bool:
    """A two-character "name" the HMM made of an unknown pair is a name only where a name can
    end: before a verb, a particle, a pronoun or a boundary, not before a noun it would be the
    first half of (卓月|绩效 is 卓越绩效 mistyped)."""
    after = tokens[k + 1] if k + 1 < len(tokens) else None
    return after is None or after.flag.startswith(_AFTER_NAME_FLAGS + _BEFORE_A_NAME_ENDS)


# Besides _AFTER_NAME_FLAGS: time, number, place-word, measure, particle and modal words.
_BEFORE_A_NAME_ENDS = ("t", "m", "f", "q", "u", "y")


def _three_character_name(text, tokens, k: int, start: int, freq) -> int | None:
    """The end of a three-character name the tagger cut after its first or second character."""
    if k + 1 >= len(tokens):
        return None
    a, b = tokens[k].word, tokens[k + 1].word
    if len(a) + len(b) != 3 or not _HAN_WORD.fullmatch(a + b) or _surname_length(a) != 1:
        return None
    end = start + 3
    after = tokens[k + 2] if k + 2 < len(tokens) else None
    if after is not None and not after.flag.startswith(_AFTER_NAME_FLAGS):
        return None
    if freq.get(a + b, 0) > 0 or not looks_like_name(text, start, end):
        return None
    return end


# Characters read before and after a surname character: the name itself (up to four) and the
# words around it that decide how the tagger cuts it and what follows it.
_BEFORE, _AFTER = 3, 7
# Neighbouring windows merge up to this length; past it a new (overlapping) one starts, so that
# a text dense with surnames is read in small pieces the budget can count.
_MAX_WINDOW = 20


def surname_windows(text: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` around its surname characters, merged while short: only they can
    hold a name."""
    windows: list[list[int]] = []
    for i, c in enumerate(text):
        if c not in _SURNAMES_1 and text[i : i + 2] not in _SURNAMES_2:
            continue
        s, e = max(0, i - _BEFORE), min(len(text), i + _AFTER)
        if windows and s <= windows[-1][1] and e - windows[-1][0] <= _MAX_WINDOW:
            windows[-1][1] = e
        else:
            windows.append([s, e])
    return [(s, e) for s, e in windows]


def tagged_names(
    text: str, max_word_frequency: int = COMMON_WORD, budget: int | None = None
) -> Iterator[tuple[int, int]]:
    """Spans of the words the tagger calls person names (``nr``) that also look like names, read
    in the windows around surname characters.

    The tagger's HMM is slow (about 2 ms a character, far more for rare characters), so it reads
    at most ``budget`` characters of one text (default: the setting ``redact_tagged_chars``),
    and none of a window where no name can be: a run of more than ``_MAX_UNKNOWN_RUN`` characters
    that no dictionary word covers (random Han, a list of surnames), or one with a character the
    tagger has never seen in a word (no given name uses one). Names past the budget are left to
    the label, title, cue and role rules.

    jieba's dictionary tags some everyday words ``nr`` (安静, 宁可, 阳光); they are frequent there,
    while the names it lists are rare (于丹: 2) and most names are not in it at all (the HMM finds
    them), so a word more frequent than ``max_word_frequency`` is not taken for a name."""
    if budget is None:
        budget = get_settings().redact_tagged_chars
    for s, e in surname_windows(text):
        window = text[s:e]
        runs = _unknown_runs(window)
        if any(len(r) > _MAX_UNKNOWN_RUN or not _seen(r) for r in runs):
            continue
        cost = sum(len(r) for r in runs)
        if cost > budget:
            break
        budget -= cost
        for start, end in _tagged_in(window, max_word_frequency):
            yield s + start, s + end


# A name is a run of two to four characters that no dictionary word covers; a longer run is random
# Han or a list of surname characters, where the HMM costs most and finds no name worth it.
_MAX_UNKNOWN_RUN = 8


def _unknown_runs(text: str) -> list[str]:
    """The runs of two or more single Han characters when ``text`` is cut by the dictionary alone:
    what the tagger's HMM would read."""
    runs, run = [], ""
    for word in default_tagger().tokenizer.cut(text, HMM=False):
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff":
            run += word
            continue
        if len(run) > 1:
            runs.append(run)
        run = ""
    if len(run) > 1:
        runs.append(run)
    return runs


def _seen(run: str) -> bool:
    return all(c in _CHAR_STATES for c in run)


def _tagged_in(text: str, max_word_frequency: int) -> Iterator[tuple[int, int]]:
    tagger = default_tagger()
    freq = word_frequency()
    tokens = list(tagger.cut(text))
    pos = 0
    for k, (word, flag) in enumerate(tokens):
        start, pos = pos, pos + len(word)
        if k and _is_place_or_name(tokens[k - 1]):  # 东莞|麻涌 is a town, 恩诺|沙星 a drug
            continue
        # the tagger splits a surname from a given name it knows as a name (刘 + 海燕, 何 + 志强)
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if (
            nxt is not None
            and _surname_length(word) == len(word)
            and nxt.flag in ("nr", "nrfg")
            and 1 <= len(nxt.word) <= 2
            and looks_like_name(text, start, pos + len(nxt.word))
        ):
            yield start, pos + len(nxt.word)
            continue
        if (
            flag == "nr"
            and _HAN_WORD.fullmatch(word)
            and freq.get(word, 0) <= max_word_frequency
            and looks_like_name(text, start, pos, tagged=True)
            and (len(word) > 2 or _ends_a_name(tokens, k))
        ):
            yield start, pos
            continue
        # surname + given name cut in two (范志|刚, 钟|立新), before a verb, 的 or a boundary
        three = _three_character_name(text, tokens, k, start, freq)
        if three is not None:
            yield start, three


# Flags of dictionary words that are no given name however common their characters (张|明天来:
# a time word; 李|所以: a conjunction), and the frequency above which a two-character word is an
# everyday word that a surname merely precedes: a name word (东升, 光辉) may be common, any other
# (立新, 少华) must be rare (费|心思 is no name).
_NOT_GIVEN_FLAGS = ("t", "p", "c", "r", "m", "q", "f", "u", "y", "e", "o", "v")
_GIVEN_WORD_MAX_FREQUENCY = 5000
# Words after which a surname that is also a function word starts a name (交给|于|海燕,
# 来的|应|俊杰): each takes a person as its object or comes before a noun.
_TAKES_A_PERSON = frozenset(
    ("的", "是", "请", "跟", "和", "与", "同", "让", "叫", "找", "问", "给", "由", "被")
    + ("告诉", "通知", "联系", "谢谢", "感谢", "交给", "转告")
)
# Function characters a name found by its shape alone does not end in.
_NOT_LAST_GIVEN = frozenset("和与及同跟一已也都就还又在是的了把被给向对")


def shaped_names(text: str) -> Iterator[tuple[int, int]]:
    """Full names that the dictionary cannot read as anything else: a surname that is a word of
    its own in the dictionary-only cut, then two common given-name characters that end on a
    word boundary (见到|柯|文|斌|，, 单|立新|今天). The tagger's HMM often cuts such a name wrong
    (柯文|斌, 莫|少华) or not at all; the dictionary cut is cheap (no HMM) and reads the whole
    text."""
    tagger = default_tagger()
    freq = word_frequency()
    tokens = list(tagger.tokenizer.cut(text, HMM=False))
    starts = [0]
    for t in tokens:
        starts.append(starts[-1] + len(t))
    boundaries = set(starts)
    for k, tok in enumerate(tokens):
        start = starts[k]
        sur = _surname_length(tok) if len(tok) <= 2 else 0
        if not sur or (sur != len(tok) and freq.get(tok, 0) > COMMON_WORD):
            continue  # 柯文|斌: a rare word the surname starts may still be half a name
        end = start + sur + 2
        if end not in boundaries:
            continue
        given = text[start + sur : end]
        if not all(c in _GIVEN for c in given):
            continue
        if (
            sur == len(tok) and k + 1 < len(tokens) and tokens[k + 1] == given
        ):  # 单|立新, not 张|明天
            flag = tagger.word_tag_tab.get(given, "")
            limit = _GIVEN_WORD_MAX_FREQUENCY if flag.startswith("nr") else COMMON_WORD * 2
            if flag.startswith(_NOT_GIVEN_FLAGS) or freq.get(given, 0) > limit:
                continue
        if given[-1] in _NOT_LAST_GIVEN or "和" in given:  # 亓鹏|和仝欣一起来, 文和波
            continue
        if k and _is_place_word(tokens[k - 1], tagger):
            continue
        if any(start >= j and text[start - j : start + 1] in freq for j in (1, 2)):
            continue  # 宝安|福永: the surname ends a word the cut did not choose
        if looks_like_name(text, start, end, introduced=k > 0 and tokens[k - 1] in _TAKES_A_PERSON):
            yield start, end


def _is_place_word(word: str, tagger) -> bool:
    """The dictionary word before a candidate makes it part of a place (东莞|麻涌)."""
    return tagger.word_tag_tab.get(word, "").startswith("ns") or word in place_words()
