/* Shared DOM helpers and formatting: build elements with text only (see api.js), the page's
 * UI data (taxonomy names), dates, badges, evidence. */

export const UI = readUiData();
export const CAT_ORDER = (UI.categories || []).map((c) => c[0]);
const CAT = Object.fromEntries(UI.categories || []);
export const SUB = UI.sub_services || {};
export const STATUSES = UI.statuses || [];

export const LOCALITY = {
  same_city: "同城",
  same_province: "同省",
  national: "全国服务",
  elsewhere: "外地",
};
export const LAST_SEARCH = "qis.lastSearch"; // sessionStorage: the search the resource page goes back to
export const SOURCE = { signal: "强信号", classifier: "模型识别", retrieval: "检索识别" };

function readUiData() {
  const node = document.getElementById("ui-data");
  try {
    return node ? JSON.parse(node.textContent) : {};
  } catch (e) {
    return {};
  }
}

export function $(sel, root) {
  return (root || document).querySelector(sel);
}

/** Build an element. props: class, text, dataset, on<event>, properties or attributes.
 *  Children that are not Nodes become Text nodes (inert). */
export function el(tag, props, ...children) {
  const n = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") n.className = v;
      else if (k === "text") n.textContent = String(v);
      else if (k === "dataset") Object.assign(n.dataset, v);
      else if (k.startsWith("on") && typeof v === "function") n.addEventListener(k.slice(2), v);
      else if (typeof v === "boolean" || typeof v === "number") n[k] = v;
      else n.setAttribute(k, String(v));
    }
  }
  add(n, children);
  return n;
}

export function add(node, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false || c === "") continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

export function catName(code) {
  return CAT[code] || code || "";
}

export function catClass(code) {
  return Object.prototype.hasOwnProperty.call(CAT, code) ? "cat-" + code : "cat-unknown";
}

export function ticketNo(id) {
  return String(id).padStart(6, "0");
}

/** The API's times are UTC ("2026-12-01T20:35:59Z"; one without a zone is read as UTC too);
 *  a bare date is a local date. */
function parseDate(s) {
  if (!s) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return new Date(s + "T00:00:00");
  const iso = /(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : s + "Z";
  const d = new Date(iso);
  return isNaN(d.getTime()) ? null : d;
}

function pad2(n) {
  return String(n).padStart(2, "0");
}

export function fmtDate(s) {
  const d = parseDate(s);
  return d ? `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日` : "—";
}

export function fmtDateTime(s) {
  const d = parseDate(s);
  if (!d) return "—";
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(
    d.getHours()
  )}:${pad2(d.getMinutes())}`;
}

export function pct(x) {
  return typeof x === "number" ? Math.round(x * 100) + "%" : "";
}

/** province/city/district before the address, where the address does not already say them. */
export function fullAddress(o) {
  const addr = o.address || "";
  let prefix = "";
  for (const part of [o.province, o.city, o.district]) {
    if (part && !addr.includes(part) && !prefix.includes(part)) prefix += part;
  }
  return prefix + addr || "—";
}

/** A list field: an array, or a "|"-separated string. */
export function listOf(x) {
  if (Array.isArray(x)) return x.filter((v) => v !== null && v !== undefined && v !== "");
  return String(x || "")
    .split("|")
    .filter(Boolean);
}

// 已具备：检测 · 不需要：认证 — needs the text names but does not ask for (never referred).
export function notWantedText(needs) {
  const groups = {};
  for (const n of needs) {
    const label = n.status === "done" ? "已具备" : "不需要";
    (groups[label] = groups[label] || []).push(n.name + (n.text ? "（" + n.text + "）" : ""));
  }
  return Object.keys(groups)
    .map((k) => k + "：" + groups[k].join("、"))
    .join(" · ");
}

// 首问负责: the competent channel for the request, or for its non-QI part.
export function routeBlock(route, partial) {
  return el(
    "div",
    { class: "route", dataset: { route: route.code } },
    el("strong", null, (partial ? "另有非质量基础设施事项，请转至：" : "请转至：") + route.name),
    el("p", null, route.where + (route.hotline ? "，电话 " + route.hotline : "")),
    el("p", { class: "route-reason" }, route.reason + (partial ? "（" + route.text + "）" : ""))
  );
}

export function badge(text, kind, title) {
  return el("span", { class: "badge " + (kind || ""), title: title || null }, text);
}

/** Text with each occurrence of `terms` wrapped in <mark> (built with DOM methods). */
function highlight(text, terms) {
  text = String(text || "");
  const frag = document.createDocumentFragment();
  const lower = text.toLowerCase();
  const caseless = lower.length === text.length;
  const hay = caseless ? lower : text;
  const ranges = [];
  for (const term of new Set((terms || []).map(String).filter(Boolean))) {
    const needle = caseless ? term.toLowerCase() : term;
    let i = hay.indexOf(needle);
    while (i !== -1) {
      ranges.push([i, i + needle.length]);
      i = hay.indexOf(needle, i + needle.length);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  let pos = 0;
  for (const [s, e] of merged) {
    if (s > pos) frag.append(text.slice(pos, s));
    frag.append(el("mark", null, text.slice(s, e)));
    pos = e;
  }
  if (pos < text.length) frag.append(text.slice(pos));
  return frag;
}

export function evidenceList(evidence) {
  const ul = el("ul", { class: "evidence" });
  for (const ev of evidence || []) {
    const terms = ev.matched_terms || [];
    ul.append(
      el(
        "li",
        null,
        el("span", { class: "ev-text" }, highlight(ev.text, terms)),
        terms.length ? el("span", { class: "ev-terms" }, "命中：" + terms.join("、")) : null
      )
    );
  }
  return ul;
}
