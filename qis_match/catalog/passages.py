"""How a capability line reads to the retrievers.

One text per line, built from the line's own fields only (never the institution's name or
city), so that the same capability held by forty labs is one text, embedded once.
"""

from __future__ import annotations

from collections.abc import Mapping

from qis_match.taxonomy import Taxonomy


def capability_text(line: Mapping[str, str], taxonomy: Taxonomy) -> str:
    """``电热水壶：泄漏电流 GB 4706.1-2005 家用和类似用途电器的安全… （电子电器与电磁兼容检测）``."""
    head = line.get("object", "") or ""
    item = line.get("item", "") or ""
    if item:
        head = f"{head}：{item}" if head else item
    parts = [head]
    for col in ("standard", "standard_title", "measuring_range", "accuracy"):
        v = line.get(col, "") or ""
        if v:
            parts.append(v)
    desc = (line.get("description", "") or "")[:120]
    if desc:
        parts.append(desc)
    sub = taxonomy.sub_services.get(line.get("sub_service", ""))
    if sub is not None:
        parts.append(f"（{sub.name}）")
    return " ".join(p for p in parts if p)
