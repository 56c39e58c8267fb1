"""The report people look at: one HTML page with the tables and charts, an XLSX workbook, PNGs.

The same display tables (:func:`sections`) feed the HTML report, the analyst API and the page in
the web service, so that the three always show the same numbers.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd
from jinja2 import Environment, select_autoescape

from qis_match.analytics.analysis import Analysis, kpi_rows
from qis_match.analytics.charts import draw_all
from qis_match.analytics.hunan import NOTE, SOURCE, TITLE, write_hunan_sheet
from qis_match.analytics.shenzhen import ARTICLE9, ARTICLE13, GRADING_NOTE
from qis_match.analytics.xlsx_safe import neutralise

PCT, NUM, INT, TXT = "pct", "num", "int", "txt"

# (column, label, format) of each display table.
SPECS: dict[str, list[tuple[str, str, str]]] = {
    "gaps": [
        ("category_name", "类别", TXT),
        ("sub_service_name", "细分服务", TXT),
        ("province", "省", TXT),
        ("city", "市", TXT),
        ("industry_name", "行业", TXT),
        ("requests", "需求（件）", INT),
        ("unmet", "未满足", INT),
        ("unmet_share", "未满足占比", PCT),
        ("share_same_city", "同城满足", PCT),
        ("share_same_province", "省内满足", PCT),
        ("providers_city", "同城机构", INT),
        ("providers_province", "省内机构", INT),
        ("providers_national", "全国性机构", INT),
        ("median_score", "得分中位数", NUM),
    ],
    "sub_services": [
        ("category_name", "类别", TXT),
        ("sub_service_name", "细分服务", TXT),
        ("needs", "需求项", INT),
        ("unmet", "未满足", INT),
        ("no_provider", "无资源", INT),
        ("flagged", "需复核", INT),
        ("far", "仅外地", INT),
        ("share_same_city", "同城满足", PCT),
        ("median_score", "得分中位数", NUM),
    ],
    "topics": [
        ("name", "主题", TXT),
        ("items", "需求项", INT),
        ("share", "占未满足", PCT),
        ("terms", "区分词（c-TF-IDF）", TXT),
        ("categories", "类别", TXT),
        ("regions", "主要地区", TXT),
        ("reasons", "原因", TXT),
        ("examples", "示例", TXT),
    ],
    "monthly": [
        ("month", "月份", TXT),
        ("requests", "需求记录", INT),
        ("abstained", "未识别", INT),
        ("flagged", "需复核", INT),
        ("unmet", "未满足", INT),
        ("unmet_share", "未满足占比", PCT),
    ],
    "tickets_monthly": [
        ("month", "月份", TXT),
        ("tickets", "工单", INT),
        ("closed", "办结", INT),
        ("overdue", "超时", INT),
        ("overdue_rate", "超时率", PCT),
        ("response_days_median", "响应中位数（天）", NUM),
        ("completion_days_median", "办结中位数（天）", NUM),
    ],
}


def _fmt(v, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "—"
    if kind == PCT:
        return f"{float(v):.1%}"
    if kind == NUM:
        return f"{float(v):.2f}" if abs(float(v)) < 10 else f"{float(v):.1f}"
    if kind == INT:
        return f"{int(v):,}"
    return str(v)


def display(
    df: pd.DataFrame, spec: list[tuple[str, str, str]] | None, limit: int | None = None
) -> dict:
    """A table as {columns, rows} of display strings (all columns as text when no spec)."""
    if df is None or df.empty:
        return {"columns": [s[1] for s in spec or []], "rows": []}
    if spec is None:
        spec = [(c, c, TXT) for c in df.columns]
    d = df.head(limit) if limit else df
    rows = [[_fmt(r[c], k) for c, _, k in spec] for r in d.to_dict("records")]
    return {"columns": [label for _, label, _ in spec], "rows": rows}


def sections(a: Analysis, limit: int = 30) -> dict:
    """The report's content, as display tables and notes (shared by HTML, API and page)."""
    by_city = a.demand_supply_city
    gaps_city = by_city[by_city["unmet"] > 0].sort_values(
        ["unmet", "requests"], ascending=False, kind="mergesort"
    )
    gaps = a.demand_supply[a.demand_supply["unmet"] > 0].sort_values(
        ["unmet", "requests"], ascending=False, kind="mergesort"
    )
    plat = a.platforms
    platform_rows = plat[plat["类型"] == "质量基础设施一站式服务平台"]
    grade_cols = [
        "名称",
        "市",
        "服务能力项数",
        *ARTICLE9.values(),
        "满足条件（第十三条）",
        "不满足条件",
        "无数据待核实",
        "服务业绩（日志）",
        "服务范围",
        "分类",
        "分级（示例规则）",
    ]
    dist = (
        plat.groupby(["分类", "分级（示例规则）"]).size().rename("机构数").reset_index()
        if len(plat)
        else pd.DataFrame()
    )
    return {
        "kpis": [list(x) for x in kpi_rows(a.kpis)],
        "gaps_city": display(
            gaps_city, [x for x in SPECS["gaps"] if x[0] != "industry_name"], limit
        ),
        "gaps": display(gaps, SPECS["gaps"], limit),
        "sub_services": display(a.by_sub_service, SPECS["sub_services"]),
        "topics": display(a.topics.table, SPECS["topics"]),
        "monthly": display(a.monthly, SPECS["monthly"]),
        "tickets_monthly": display(a.tickets_monthly, SPECS["tickets_monthly"]),
        "hunan": display(a.hunan, None),
        "hunan_title": TITLE,
        "hunan_source": SOURCE,
        "hunan_note": NOTE,
        "hunan_province": a.hunan_province or "全部地区",
        "platforms": display(platform_rows.reindex(columns=grade_cols), None, limit),
        "grading_top": display(plat.reindex(columns=grade_cols), None, limit),
        "grading_distribution": display(dist, None),
        "grading_note": GRADING_NOTE,
        "article13": [f"（{k}）{v}" for k, v in ARTICLE13.items()],
        "period": f"{a.kpis['first'][:10]} — {a.kpis['last'][:10]}",
    }


_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>质量基础设施需求缺口分析报告</title>
<style>
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top}th{background:#eef2f7}
td{max-width:420px}.kpi td:first-child{color:#555}.note{color:#555;font-size:13px}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}h2{border-bottom:2px solid #4f81bd}
</style></head><body>
<h1>质量基础设施“一站式”服务 需求缺口分析（找差距、补短板）</h1>
<p class="note">时段：{{ s.period }} · 生成时间：{{ generated }} · 数据：qis-match 需求日志与工单。
{% if demo %}<strong>演示数据：请求由演示生成器产生，机构与工单进展均为虚构。</strong>{% endif %}</p>
<h2>一、总体情况</h2>
<table class="kpi">{% for k, v in s.kpis %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>
<p class="note">未满足 = 未识别为质量基础设施需求、被标记需人工复核、无可转介资源，或只能由外省机构（或省内 {{ far_km|int }} 公里以外）满足；全国性机构远程服务不计为未满足。</p>
<h2>二、未满足需求分布</h2>
<img src="{{ charts.heat_unmet }}" alt="未满足需求热力图">
<h3>需求与供给：缺口最大的细分服务 × 城市</h3>
{{ table(s.gaps_city) }}
<h3>再按行业细分（类别 × 细分服务 × 地区 × 行业）</h3>
{{ table(s.gaps) }}
<h3>按细分服务</h3>
{{ table(s.sub_services) }}
<h2>三、未满足需求主题（聚类）</h2>
<img src="{{ charts.topics }}" alt="主题">
{{ table(s.topics) }}
<h2>四、趋势与办理时效</h2>
<img src="{{ charts.trend_monthly }}" alt="按月趋势">
{{ table(s.monthly) }}
<img src="{{ charts.ticket_times }}" alt="工单时效">
{{ table(s.tickets_monthly) }}
<h2>五、{{ s.hunan_title }}（{{ s.hunan_province }}）</h2>
<p class="note">格式依据：{{ s.hunan_source }}。{{ s.hunan_note }}</p>
{{ table(s.hunan) }}
<h2>六、服务平台评价（深圳办法第十三条、第十六条）</h2>
<p class="note">第十三条基本条件：{% for c in s.article13 %}{{ c }}；{% endfor %}</p>
<p class="note">{{ s.grading_note }}</p>
<h3>分类分级分布（全部机构）</h3>
{{ table(s.grading_distribution) }}
<h3>一站式服务平台</h3>
{{ table(s.platforms) }}
<h3>服务能力最全的机构</h3>
{{ table(s.grading_top) }}
<p class="note">完整表格见 {{ xlsx }}。</p>
</body></html>
"""

_TABLE = """{% macro table(t) %}<table><tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in t.rows %}<tr>{% for v in r %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
{% if not t.rows %}<tr><td colspan="{{ t.columns|length or 1 }}">（无数据）</td></tr>{% endif %}
</table>{% endmacro %}"""


def render_html(
    a: Analysis, charts: dict[str, str], xlsx: str, far_km: float, demo: bool = False
) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    tpl = env.from_string(_TABLE + _TEMPLATE)
    return tpl.render(
        s=sections(a),
        charts=charts,
        xlsx=xlsx,
        far_km=far_km,
        demo=demo,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
    )


def write_xlsx(a: Analysis, path: Path, unit: str) -> Path:
    """The workbook: 附件3 laid out as the plan prints it, then one sheet per analysis."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "附件3"
    write_hunan_sheet(ws, a.hunan, unit)
    sheets = {
        "总体情况": pd.DataFrame(kpi_rows(a.kpis), columns=["指标", "数值"]),
        "需求与供给（城市）": a.demand_supply_city,
        "需求与供给（城市×行业）": a.demand_supply,
        "细分服务": a.by_sub_service,
        "未满足主题": a.topics.table,
        "按月趋势": a.monthly,
        "工单时效": a.tickets_monthly,
        "平台评价": a.platforms,
    }
    for name, df in sheets.items():
        w = wb.create_sheet(name)
        w.append(list(df.columns))
        for row in df.itertuples(index=False):
            w.append([None if (isinstance(v, float) and math.isnan(v)) else v for v in row])
    w = wb.create_sheet("说明")
    for line in (GRADING_NOTE, NOTE, "演示数据中的机构、请求与工单进展均为虚构。"):
        w.append([line])
    neutralise(wb)  # no formula from user text (request texts, names)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_report(
    a: Analysis, out_dir: Path, far_km: float, unit: str = "（填报单位）", demo: bool = False
) -> dict[str, Path]:
    """report.html, demand_gaps.xlsx and the PNGs into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = draw_all(a, out_dir)
    xlsx = write_xlsx(a, out_dir / "demand_gaps.xlsx", unit)
    html = render_html(a, {k: p.name for k, p in charts.items()}, xlsx.name, far_km, demo)
    (out_dir / "report.html").write_text(html, encoding="utf-8")
    return {"html": out_dir / "report.html", "xlsx": xlsx, **charts}
