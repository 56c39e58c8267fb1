"""How a resource reads on a page: the text helpers every kind's card uses.

A card is text only (subtitle, facts, badges, rows, slip rows); the pages place it and know no
kind. The helpers format places, lists, prices and modes the way the clerk's slip always has.
"""

from __future__ import annotations

import re

from qis_match.industry import divisions

AVAILABILITY = {"available": "可约", "limited": "较忙", "unavailable": "暂不可约"}
MODE = {"onsite": "上门", "remote": "线上"}
PRICE_UNIT = {"hour": "元/小时", "sample": "元/样"}
SERVICE_AREA = {"local": "本地", "province": "全省", "national": "全国"}
CHANNEL = {"online": "线上", "onsite": "现场", "mail": "邮寄"}
CONTEXTS = ("list", "search", "detail", "slip")
DISCOUNT = {"text": "小微优惠", "tone": "discount"}


def list_of(x) -> list[str]:
    """A list as it is (empty items dropped), or a ``|``-separated cell as its items."""
    if isinstance(x, list | tuple):
        return [str(v) for v in x if v is not None and v != ""]
    return [v for v in str(x or "").split("|") if v]


def model_text(m) -> str:
    return " / ".join(list_of(m))


def channels_of(x) -> list[str]:
    if isinstance(x, list | tuple):
        return [str(v) for v in x if v]
    return [v for v in re.split(r"[|,，、\s]+", str(x or "")) if v]


def modes_text(m) -> str:
    return "、".join(MODE.get(v, v) for v in list_of(m))


def _num(x: float) -> str:
    """A number as JavaScript prints it (800.0 → 800, 12.5 → 12.5)."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def price_text(d: dict) -> str:
    price = d.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float) or price != price:
        return ""
    unit_code = d.get("price_unit")
    unit = PRICE_UNIT.get(unit_code) or (f"元/{unit_code}" if unit_code else "元")
    return f"{_num(price)} {unit}"


def _parts(o: dict) -> list[str]:
    return [str(o.get(k) or "") for k in ("province", "city", "district")]


def place_of(o: dict) -> str:
    """Province, city and district, without repeats; else the address."""
    out: list[str] = []
    for p in _parts(o):
        if p and p not in out:
            out.append(p)
    return "".join(out) or str(o.get("address") or "") or "—"


def full_address(o: dict) -> str:
    """The address, prefixed with the region parts it does not already name."""
    address = str(o.get("address") or "")
    prefix = ""
    for p in _parts(o):
        if p and p not in address and p not in prefix:
            prefix += p
    return (prefix + address) or "—"


def industry_text(code: str) -> str:
    d = divisions().get(str(code))
    return f"{d.section}{d.code} {d.name}" if d else str(code)


def chips(values, **extra) -> list[dict]:
    return [{"text": v, **extra} for v in list_of(values)]


def compact(rows: list[dict]) -> list[dict]:
    """Rows or facts with something to show (a value or chips)."""
    return [r for r in rows if r.get("value") or r.get("chips")]


def contact_rows(s: dict) -> list[dict]:
    """The slip's phone and e-mail rows (e-mail only when there is one)."""
    rows = [{"label": "联系电话", "key": "phone", "value": str(s.get("phone") or "")}]
    if s.get("email"):
        rows.append({"label": "电子邮箱", "value": str(s["email"])})
    return rows


def discount_row(s: dict) -> dict:
    note = s.get("discount_note") or "提供小微企业收费优惠，详询承办方"
    return {"label": "小微优惠", "value": note if s.get("small_business_discount") else "无"}


def online(item: dict) -> bool:
    return "online" in channels_of(item.get("channels"))
