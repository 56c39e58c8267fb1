"""Platform evaluation after the Shenzhen rules (深圳市市场监督管理局质量基础设施“一站式”服务平台管理办法).

第十三条 sets seven basic conditions for a platform to apply; (六) asks for at least five of the
eight service capabilities of 第九条. 第十六条 lets the bureau classify and grade platforms "by
service range, functional features and service capability" and leaves the detailed rules to be
written later (分类分级细则另行制订). So this module:

- counts each institution's 第九条 capabilities from its catalog lines (a shared instrument counts
  for its owner: 第九条(三) names 仪器设备开放共享 under testing);
- checks each 第十三条 condition it can check from the catalog and the log, and says 无数据 for the
  rest (operating years, management system, credit standing, staff count) instead of guessing;
- classifies and grades with a **proposed** scheme built only from the three dimensions 第十六条
  names, labelled as such, until the bureau publishes its 细则.
"""

from __future__ import annotations

import pandas as pd

from qis_match.analytics.frames import DemandFrames
from qis_match.store.index_store import IndexData
from qis_match.taxonomy import CATEGORY_CODES

# 第九条 (一)…(八), in the rules' order, with the category code each maps to.
ARTICLE9 = {
    "metrology": "计量服务",
    "standards": "标准服务",
    "testing": "检验检测服务",
    "certification": "认证认可服务",
    "quality": "质量管理服务",
    "ip": "知识产权服务",
    "brand": "品牌培育服务",
    "other": "其他特色服务",
}
ARTICLE13 = {
    "一": "持续运营2年以上",
    "二": "健全的管理制度、规范的服务流程和服务质量保证措施，财务状况良好",
    "三": "诚信守法运营，不属于严重失信主体",
    "四": "固定的经营服务场所和必要的服务设施、仪器设备",
    "五": "从事企业服务的人员不少于10人",
    "六": "具有第九条所列的五项及以上服务能力",
    "七": "近2年服务企业数量稳步增长",
}
SCOPE = {"national": "全国", "province": "全省", "local": "本地"}
GRADING_NOTE = (
    "分类分级为按第十六条三个维度（服务范围、功能特点、服务能力）拟定的示例规则，深圳市“分类分级细则”"
    "另行制订，发布后应以其为准。分类：具备第九条服务能力≥5项为综合服务型，2–4项为专业服务型，1项为单项服务型。"
    "分级：一级 = 能力≥7项且服务范围全省或全国；二级 = 能力≥5项；三级 = 其余。"
    "第十三条（一）（二）（三）（五）目录与日志中无相应数据，标为“无数据”，需申报材料核实。"
)


def capabilities(index: IndexData) -> pd.DataFrame:
    """Institution × 8 categories: True where it has a capability line (own or its instrument)."""
    lines = index.lines[["resource_id", "category"]].drop_duplicates()
    res = index.resources.set_index("resource_id")
    owner = lines["resource_id"].map(res["institution_id"]).fillna(lines["resource_id"])
    owner = owner.where(owner.astype(bool), lines["resource_id"])
    types = lines["resource_id"].map(res["resource_type"])
    held = lines.assign(institution_id=owner)[types != "expert"]
    m = pd.crosstab(held["institution_id"], held["category"]).reindex(
        columns=list(CATEGORY_CODES), fill_value=0
    )
    return m > 0


def grade_institutions(
    index: IndexData, frames: DemandFrames | None = None, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per institution: capabilities, 第十三条 met/missed/无数据, class and grade."""
    res = index.resources
    inst = res[res["resource_type"] == "institution"].set_index("resource_id")
    caps = capabilities(index).reindex(inst.index, fill_value=False)
    instruments = res[res["resource_type"] == "instrument"].groupby("institution_id").size()
    served = pd.Series(dtype=float)
    served_prev = pd.Series(dtype=float)
    months = 0.0
    if frames is not None and len(frames.tickets):
        t = frames.tickets
        refs = frames.ticket_referrals.merge(
            t[["id", "created_at", "enterprise"]], left_on="ticket_id", right_on="id"
        )
        end = pd.Timestamp(as_of or frames.as_of)
        months = (end - t["created_at"].min()) / pd.Timedelta(days=30.44)
        one = end - pd.DateOffset(years=1)
        two = end - pd.DateOffset(years=2)
        cur = refs[refs["created_at"] >= one]
        prev = refs[(refs["created_at"] >= two) & (refs["created_at"] < one)]
        served = cur.groupby("institution_id")["ticket_id"].nunique()
        served_prev = prev.groupby("institution_id")["ticket_id"].nunique()
    rows = []
    for iid, r in inst.iterrows():
        c = caps.loc[iid]
        n_caps = int(c.sum())
        n_instr = int(instruments.get(iid, 0))
        has_site = bool(str(r.get("address") or "").strip())
        met, missed, unknown = [], [], []
        for k in ("一", "二", "三", "五"):
            unknown.append(k)
        if has_site and (n_instr > 0 or bool(c.get("metrology")) or bool(c.get("testing"))):
            met.append("四")
        else:
            missed.append("四")
        (met if n_caps >= 5 else missed).append("六")
        now_n, prev_n = int(served.get(iid, 0)), int(served_prev.get(iid, 0))
        if months >= 24:
            (met if now_n > prev_n and now_n > 0 else missed).append("七")
            growth = f"近一年转介{now_n}件，前一年{prev_n}件"
        else:
            unknown.append("七")
            growth = f"日志仅{months:.0f}个月：转介{now_n}件" if months else "日志无工单"
        klass = "综合服务型" if n_caps >= 5 else ("专业服务型" if n_caps >= 2 else "单项服务型")
        scope = SCOPE.get(str(r.get("service_area")), "本地")
        grade = (
            "一级"
            if n_caps >= 7 and scope in ("全省", "全国")
            else ("二级" if n_caps >= 5 else "三级")
        )
        rows.append(
            {
                "institution_id": iid,
                "名称": r["name"],
                "类型": r["type"],
                "省": r["province"],
                "市": r["city"],
                "服务能力项数": n_caps,
                **{ARTICLE9[k]: "✓" if c.get(k) else "" for k in CATEGORY_CODES},
                "共享仪器台数": n_instr,
                "满足条件（第十三条）": "、".join(f"（{k}）" for k in met),
                "不满足条件": "、".join(f"（{k}）{ARTICLE13[k]}" for k in missed),
                "无数据待核实": "、".join(f"（{k}）" for k in unknown),
                "服务业绩（日志）": growth,
                "服务范围": scope,
                "分类": klass,
                "分级（示例规则）": grade,
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["服务能力项数", "institution_id"], ascending=[False, True]).reset_index(
        drop=True
    )
