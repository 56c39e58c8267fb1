/* 企业查询 /search: the SME self-service search. */

import { api, errorText } from "./api.js";
import { setStatus } from "./chrome.js";
import { $, LAST_SEARCH, catClass, catName, clear, el, evidenceList } from "./render.js";
import { KINDS, isKind, kindName, kindOf } from "./kinds.js";
import { kindClass, referralBadges, referralFacts, resId, resName, resourceHref, resourceSummary, typeBadge } from "./cards.js";



export function init() {
  const form = $("#search-form");
  const status = $("#search-status");
  const results = $("#search-results");
  const fields = {
    q: $("#s-q"),
    category: $("#s-category"),
    province: $("#s-province"),
    city: $("#s-city"),
    accreditation: $("#s-accreditation"),
    region: $("#s-region"),
  };
  const checks = { online: $("#s-online"), discount: $("#s-discount") };
  const typeRadios = [...document.querySelectorAll("#s-type input[name=resource_type]")];
  const typeValue = () => (typeRadios.find((x) => x.checked) || { value: "" }).value;

  const initial = new URLSearchParams(location.search);
  for (const [k, input] of Object.entries(fields)) {
    if (initial.has(k)) input.value = initial.get(k);
  }
  for (const [k, box] of Object.entries(checks)) box.checked = initial.get(k) === "true";
  const t0 = initial.get("resource_type") || "";
  for (const r of typeRadios) r.checked = r.value === (isKind(t0) ? t0 : "");

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    run();
  });
  for (const box of [fields.category, checks.online, checks.discount, ...typeRadios]) {
    box.addEventListener("change", () => {
      if (results.childElementCount || fields.q.value.trim()) run();
    });
  }

  let seq = 0; // a newer search wins over a slower older one

  async function run() {
    const mine = ++seq;
    const params = new URLSearchParams();
    for (const [k, input] of Object.entries(fields)) {
      const v = input.value.trim();
      if (v) params.set(k, v);
    }
    for (const [k, box] of Object.entries(checks)) if (box.checked) params.set(k, "true");
    if (typeValue()) params.set("resource_type", typeValue());
    if (![...params.keys()].some((k) => k !== "region")) {
      setStatus(status, "请输入查询内容，或选择一个筛选条件。", "error");
      fields.q.focus();
      return;
    }
    history.replaceState(null, "", "?" + params.toString());
    try {
      sessionStorage.setItem(LAST_SEARCH, location.pathname + location.search);
    } catch (e) {
      /* private mode */
    }
    params.set("top_k", "30");
    setStatus(status, "正在查询……", "busy");
    $("#search-btn").disabled = true;
    try {
      const res = await api("GET", "/api/v1/search?" + params.toString());
      if (mine === seq) render(res, fields.q.value.trim());
    } catch (err) {
      if (mine !== seq) return;
      clear(results);
      setStatus(status, errorText(err, "查询"), "error");
    } finally {
      $("#search-btn").disabled = false;
    }
  }

  function render(res, q) {
    clear(results);
    const list = res.results || [];
    const what = typeValue() && isKind(typeValue()) ? kindOf(typeValue()).label : "服务资源";
    if (!list.length) {
      setStatus(
        status,
        q ? `未找到与“${q}”相关的${what}，可换个说法或放宽筛选条件后再试。` : `没有符合筛选条件的${what}。`,
        "empty"
      );
      return;
    }
    const per = KINDS.map((k) => [k.label, list.filter((r) => kindName(r) === String(k.name)).length])
      .filter(([, n]) => n)
      .map(([label, n]) => `${label} ${n}`);
    setStatus(status, `找到 ${res.count} 个结果（${per.join(" · ")}）${q ? `：“${q}”` : ""}`, "ok");
    for (const r of list) {
      results.append(
        el(
          "article",
          { class: "card result-card result-" + kindClass(r), dataset: { resourceId: resId(r), resourceType: kindName(r) } },
          el(
            "div",
            { class: "ref-title" },
            typeBadge(r),
            el("a", { class: "ref-name", href: resourceHref(resId(r)) }, resName(r)),
            el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
            referralBadges(r)
          ),
          resourceSummary(r, true),
          referralFacts(r),
          evidenceList(r.evidence)
        )
      );
    }
  }

  if ([...initial.keys()].length) run();
}
