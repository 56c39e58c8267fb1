"""Entity extraction: who asks (enterprise, industry), about what (products, standards, schemes
and marks, target markets) and by when (urgency, deadline).

Dictionary look-ups use one Aho-Corasick automaton per vocabulary (longest match wins); dates are
resolved against a reference day that callers (and tests) can fix.
"""

from __future__ import annotations

import calendar
import csv
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import ahocorasick

from qis_match.industry import divisions
from qis_match.settings import DATA_DIR
from qis_match.text.tokenize import find_codes

# --- vocabularies -----------------------------------------------------------------------------

MARKETS: dict[str, str] = {
    "欧盟": "欧盟",
    "欧洲": "欧盟",
    "EU": "欧盟",
    "德国": "欧盟",
    "法国": "欧盟",
    "意大利": "欧盟",
    "西班牙": "欧盟",
    "荷兰": "欧盟",
    "美国": "美国",
    "北美": "北美",
    "USA": "美国",
    "加拿大": "加拿大",
    "英国": "英国",
    "UK": "英国",
    "东南亚": "东南亚",
    "东盟": "东南亚",
    "越南": "东南亚",
    "泰国": "东南亚",
    "马来西亚": "东南亚",
    "印尼": "东南亚",
    "印度尼西亚": "东南亚",
    "菲律宾": "东南亚",
    "新加坡": "东南亚",
    "俄罗斯": "俄罗斯",
    "欧亚经济联盟": "俄罗斯",
    "中东": "中东",
    "沙特": "中东",
    "阿联酋": "中东",
    "迪拜": "中东",
    "日本": "日本",
    "韩国": "韩国",
    "印度": "印度",
    "澳大利亚": "澳大利亚",
    "澳洲": "澳大利亚",
    "新西兰": "澳大利亚",
    "非洲": "非洲",
    "南非": "非洲",
    "尼日利亚": "非洲",
    "拉美": "拉美",
    "南美": "拉美",
    "巴西": "拉美",
    "墨西哥": "拉美",
    "智利": "拉美",
    "香港": "中国香港",
    "台湾": "中国台湾",
}
_EXPORT_WORDS = ("出口", "外贸", "海外", "跨境", "国外客户", "境外")

# Schemes and marks: pattern → canonical name. ASCII ones need word boundaries (CE ≠ SERVICE).
SCHEMES: dict[str, str] = {
    "CCC": "CCC",
    "3C": "CCC",
    "强制性产品认证": "CCC",
    "CQC": "CQC",
    "CE": "CE",
    "FCC": "FCC",
    "UKCA": "UKCA",
    "UL": "UL",
    "CB": "CB",
    "ECE": "ECE",
    "E-MARK": "E-Mark",
    "EMARK": "E-Mark",
    "KC": "KC",
    "PSE": "PSE",
    "SAA": "SAA",
    "FDA": "FDA",
    "ROHS": "RoHS",
    "REACH": "REACH",
    "GS": "GS",
    "EAC": "EAC",
    "SASO": "SASO",
    "BIS": "BIS",
    "HACCP": "HACCP",
    "GAP": "GAP",
    "GMP": "GMP",
    "BRC": "BRC",
    "IFS": "IFS",
    "FSC": "FSC",
    "CNAS": "CNAS",
    "CMA": "CMA",
    "绿色产品": "绿色产品",
    "有机产品": "有机产品",
    "有机认证": "有机产品",
    "有机": "有机产品",
    "碳足迹": "碳足迹",
    "碳排放核查": "碳排放核查",
    "碳核查": "碳排放核查",
    "节能认证": "节能",
    "节能产品": "节能",
    "能效标识": "能效标识",
    "低碳产品": "低碳产品",
    "良好农业规范": "GAP",
    "绿色食品": "绿色食品",
    "地理标志": "地理标志",
    "清真": "清真",
    "售后服务认证": "售后服务认证",
    "自愿性认证": "自愿性认证",
    "国推认证": "国推认证",
}
_SCHEME_CODES = (
    "ISO 9001",
    "ISO 14001",
    "ISO 45001",
    "ISO 27001",
    "ISO/IEC 27001",
    "ISO 13485",
    "ISO 22000",
    "ISO 50001",
    "ISO 17025",
    "ISO/IEC 17025",
    "IATF 16949",
    "ISO 14064",
    "ISO 14067",
    "SA 8000",
)

_URGENT_RE = re.compile(
    r"加急|急件|很急|特急|紧急|尽快|越快越好|马上要|火速|十万火急|急需|急用|赶时间|(?<![着])急[!！,，。 ]|^急"
)
_CN_NUM = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "半": 0.5,
}


def _cn_int(s: str) -> float:
    if s.isdigit():
        return int(s)
    if s in _CN_NUM:
        return _CN_NUM[s]
    if s.startswith("十"):
        return 10 + _CN_NUM.get(s[1:], 0)
    if s.endswith("十"):
        return _CN_NUM.get(s[0], 1) * 10
    if "十" in s:
        a, b = s.split("十", 1)
        return _CN_NUM.get(a, 1) * 10 + _CN_NUM.get(b, 0)
    return float("nan")


_NUM = r"(\d{1,3}|[一二两三四五六七八九十半]{1,3})"
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 6}


def parse_deadline(text: str, today: date) -> tuple[date | None, str | None]:
    """The latest acceptable date a request names (``三天内``, ``明天之前``, ``3月15日前``, ``月底前``)."""
    t = text
    m = re.search(
        r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]|(底|末|初|中旬|上旬|下旬))\s*(?:之前|以前|前)?",
        t,
    )
    if m:
        year = int(m.group(1)) if m.group(1) else today.year
        month = int(m.group(2))
        if 1 <= month <= 12:
            last = calendar.monthrange(year, month)[1]
            if m.group(3):
                day = min(int(m.group(3)), last)
            else:
                day = {"底": last, "末": last, "初": 5, "上旬": 10, "中旬": 20, "下旬": last}[
                    m.group(4)
                ]
            d = date(year, month, day)
            if d < today and not m.group(1):
                last = calendar.monthrange(year + 1, month)[1]
                d = date(year + 1, month, min(day, last))
            return d, m.group(0)
    m = re.search(rf"{_NUM}\s*个?(工作日|天|日|周|星期|礼拜|个月|月)\s*(?:之内|以内|内)", t)
    if m:
        n, unit = _cn_int(m.group(1)), m.group(2)
        if n == n:  # not NaN
            days = {
                "工作日": 7 / 5,
                "天": 1,
                "日": 1,
                "周": 7,
                "星期": 7,
                "礼拜": 7,
                "个月": 30,
                "月": 30,
            }[unit] * n
            return today + timedelta(days=round(days)), m.group(0)
    m = re.search(r"(?<![\d月])(\d{1,2})\s*[日号]\s*(?:之前|以前|前)", t)
    if m and 1 <= int(m.group(1)) <= 31:
        y, mo, day = today.year, today.month, int(m.group(1))
        if day < today.day:
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return date(y, mo, min(day, calendar.monthrange(y, mo)[1])), m.group(0)
    m = re.search(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*(?:之前|以前|前)", t)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.group(0)
        except ValueError:
            pass
    m = re.search(
        r"(今天|今日|明天|明日|后天|大后天)\s*(?:之内|以内|内|之前|以前|前|下班前|就要|必须|要)", t
    )
    if m:
        offset = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}[m.group(1)]
        return today + timedelta(days=offset), m.group(0)
    m = re.search(
        r"(本周|这周|这个星期|下周|下个星期|下礼拜)([一二三四五六日天末])?\s*(?:之内|以内|内|之前|以前|前)",
        t,
    )
    if m:
        base = today - timedelta(days=today.weekday())
        if m.group(1) in ("下周", "下个星期", "下礼拜"):
            base += timedelta(days=7)
        return base + timedelta(days=_WEEKDAY.get(m.group(2) or "日", 6)), m.group(0)
    m = re.search(r"(月底|月末|年底|年末|下个月底|下月底)\s*(?:之前|以前|前)?", t)
    if m:
        if m.group(1) in ("年底", "年末"):
            return date(today.year, 12, 31), m.group(0)
        y, mo = today.year, today.month
        if m.group(1).startswith("下"):
            y, mo = (y + 1, 1) if mo == 12 else (y, mo + 1)
        return date(y, mo, calendar.monthrange(y, mo)[1]), m.group(0)
    return None, None


# --- enterprise name ---------------------------------------------------------------------------

_ORG_SUFFIX = r"(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|合作社|研究院|研究所|医院|商行|工作室|事务所|实业公司|公司)"
_ORG_RE = re.compile(rf"([\u4e00-\u9fa5A-Za-z0-9×*＊()（）·]{{2,30}}?{_ORG_SUFFIX})")
_LEAD_RE = re.compile(
    r"^(?:.*?(?:我们是|我们|我司是|我司|我是|本公司|单位名称|企业名称|公司名称|名称|单位|企业|来自|在|是|为|的|和|与|及|找|问|请|向))"
)
_GENERIC_ORG = {
    "公司",
    "有限公司",
    "集团",
    "医院",
    "研究院",
    "研究所",
    "合作社",
    "事务所",
    "工作室",
    "我们公司",
    "贵公司",
    "本公司",
}


def find_enterprise(text: str) -> str | None:
    """The requesting enterprise's name if the text gives one (``长沙××电器有限公司``)."""
    for m in _ORG_RE.finditer(text):
        name = _LEAD_RE.sub("", m.group(1))
        name = re.sub(r"^[^\u4e00-\u9fa5A-Za-z0-9×]+", "", name)
        generic_suffix = re.search(r"(?<!有限)(?<!集团)公司$", name) and not re.search(
            r"[×*＊XＸ]", name
        )
        if (
            len(name) >= 4
            and not generic_suffix
            and name not in _GENERIC_ORG
            and not name.startswith(("哪家", "什么", "一家", "这家", "那家", "贵"))
        ):
            return name
    return None


# --- vocabularies from data files -------------------------------------------------------------


def _automaton(words: dict[str, str]) -> ahocorasick.Automaton:
    a = ahocorasick.Automaton()
    for w, v in words.items():
        if w:
            a.add_word(w.upper(), (len(w), v))
    a.make_automaton()
    return a


def _longest_matches(
    a: ahocorasick.Automaton, text: str, ascii_boundaries: bool = False
) -> list[tuple[int, str]]:
    """(start, value) of non-overlapping longest matches."""
    up = text.upper()
    hits = []
    for end, (length, value) in a.iter(up):
        start = end - length + 1
        if ascii_boundaries:
            before = up[start - 1] if start > 0 else " "
            after = up[end + 1] if end + 1 < len(up) else " "
            word = up[start : end + 1]
            if word.isascii() and (
                before.isascii() and before.isalnum() or after.isascii() and after.isalnum()
            ):
                continue
        hits.append((start, end, value))
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out, last_end = [], -1
    for start, end, value in hits:
        if start > last_end:
            out.append((start, value))
            last_end = end
    return out


@dataclass(frozen=True)
class Industry:
    code: str
    name: str
    section: str
    section_name: str

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "section": self.section,
            "section_name": self.section_name,
        }


@dataclass
class Vocabularies:
    products: ahocorasick.Automaton
    schemes: ahocorasick.Automaton
    markets: ahocorasick.Automaton
    industry_words: ahocorasick.Automaton
    industries: dict[str, Industry] = field(default_factory=dict)


def _read_terms(path: Path, kinds: set[str]) -> list[str]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return [r["term"] for r in csv.DictReader(fh, delimiter="\t") if r.get("kind") in kinds]


@lru_cache(maxsize=1)
def vocabularies(data_dir: Path = DATA_DIR) -> Vocabularies:
    products = set(_read_terms(data_dir / "lexicon" / "qi_terms.tsv", {"product", "device"}))
    ref = data_dir / "reference"
    for name, col in (("testing.csv", "object"), ("metrology.csv", "device")):
        p = ref / name
        if p.exists():
            with open(p, encoding="utf-8", newline="") as fh:
                products.update(
                    r[col]
                    for r in csv.DictReader(fh)
                    if 2 <= len(r[col]) <= 12 and "、" not in r[col]
                )
    table = divisions(data_dir / "industry" / "gbt4754_2017.yaml")
    industries = {
        d.code: Industry(d.code, d.name, d.section, d.section_name) for d in table.values()
    }
    industry_words = {k: d.code for d in table.values() for k in d.keywords}
    return Vocabularies(
        products=_automaton({p: p for p in products}),
        schemes=_automaton(SCHEMES),
        markets=_automaton(MARKETS),
        industry_words=_automaton(industry_words),
        industries=industries,
    )


def find_industry(text: str, products: list[str], vocab: Vocabularies) -> Industry | None:
    """GB/T 4754-2017 division most supported by the words of the request and its products."""
    votes: Counter[str] = Counter()
    for _, code in _longest_matches(vocab.industry_words, text):
        votes[code] += 2
    for p in products:
        for _, code in _longest_matches(vocab.industry_words, p):
            votes[code] += 1
    if not votes:
        return None
    code, _ = max(votes.items(), key=lambda kv: (kv[1], -int(kv[0])))
    return vocab.industries[code]


@dataclass
class Entities:
    enterprise: str | None = None
    industry: Industry | None = None
    products: list[str] = field(default_factory=list)
    standards: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)
    markets: list[str] = field(default_factory=list)
    export: bool = False
    urgent: bool = False
    deadline: date | None = None
    deadline_text: str | None = None

    def to_dict(self) -> dict:
        return {
            "enterprise": self.enterprise,
            "industry": self.industry.to_dict() if self.industry else None,
            "products": self.products,
            "standards": self.standards,
            "schemes": self.schemes,
            "markets": self.markets,
            "export": self.export,
            "urgency": "urgent" if self.urgent else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "deadline_text": self.deadline_text,
        }


def extract_entities(
    text: str,
    today: date | None = None,
    vocab: Vocabularies | None = None,
    codes: list[str] | None = None,
) -> Entities:
    """All entities of a (normalised) request text; ``codes`` if the caller already found them."""
    vocab = vocab or vocabularies()
    today = today or date.today()
    codes = find_codes(text) if codes is None else codes
    products = list(dict.fromkeys(v for _, v in _longest_matches(vocab.products, text)))
    schemes = [v for _, v in _longest_matches(vocab.schemes, text, ascii_boundaries=True)]
    schemes += [c for c in codes if any(c.startswith(s) for s in _SCHEME_CODES)]
    schemes = list(dict.fromkeys("CCC" if s == "CCC" else s for s in schemes))
    standards = [
        c for c in codes if c not in ("CCC",) and not any(c.startswith(s) for s in _SCHEME_CODES)
    ]
    markets = list(
        dict.fromkeys(v for _, v in _longest_matches(vocab.markets, text, ascii_boundaries=True))
    )
    deadline, deadline_text = parse_deadline(text, today)
    return Entities(
        enterprise=find_enterprise(text),
        industry=find_industry(text, products, vocab),
        products=products,
        standards=standards,
        schemes=schemes,
        markets=markets,
        export=bool(markets) or any(w in text for w in _EXPORT_WORDS),
        urgent=bool(_URGENT_RE.search(text))
        or deadline is not None
        and (deadline - today).days <= 3,
        deadline=deadline,
        deadline_text=deadline_text,
    )
