"""The charts as PNG (matplotlib, Agg backend: no display needed).

Chinese labels need a CJK font; the first of the known ones that is installed is used (Debian's
fonts-wqy-microhei, Noto CJK, …). Without one the charts still render, with the category codes and
plain ASCII labels instead of Chinese, rather than boxes.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from qis_match.taxonomy import CATEGORY_CODES, load_taxonomy  # noqa: E402

log = logging.getLogger(__name__)
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
CHARTS = ("heat_unmet", "topics", "trend_monthly", "ticket_times")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed CJK font, or None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    log.warning("no CJK font found (install fonts-wqy-microhei): charts use ASCII labels")
    return None


def _setup() -> bool:
    font = cjk_font()
    if font:
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
    return font is not None


def _label(zh: str, en: str, cjk: bool) -> str:
    return zh if cjk else en


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def heat_unmet(heat: pd.DataFrame, path: Path, top_cities: int = 20) -> Path:
    """Unmet needs by category × city (the cities with most demand), counts in the cells."""
    cjk = _setup()
    names = {c.code: c.name for c in load_taxonomy().categories}
    h = heat.dropna(subset=["city"])
    cities = h.groupby("city")["needs"].sum().sort_values(ascending=False).head(top_cities).index
    m = (
        h[h["city"].isin(cities)]
        .pivot_table(index="city", columns="category", values="unmet", aggfunc="sum", fill_value=0)
        .reindex(index=cities, columns=list(CATEGORY_CODES), fill_value=0)
    )
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.36 * len(m) + 1.2)))
    im = ax.imshow(
        m.to_numpy(), aspect="auto", cmap="OrRd", vmin=0, vmax=max(1, int(m.to_numpy().max()))
    )
    ax.set_xticks(range(len(m.columns)))
    ax.set_xticklabels([names[c] if cjk else c for c in m.columns], rotation=30, ha="right")
    ax.set_yticks(range(len(m.index)))
    ax.set_yticklabels(list(m.index) if cjk else [f"city {i + 1}" for i in range(len(m))])
    for (i, j), v in np.ndenumerate(m.to_numpy()):
        if v:
            ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label=_label("未满足需求项", "unmet needs", cjk))
    ax.set_title(
        _label("未满足需求：服务类别 × 城市（需求最多的城市）", "Unmet needs: category x city", cjk)
    )
    return _save(fig, path)


def topics_bar(topics: pd.DataFrame, path: Path, top: int = 12) -> Path:
    cjk = _setup()
    t = topics.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.42 * len(t) + 1)))
    labels = t["name"].tolist() if cjk else [f"topic {x}" for x in t["topic"]]
    ax.barh(range(len(t)), t["items"].to_numpy(), color="#c0504d")
    ax.set_yticks(range(len(t)))
    ax.set_yticklabels(labels)
    for i, v in enumerate(t["items"].to_numpy()):
        ax.text(v, i, f" {int(v)}", va="center", fontsize=8)
    ax.set_xlabel(_label("未满足需求项", "unmet items", cjk))
    ax.set_title(_label("未满足需求的主要主题", "Top unmet-demand topics", cjk))
    return _save(fig, path)


def trend_monthly(monthly: pd.DataFrame, monthly_category: pd.DataFrame, path: Path) -> Path:
    cjk = _setup()
    names = {c.code: c.name for c in load_taxonomy().categories}
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    months = monthly["month"].tolist()
    x = np.arange(len(months))
    a1.bar(x, monthly["requests"], color="#4f81bd", label=_label("需求记录", "requests", cjk))
    a1.bar(x, monthly["unmet"], color="#c0504d", label=_label("未满足", "unmet", cjk))
    a1b = a1.twinx()
    a1b.plot(
        x,
        monthly["unmet_share"] * 100,
        color="black",
        marker="o",
        label=_label("未满足占比 %", "unmet %", cjk),
    )
    a1b.set_ylim(0, max(5.0, float(monthly["unmet_share"].max() * 130) if len(monthly) else 5))
    a1.legend(loc="upper left", fontsize=8)
    a1b.legend(loc="upper right", fontsize=8)
    a1.set_title(_label("按月需求与未满足需求", "Requests and unmet demand by month", cjk))
    p = monthly_category.pivot_table(
        index="month", columns="category", values="needs", aggfunc="sum", fill_value=0
    ).reindex(months, fill_value=0)
    for c in [c for c in CATEGORY_CODES if c in p.columns]:
        a2.plot(x, p[c].to_numpy(), marker=".", label=names[c] if cjk else c)
    a2.legend(ncol=4, fontsize=8)
    a2.set_title(_label("按月各类服务需求", "Needs by category and month", cjk))
    a2.set_xticks(x)
    a2.set_xticklabels(months, rotation=45, ha="right")
    return _save(fig, path)


def ticket_times(tickets: pd.DataFrame, path: Path) -> Path:
    cjk = _setup()
    fig, ax = plt.subplots(figsize=(8, 3.5))
    data = [
        tickets["response_days"].dropna().to_numpy(),
        tickets["completion_days"].dropna().to_numpy(),
    ]
    labels = [_label("响应（至机构受理）", "response", cjk), _label("办结", "completion", cjk)]
    if all(len(d) for d in data):
        ax.boxplot(data, orientation="horizontal", showfliers=False)
        ax.set_yticks([1, 2])
        ax.set_yticklabels(labels)
    else:
        ax.text(
            0.5,
            0.5,
            _label("暂无工单", "no tickets", cjk),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_xlabel(_label("天", "days", cjk))
    ax.set_title(_label("工单响应与办结时间", "Ticket response and completion time", cjk))
    return _save(fig, path)


def draw_all(analysis, out_dir: Path) -> dict[str, Path]:
    """Every chart of an :class:`~qis_match.analytics.analysis.Analysis` into ``out_dir``."""
    out_dir = Path(out_dir)
    return {
        "heat_unmet": heat_unmet(analysis.heat, out_dir / "heat_unmet.png"),
        "topics": topics_bar(analysis.topics.table, out_dir / "topics.png"),
        "trend_monthly": trend_monthly(
            analysis.monthly, analysis.monthly_category, out_dir / "trend_monthly.png"
        ),
        "ticket_times": ticket_times(analysis.frames.tickets, out_dir / "ticket_times.png"),
    }
