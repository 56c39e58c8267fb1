// The analyst page (issue #8): tables and charts from /api/v1/analytics with the analyst key.
// Every string is rendered with textContent (inert); charts arrive as PNG and are shown as data:
// URLs (the page's CSP allows img-src 'self' data:).

import { getKey } from "./api.js";

const $ = (s) => document.querySelector(s);

const key = getKey;

function query() {
  const p = new URLSearchParams();
  const since = $("#a-since").value;
  const until = $("#a-until").value;
  const prov = $("#a-province").value.trim();
  if (since) p.set("since", since);
  if (until) p.set("until", until);
  if (prov) p.set("province", prov);
  return p.toString();
}

function status(msg) {
  $("#a-status").textContent = msg;
}

function table(el, t) {
  el.textContent = "";
  const tab = document.createElement("table");
  tab.className = "table";
  const head = tab.insertRow();
  for (const c of t.columns) {
    const th = document.createElement("th");
    th.textContent = c;
    head.appendChild(th);
  }
  for (const r of t.rows) {
    const tr = tab.insertRow();
    for (const v of r) tr.insertCell().textContent = v;
  }
  if (!t.rows.length) tab.insertRow().insertCell().textContent = "（无数据）";
  el.appendChild(tab);
}

async function fetchAuth(url) {
  const res = await fetch(url, { headers: { "X-API-Key": key() }, cache: "no-store" });
  if (!res.ok) {
    let detail = "HTTP " + res.status;
    try {
      detail = (await res.json()).detail || detail;
    } catch (e) {
      /* not JSON */
    }
    const err = new Error(typeof detail === "string" ? detail : "HTTP " + res.status);
    err.status = res.status;
    throw err;
  }
  return res;
}

async function chart(name, q) {
  const res = await fetchAuth("/api/v1/analytics/charts/" + name + ".png?" + q);
  const blob = await res.blob();
  const url = await new Promise((ok, bad) => {
    const r = new FileReader();
    r.onload = () => ok(r.result);
    r.onerror = bad;
    r.readAsDataURL(blob);
  });
  $("#chart-" + name).src = url;
}

async function load() {
  if (!key()) {
    status("请先在页首输入分析员密钥。");
    return;
  }
  status("分析中…（首次需要聚类，可能要几秒）");
  const q = query();
  try {
    const data = await (await fetchAuth("/api/v1/analytics/summary?" + q)).json();
    const s = data.sections;
    $("#a-period").textContent = "时段：" + s.period;
    const kpis = $("#a-kpis");
    kpis.textContent = "";
    for (const [k, v] of s.kpis) {
      const tr = kpis.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = v;
    }
    for (const el of document.querySelectorAll("[data-section]")) table(el, s[el.dataset.section]);
    $("#a-hunan-title").textContent = s.hunan_title + "（" + s.hunan_province + "）";
    $("#a-hunan-note").textContent = "格式依据：" + s.hunan_source + "。" + s.hunan_note;
    $("#a-grading-note").textContent = s.grading_note;
    $("#a-report").hidden = false;
    await Promise.all(data.charts.map((c) => chart(c, q)));
    status("已更新。");
  } catch (e) {
    status(e.status === 401 || e.status === 403 ? "需要分析员密钥：" + e.message : "失败：" + e.message);
  }
}

async function download(ev) {
  ev.preventDefault();
  try {
    const blob = await (await fetchAuth("/api/v1/analytics/report.xlsx?" + query())).blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "demand_gaps.xlsx";
    document.body.appendChild(a);
    a.click();
    a.remove();
  } catch (e) {
    status("下载失败：" + e.message);
  }
}

export function init() {
  $("#a-load").addEventListener("click", load);
  $("#a-xlsx").addEventListener("click", download);
  if (key()) load();
}
