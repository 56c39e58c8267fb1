/* 受理台 /console: a request in, the needs and their referrals out, then a ticket. */

import { ApiError, api, errorText, getKey, isAuthError, path } from "./api.js";
import { flash, setStatus } from "./chrome.js";
import { $, SUB, SOURCE, add, badge, catClass, catName, clear, el, evidenceList, fmtDate, notWantedText, pct, routeBlock, ticketNo } from "./render.js";
import { kindName, kindOf } from "./kinds.js";
import { kindClass, referralBadges, referralFacts, resId, resName, resourceHref, resourceSummary, typeBadge } from "./cards.js";

const REGION_STORE = "qis.region"; // localStorage: a window serves one place

export function init() {
  const form = $("#match-form");
  const text = $("#req-text");
  const region = $("#req-region");
  const count = $("#char-count");
  const btn = $("#match-btn");
  const status = $("#match-status");
  const createBtn = $("#create-ticket");
  let current = null; // {text, region, result}

  try {
    // the window's usual place, unless something was typed already
    if (!region.value) region.value = localStorage.getItem(REGION_STORE) || "";
  } catch (e) {
    /* private mode */
  }

  const refreshStale = () => {
    count.textContent = `${text.value.length} / 2000`;
    if (!current) return;
    const stale = text.value.trim() !== current.text || region.value.trim() !== current.region;
    $("#stale-note").hidden = !stale;
    createBtn.disabled = stale || current.created;
  };
  text.addEventListener("input", refreshStale);
  region.addEventListener("input", refreshStale);
  text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = text.value.trim();
    const r = region.value.trim();
    if (!t) {
      setStatus(status, "请先粘贴或输入企业诉求。", "error");
      text.focus();
      return;
    }
    try {
      localStorage.setItem(REGION_STORE, r);
    } catch (e) {
      /* private mode */
    }
    btn.disabled = true;
    setStatus(status, "正在识别需求并匹配承办方……", "busy");
    try {
      const res = await api("POST", "/api/v1/match", { body: { text: t, region: r || null } });
      current = { text: t, region: r, result: res, created: false };
      renderMatch(res);
      setStatus(
        status,
        res.needs.length
          ? `识别出 ${res.needs.length} 项服务需求，用时 ${Math.round(res.elapsed_ms)} 毫秒。`
          : "未识别出服务需求。",
        "ok"
      );
      refreshStale();
    } catch (err) {
      current = null;
      $("#result").hidden = true;
      setStatus(status, errorText(err, "匹配"), "error");
    } finally {
      btn.disabled = false;
    }
  });

  createBtn.addEventListener("click", () => createTicket());

  function renderMatch(res) {
    $("#result").hidden = false;

    const review = $("#review");
    review.hidden = !res.needs_review;
    const reasons = clear($("#review-reasons"));
    for (const reason of res.review_reasons || []) reasons.append(el("li", null, reason));
    if (res.needs_review && !(res.review_reasons || []).length) {
      reasons.append(el("li", null, "系统建议由窗口人员复核。"));
    }

    const abstain = $("#abstain");
    const notWanted = notWantedText(res.needs_not_wanted || []);
    abstain.hidden = res.needs.length > 0 && !res.route && !notWanted;
    clear(abstain);
    if (!res.needs.length) {
      add(abstain, [
        el("strong", null, "未识别到质量基础设施服务需求"),
        el("p", null, res.abstain_reason || "请与企业进一步确认诉求后重新匹配。"),
      ]);
    }
    if (notWanted) add(abstain, [el("p", { class: "not-wanted" }, notWanted)]);
    if (res.route) add(abstain, [routeBlock(res.route, res.needs.length > 0)]);

    renderNormText(res);
    renderEntities(res.entities || {});
    renderBundle(res.bundle || []);

    const anyReferral = (res.bundle || []).some((b) => (b.referrals || []).length);
    $("#ticket-box").hidden = !anyReferral;
    $("#bundle-section").hidden = !(res.bundle || []).length;
    const out = $("#ticket-result");
    out.hidden = true;
    clear(out);
    createBtn.disabled = false;
  }

  function renderNormText(res) {
    const box = clear($("#norm-text"));
    const txt = String(res.text || "");
    // Which needs cover each character; consecutive characters with the same set form a run.
    const cover = Array.from({ length: txt.length }, () => []);
    for (const n of res.needs || []) {
      if (typeof n.start !== "number" || typeof n.end !== "number") continue;
      for (let i = Math.max(0, n.start); i < Math.min(txt.length, n.end); i++) {
        if (!cover[i].includes(n.category)) cover[i].push(n.category);
      }
    }
    let i = 0;
    while (i < txt.length) {
      const key = cover[i].join(",");
      let j = i + 1;
      while (j < txt.length && cover[j].join(",") === key) j++;
      const piece = txt.slice(i, j);
      if (key) {
        box.append(
          el(
            "span",
            {
              class: "need-span " + catClass(cover[i][0]),
              title: cover[i].map(catName).join("、"),
            },
            piece
          )
        );
      } else {
        box.append(piece);
      }
      i = j;
    }
  }

  function renderEntities(e) {
    const dl = clear($("#entities"));
    const row = (label, value) => {
      const empty =
        value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);
      dl.append(el("dt", null, label), el("dd", { class: empty ? "empty" : null }, empty ? "—" : value));
    };
    const chips = (xs) => (xs || []).map((x) => el("span", { class: "chip" }, x));

    row("企业", e.enterprise || null);
    const place = [e.province, e.city, e.district].filter(Boolean).join("");
    const regionBits = [];
    if (place) regionBits.push(place);
    if (place && e.region_source === "text") regionBits.push(el("small", null, "（从诉求中识别）"));
    if ((e.region_ambiguous || []).length) {
      regionBits.push(
        el("span", { class: "badge warn" }, "地区不明确：" + e.region_ambiguous.join("、"))
      );
    }
    row("地区", regionBits.length ? regionBits : null);
    row(
      "行业",
      e.industry
        ? `${e.industry.section || ""}${e.industry.code || ""} ${e.industry.name || ""}`.trim()
        : null
    );
    row("产品", chips(e.products));
    row("标准", chips(e.standards));
    row("认证/体系", chips(e.schemes));
    const markets = chips(e.markets);
    if (e.export) markets.push(badge("出口", "export"));
    row("目标市场", markets);
    const when = [];
    if (e.deadline) when.push(el("strong", null, e.deadline));
    if (e.deadline_text) when.push(`（${e.deadline_text}）`);
    if (e.urgency) when.push(badge("加急", "urgent"));
    row("企业期限", when);
  }

  function renderBundle(bundle) {
    const box = clear($("#bundle"));
    bundle.forEach((need, ni) => {
      const card = el("article", {
        class: "card need-card " + catClass(need.category),
        dataset: { category: need.category },
      });
      card.dataset.resourceType = kindName(need);
      card.append(
        el(
          "header",
          { class: "need-head" },
          el("span", { class: "cat-badge " + catClass(need.category) }, need.name || catName(need.category)),
          el("strong", { class: "need-sub" }, need.sub_service_name || SUB[need.sub_service] || ""),
          el(
            "span",
            { class: "need-rtype rtype-" + kindClass(need), dataset: { resourceType: kindName(need) }, title: "承办方类型" },
            "由" + kindOf(need).label + "承办"
          ),
          el("span", { class: "score", title: "需求置信度" }, "置信度 " + pct(need.score)),
          need.source ? el("span", { class: "source" }, SOURCE[need.source] || need.source) : null
        )
      );
      if (need.text) card.append(el("blockquote", { class: "need-span-text" }, need.text));

      const refs = need.referrals || [];
      if (!refs.length) {
        card.append(el("p", { class: "no-ref" }, `暂无可承办该项需求的${kindOf(need).label}（已记为未满足需求，请人工协调）。`));
        box.append(card);
        return;
      }
      const list = el("div", { class: "ref-list", role: "radiogroup", "aria-label": "选择承办方" });
      const reasonWrap = el(
        "div",
        { class: "override", hidden: true },
        el("label", { for: `reason-${ni}` }, "改选理由（必填）"),
        el("input", {
          id: `reason-${ni}`,
          class: "override-reason",
          type: "text",
          maxlength: "500",
          placeholder: "如：企业指定、离企业更近、已有合作、专家档期……",
        }),
        el("span", { class: "field-error", hidden: true }, "改选非首选承办方时必须填写改选理由")
      );
      const reasonInput = $("input", reasonWrap);
      reasonInput.addEventListener("input", () => {
        $(".field-error", reasonWrap).hidden = true;
        reasonInput.classList.remove("bad");
      });

      refs.forEach((r, ri) => {
        const id = `pick-${ni}-${ri}`;
        const radio = el("input", {
          type: "radio",
          id,
          name: `pick-${ni}`,
          value: resId(r),
          checked: ri === 0,
          dataset: { rank: String(ri), resourceType: kindName(r) },
        });
        radio.addEventListener("change", () => {
          reasonWrap.hidden = ri === 0;
          for (const row of list.children) row.classList.toggle("picked", row.contains(radio));
          if (ri !== 0) reasonInput.focus();
        });
        const row = el(
          "div",
          {
            class: "ref ref-" + kindClass(r) + (ri === 0 ? " picked" : ""),
            dataset: { resourceId: resId(r), resourceType: kindName(r) },
          },
          radio,
          el(
            "label",
            { for: id, class: "ref-body" },
            el(
              "div",
              { class: "ref-title" },
              el("span", { class: "rank" }, String(ri + 1)),
              typeBadge(r),
              el("span", { class: "ref-name" }, resName(r)),
              ri === 0 ? badge("推荐", "top") : null,
              referralBadges(r),
              (r.covers || []).length > 1
                ? badge("兼办：" + r.covers.map(catName).join("、"), "covers")
                : null
            ),
            resourceSummary(r, false),
            referralFacts(r),
            evidenceList(r.evidence)
          ),
          el(
            "a",
            {
              class: "ref-link",
              href: resourceHref(resId(r)),
              target: "_blank",
              rel: "noopener",
            },
            kindOf(r).detail_link
          )
        );
        list.append(row);
      });
      card.append(list, reasonWrap);
      box.append(card);
    });
  }

  async function createTicket() {
    if (!current) return;
    const out = $("#ticket-result");
    const choices = [];
    let firstBad = null;
    for (const card of document.querySelectorAll("#bundle .need-card")) {
      const picked = $("input[type=radio]:checked", card);
      if (!picked) continue;
      const rank = Number(picked.dataset.rank);
      const reasonWrap = $(".override", card);
      const reasonInput = $(".override-reason", card);
      const reason = reasonInput.value.trim();
      if (rank > 0 && !reason) {
        $(".field-error", reasonWrap).hidden = false;
        reasonInput.classList.add("bad");
        firstBad = firstBad || reasonInput;
      }
      choices.push({
        category: card.dataset.category,
        institution_id: picked.value,
        override_reason: rank > 0 ? reason : null,
      });
    }
    if (firstBad) {
      out.hidden = false;
      clear(out).append(el("p", { class: "error" }, "改选了非首选承办方的需求，请填写改选理由。"));
      firstBad.focus();
      return;
    }
    if (!choices.length) {
      out.hidden = false;
      clear(out).append(el("p", { class: "error" }, "没有可转介的需求，无法创建工单。"));
      return;
    }
    if (!getKey()) {
      out.hidden = false;
      clear(out).append(el("p", { class: "error" }, errorText(new ApiError(0), "创建工单")));
      $("#api-key").focus();
      return;
    }
    createBtn.disabled = true;
    out.hidden = false;
    clear(out).append(el("p", { class: "busy" }, "正在创建工单……"));
    try {
      const t = await api("POST", "/api/v1/tickets", {
        auth: true,
        // the match the clerk saw: the ticket reuses it (and its demand-log row) by this id
        body: {
          text: current.text,
          region: current.region || null,
          request_id: current.result.request_id || null,
          choices,
        },
      });
      current.created = true;
      clear(out).append(
        el(
          "div",
          { class: "ticket-made" },
          el("p", { class: "ok" }, "工单已创建"),
          el(
            "dl",
            { class: "details" },
            el("dt", null, "工单号"),
            el("dd", { class: "ticket-no", dataset: { ticketId: String(t.id) } }, ticketNo(t.id)),
            el("dt", null, "限时办结"),
            el("dd", { class: "ticket-deadline" }, fmtDate(t.deadline)),
            el("dt", null, "当前状态"),
            el("dd", null, t.status)
          ),
          el(
            "p",
            { class: "actions" },
            el("a", { class: "btn primary", href: path("/slip/", t.id), id: "slip-link" }, "打开一次性告知单"),
            el("a", { class: "btn ghost", href: "/board" }, "到工单看板")
          )
        )
      );
    } catch (err) {
      createBtn.disabled = false;
      clear(out).append(el("p", { class: "error" }, errorText(err, "创建工单")));
      if (isAuthError(err)) flash(errorText(err, "创建工单"), "error");
    }
  }
}
