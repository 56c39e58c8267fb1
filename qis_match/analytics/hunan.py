"""附件3 of the Hunan pilot plan (湘市监办发〔2021〕70号): 质量基础设施“一站式”服务试点工作情况统计表.

Its sixteen columns are kept exactly as the plan prints them. One row per region (city); a column
is filled from the log where the log holds the data (requests, tickets, expert referrals,
industries, enterprises, ratings) and left empty where it cannot (funding, pass-rate gains, savings,
profits, jobs): those are for the reporting bureau to fill in, never guessed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qis_match.analytics.frames import DemandFrames
from qis_match.analytics.xlsx_safe import neutralise

TITLE = "质量基础设施“一站式”服务试点工作情况统计表"
SOURCE = "《湖南省市场监督管理局关于聚合质量基础设施资源开展“一站式”服务试点的方案》附件3"
COLUMNS = [
    "序号",
    "地区（市、县）",
    "试点项目（站点、平台）名称",
    "基本情况（200字以内）",
    "本年度投入经费（万元）",
    "参与服务专家人次",
    "服务主要内容",
    "服务的主要产业",
    "服务次数",
    "服务市场主体数量",
    "服务产业产品质量合格率提升情况",
    "为企业节约费用（万元）",
    "为企业增长利润（万元）",
    "服务企业新增就业岗位数",
    "服务企业质量提高成效",
    "其他成效（拉动投资，增加产值等，200字以内）",
]
NOT_IN_LOG = [
    "本年度投入经费（万元）",
    "服务产业产品质量合格率提升情况",
    "为企业节约费用（万元）",
    "为企业增长利润（万元）",
    "服务企业新增就业岗位数",
]
NOTE = (
    "说明：服务次数 = 转介工单件数；服务市场主体数量 = 工单中不同企业名称数，未留企业名称的工单每件按 1 "
    "个主体计；参与服务专家人次 = 转介到专家库专家的次数；“"
    + "”“".join(NOT_IN_LOG)
    + "”需求日志中没有这些数据，留空由填报单位填写。"
)


def _top(series: pd.Series, names: dict | None = None, n: int = 3) -> str:
    vc = series.dropna().value_counts().head(n)
    return "、".join((names or {}).get(k, k) for k in vc.index)


def hunan_table(
    frames: DemandFrames,
    platforms: pd.DataFrame,
    province: str | None = "湖南省",
    sub_names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """附件3, one row per city of ``province`` (all provinces when None) that had demand.

    ``platforms`` lists catalog institutions of type 质量基础设施一站式服务平台 with province, city
    and name: they name the 试点项目 of their city.
    """
    r, n, t = frames.requests, frames.needs, frames.tickets
    refs = frames.ticket_referrals
    if province:
        r, n, t = (x[x["province"] == province] for x in (r, n, t))
    rows = []
    keys = r.dropna(subset=["city"]).groupby(["province", "city"]).size()
    keys = keys.sort_values(ascending=False)
    for (prov, city), n_req in keys.items():
        rn = n[(n["province"] == prov) & (n["city"] == city)]
        tc = t[(t["province"] == prov) & (t["city"] == city)]
        tr = refs[refs["ticket_id"].isin(tc["id"])]
        named = tc["enterprise"].dropna()
        entities = named.nunique() + int(tc["enterprise"].isna().sum())
        pl = platforms[(platforms["province"] == prov) & (platforms["city"] == city)]["name"]
        closed = int(tc["closed_at"].notna().sum())
        overdue = int(tc["overdue"].sum())
        rated = tc["rating"].dropna()
        local = rn["served_same_city"].mean() if len(rn) else float("nan")
        basic = (
            f"受理企业需求{int(n_req)}件（{len(rn)}项服务需求），转介工单{len(tc)}件；"
            f"同城可满足{local:.0%}，未满足需求{int(rn['unmet'].sum())}项。"
            if len(rn)
            else f"受理企业需求{int(n_req)}件，未识别出质量基础设施服务需求。"
        )
        rows.append(
            {
                "地区（市、县）": city,
                "试点项目（站点、平台）名称": "、".join(pl.head(2)) or "（本地无一站式服务平台）",
                "基本情况（200字以内）": basic[:200],
                "参与服务专家人次": int((tr["resource_type"] == "expert").sum()),
                "服务主要内容": _top(tr["sub_service"], sub_names),
                "服务的主要产业": _top(
                    r[(r["province"] == prov) & (r["city"] == city)]["industry_name"]
                ),
                "服务次数": len(tc),
                "服务市场主体数量": int(entities),
                "服务企业质量提高成效": (
                    f"回访{len(rated)}件，企业评价平均{rated.mean():.1f}分（满分5分）"
                    if len(rated)
                    else ""
                ),
                "其他成效（拉动投资，增加产值等，200字以内）": (
                    f"办结{closed}件，超过办结时限{overdue}件" if len(tc) else ""
                ),
            }
        )
    out = pd.DataFrame(rows)
    out.insert(0, "序号", range(1, len(out) + 1))
    for c in NOT_IN_LOG:
        out[c] = ""
    return out.reindex(columns=COLUMNS)


def write_hunan_sheet(ws, table: pd.DataFrame, unit: str) -> None:
    """Lay the table out as the plan prints it: title, 填报单位, header, rows, note."""
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    ncol = len(COLUMNS)
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append([f"填报单位：{unit}"])
    ws.append(COLUMNS)
    for row in table.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) else v for v in row])
    last = ws.max_row
    for r in range(3, last + 1):
        for c in range(1, ncol + 1):
            cell = ws.cell(r, c)
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for c in range(1, ncol + 1):
        ws.cell(3, c).font = Font(bold=True)
        ws.column_dimensions[ws.cell(3, c).column_letter].width = 14 if c > 1 else 6
    ws.column_dimensions["D"].width = 40
    ws.append([])
    ws.append([NOTE])
    ws.append([f"来源：{SOURCE}；数据：qis-match 需求日志（演示数据为虚构）。"])


def write_hunan_xlsx(table: pd.DataFrame, path: Path, unit: str) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "附件3"
    write_hunan_sheet(ws, table, unit)
    neutralise(wb)  # no formula from user text (the unit, region names)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
