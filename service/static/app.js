/* qis-match 一站式服务窗口 — the pages' only script (vanilla, no build step).
 *
 * Security rule for this file: every string that comes from the API or from the user is put
 * into the page as text (textContent, Text nodes, createElement). Nothing here parses an HTML
 * string (no innerHTML or the like) or evaluates code from a string.
 */
(function () {
  "use strict";

  const KEY_STORE = "qis.apiKey"; // sessionStorage: the clerk's key lives as long as the tab
  const REGION_STORE = "qis.region"; // localStorage: a window serves one place
  const LAST_SEARCH = "qis.lastSearch";

  const UI = readUiData();
  const CAT_ORDER = (UI.categories || []).map((c) => c[0]);
  const CAT = Object.fromEntries(UI.categories || []);
  const SUB = UI.sub_services || {};
  const STATUSES = UI.statuses || [];

  const LOCALITY = {
    same_city: "同城",
    same_province: "同省",
    national: "全国服务",
    elsewhere: "外地",
  };
  const SERVICE_AREA = { local: "本地", province: "全省", national: "全国" };
  const CHANNEL = { online: "线上", onsite: "现场", mail: "邮寄" };
  const INDUSTRY = UI.industries || {}; // GB/T 4754-2017 division code → [section, name]
  const RESOURCE = { institution: "机构", expert: "专家", instrument: "共享仪器" };
  const RESOURCE_ROLE = { institution: "承办机构", expert: "承办专家", instrument: "共享仪器" };
  const DETAIL_LINK = { institution: "机构详情", expert: "专家详情", instrument: "仪器详情" };
  const AVAILABILITY = { available: "可约", limited: "较忙", unavailable: "暂不可约" };
  const MODE = { onsite: "上门", remote: "线上" };
  const PRICE_UNIT = { hour: "元/小时", sample: "元/样" };
  const SOURCE = { signal: "强信号", classifier: "模型识别", retrieval: "检索识别" };

  /* What to bring, per category (a generic checklist for the slip; sub-services may refine). */
  const CHECKLIST = {
    metrology: [
      "需检定/校准的计量器具（或器具清单：名称、型号规格、出厂编号、数量）",
      "上次检定/校准证书（首次检定提供产品合格证或说明书）",
      "器具使用地点和用途说明（强制检定器具需注明）",
      "计量器具送检委托单（承办机构提供，现场填写）",
    ],
    standards: [
      "营业执照复印件",
      "拟制定或修订标准的产品/服务说明及技术资料",
      "现行执行标准文本（如有）",
      "参与起草单位名单（团体标准）",
    ],
    testing: [
      "样品及数量（按检测项目要求准备，必要时留样）",
      "产品标准或检测依据（标准号或技术要求）",
      "检验检测委托单（承办机构提供）",
      "产品说明书、铭牌或型号规格清单",
    ],
    certification: [
      "营业执照复印件",
      "产品描述（型号规格、结构、关键元器件或原材料清单）或管理体系文件",
      "工厂信息（生产场所、主要生产和检验设备、质量控制情况）",
      "认证申请书（承办机构提供）及已有检测报告（如有）",
    ],
    quality: [
      "营业执照复印件",
      "企业基本情况（规模、主要产品、组织机构）",
      "现行质量管理制度、记录及近期质量问题说明",
      "拟达成的改进目标或咨询需求",
    ],
    ip: [
      "营业执照复印件（个人申请提供身份证明）",
      "商标图样，或专利技术交底材料",
      "拟申请的商品/服务类别或技术领域",
      "代理委托书（承办机构提供）",
    ],
    brand: [
      "营业执照复印件",
      "品牌及商标注册情况",
      "产品/服务介绍及获奖、荣誉、认证证明",
      "近三年经营和质量情况说明",
    ],
    other: [
      "营业执照复印件",
      "事项相关资料（设备登记证、上次检验报告、产品信息等）",
      "申请表或委托单（承办机构提供）",
    ],
  };
  const SUB_CHECKLIST = {
    "other.special_equipment": [
      "特种设备使用登记证",
      "上次定期检验报告",
      "设备安全管理人员及作业人员证书",
      "定期检验申请表（承办机构提供）",
    ],
    "other.article_coding": [
      "营业执照复印件",
      "商品条码系统成员注册申请表",
      "拟编码产品清单（名称、规格、包装）",
    ],
    "certification.ccc": [
      "营业执照复印件",
      "产品描述（型号规格、电气原理图、关键元器件清单）",
      "工厂信息（生产场所、生产和检验设备、质量控制情况）",
      "CCC认证申请书及型式试验样品（按机构要求）",
    ],
  };

  /* What to bring to an expert or to a shared instrument (the slip's checklist by resource type). */
  const EXPERT_CHECKLIST = [
    "问题描述与产品资料（问题现象、涉及批次和数量、返修或不良数据，图纸、照片或样件）",
    "现场条件（生产线和设备情况、可配合的技术人员；线上诊断请备好视频和数据）",
    "期望时间（希望专家上门或线上沟通的时段，以及整改完成的期限）",
  ];
  const INSTRUMENT_CHECKLIST = [
    "样品及数量（注明样品状态、保存条件，是否需要留样）",
    "测试条件与方法（检测项目、依据的标准或方法、参数要求）",
    "预约时段（按仪器的预约方式提前预约，注明可选时段）",
  ];

  /* ---------------------------------------------------------------- helpers */

  function readUiData() {
    const node = document.getElementById("ui-data");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (e) {
      return {};
    }
  }

  function $(sel, root) {
    return (root || document).querySelector(sel);
  }

  /** Build an element. props: class, text, dataset, on<event>, properties or attributes.
   *  Children that are not Nodes become Text nodes (inert). */
  function el(tag, props, ...children) {
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

  function add(node, children) {
    for (const c of [children].flat(Infinity)) {
      if (c === null || c === undefined || c === false || c === "") continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  function clear(node) {
    node.replaceChildren();
    return node;
  }

  function path(...parts) {
    return parts.map((p, i) => (i % 2 ? encodeURIComponent(String(p)) : p)).join("");
  }

  function catName(code) {
    return CAT[code] || code || "";
  }

  function catClass(code) {
    return Object.prototype.hasOwnProperty.call(CAT, code) ? "cat-" + code : "cat-unknown";
  }

  function ticketNo(id) {
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

  function fmtDate(s) {
    const d = parseDate(s);
    return d ? `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日` : "—";
  }

  function fmtDateTime(s) {
    const d = parseDate(s);
    if (!d) return "—";
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(
      d.getHours()
    )}:${pad2(d.getMinutes())}`;
  }

  function pct(x) {
    return typeof x === "number" ? Math.round(x * 100) + "%" : "";
  }

  function fullAddress(o) {
    const addr = o.address || "";
    let prefix = "";
    for (const part of [o.province, o.city, o.district]) {
      if (part && !addr.includes(part) && !prefix.includes(part)) prefix += part;
    }
    return prefix + addr || "—";
  }

  function channelsOf(x) {
    if (Array.isArray(x)) return x;
    return String(x || "")
      .split(/[|,，、\s]+/)
      .filter(Boolean);
  }

  // 已具备：检测 · 不需要：认证 — needs the text names but does not ask for (never referred).
  function notWantedText(needs) {
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
  function routeBlock(route, partial) {
    return el(
      "div",
      { class: "route", dataset: { route: route.code } },
      el("strong", null, (partial ? "另有非质量基础设施事项，请转至：" : "请转至：") + route.name),
      el("p", null, route.where + (route.hotline ? "，电话 " + route.hotline : "")),
      el("p", { class: "route-reason" }, route.reason + (partial ? "（" + route.text + "）" : ""))
    );
  }

  function badge(text, kind, title) {
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

  /* ---------------------------------------------------------------- API */

  class ApiError extends Error {
    constructor(status, detail, code) {
      super(typeof detail === "string" ? detail : "HTTP " + status);
      this.status = status;
      this.detail = detail;
      this.code = code || null; // 409: version_conflict | invalid_transition
    }
  }

  function getKey() {
    try {
      return sessionStorage.getItem(KEY_STORE) || "";
    } catch (e) {
      return "";
    }
  }

  async function api(method, url, opts) {
    opts = opts || {};
    const headers = { Accept: "application/json" };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    if (opts.auth) {
      const key = getKey();
      if (!key) throw new ApiError(0, null);
      headers["X-API-Key"] = key;
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      throw new ApiError(-1, null);
    }
    let data = null;
    if ((res.headers.get("content-type") || "").includes("json")) {
      try {
        data = await res.json();
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      if (res.status === 401) markKey(false);
      throw new ApiError(res.status, data && data.detail, data && data.code);
    }
    if (opts.auth) markKey(true);
    return data;
  }

  function detailText(d) {
    if (d === null || d === undefined) return "";
    if (typeof d === "string") return d;
    if (Array.isArray(d)) {
      return d
        .map((e) => {
          const loc = (e.loc || []).filter((x) => x !== "body" && x !== "query").join(".");
          return (loc ? loc + "：" : "") + (e.msg || "");
        })
        .join("；");
    }
    return JSON.stringify(d);
  }

  /** A message a clerk can act on, for an error of `what` (e.g. "匹配"). */
  function errorText(err, what) {
    if (!(err instanceof ApiError)) {
      return `${what}失败：${(err && err.message) || err}`;
    }
    const d = detailText(err.detail);
    switch (err.status) {
      case 0:
        return "请先在页面顶部“窗口密钥”处输入本窗口的密钥并保存。";
      case -1:
        return "无法连接服务器，请检查网络后重试。";
      case 401:
        return "窗口密钥无效或未填写（401）：请在页面顶部“窗口密钥”处重新输入正确的密钥。";
      case 403:
        return "此密钥无权办理此项业务（403）：工单需要窗口或管理员密钥。";
      case 404:
        return `${what}失败：未找到（404）${d ? "：" + d : ""}`;
      case 409:
        if (err.code === "invalid_transition") {
          return `${what}失败：当前状态不能这样变更（409），请重新载入后再操作。`;
        }
        return `${what}失败：数据已被他人修改（409），请重新载入后再操作。`;
      case 413:
        return `${what}失败：提交的内容过长（413）。`;
      case 422:
        return `${what}失败：${d || "输入有误"}`;
      case 429:
        return "操作过于频繁（429），请稍候再试。";
      case 503:
        return `服务暂不可用（503）${d ? "：" + d : ""}`;
      default:
        return `${what}失败（${err.status}）${d ? "：" + d : ""}`;
    }
  }

  function isAuthError(err) {
    return err instanceof ApiError && (err.status === 0 || err.status === 401 || err.status === 403);
  }

  /* ---------------------------------------------------------------- page chrome */

  let flashTimer = null;

  function flash(msg, kind) {
    const box = $("#flash");
    if (!box) return;
    box.textContent = msg;
    box.className = "flash " + (kind || "info");
    box.hidden = false;
    clearTimeout(flashTimer);
    if (kind === "ok") flashTimer = setTimeout(() => (box.hidden = true), 6000);
  }

  function hideFlash() {
    const box = $("#flash");
    if (box) box.hidden = true;
  }

  function setStatus(node, msg, kind) {
    if (!node) return;
    node.textContent = msg || "";
    node.className = "status-line " + (kind || "");
  }

  function markKey(ok) {
    const input = $("#api-key");
    if (input) input.classList.toggle("bad", !ok);
    const state = $("#key-state");
    if (state && !ok) {
      state.textContent = "密钥无效";
      state.className = "key-state bad";
    }
  }

  function initKeyBox() {
    const form = $("#key-form");
    if (!form) return;
    const input = $("#api-key");
    const state = $("#key-state");
    const show = () => {
      const has = Boolean(getKey());
      state.textContent = has ? "已设置" : "未设置";
      state.className = "key-state " + (has ? "set" : "unset");
      input.value = "";
      input.placeholder = has ? "已保存（可重新输入）" : "受理、看板需要";
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const v = input.value.trim();
      if (!v) {
        input.focus();
        return;
      }
      try {
        sessionStorage.setItem(KEY_STORE, v);
      } catch (e) {
        flash("浏览器禁止保存密钥（sessionStorage 不可用）。", "error");
      }
      input.classList.remove("bad");
      show();
      hideFlash();
      document.dispatchEvent(new CustomEvent("qis:key"));
    });
    $("#key-clear").addEventListener("click", () => {
      try {
        sessionStorage.removeItem(KEY_STORE);
      } catch (e) {
        /* nothing stored */
      }
      input.classList.remove("bad");
      show();
      document.dispatchEvent(new CustomEvent("qis:key"));
    });
    show();
  }

  function askForKey(statusNode) {
    const msg = "请先在页面顶部“窗口密钥”处输入本窗口的密钥并保存。";
    setStatus(statusNode, msg, "error");
    const input = $("#api-key");
    if (input) input.focus();
  }

  /* ---------------------------------------------------------------- shared renderers */

  function evidenceList(evidence) {
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

  /* Resources: an institution, an expert or a shared instrument. Referrals, search results,
   * resources and ticket snapshots all say which with `resource_type` (institution by default). */

  function resType(x) {
    const t = x && x.resource_type;
    return Object.prototype.hasOwnProperty.call(RESOURCE, t) ? t : "institution";
  }

  function resId(r) {
    return r.resource_id || r.institution_id || "";
  }

  function resName(r) {
    return r.resource_name || r.institution_name || r.name || "";
  }

  function resourceHref(id) {
    return path("/resource/", id);
  }

  function typeBadge(type) {
    const t = resType({ resource_type: type });
    return el("span", { class: "rtype-badge rtype-" + t, dataset: { resourceType: t } }, RESOURCE[t]);
  }

  function listOf(x) {
    if (Array.isArray(x)) return x.filter((v) => v !== null && v !== undefined && v !== "");
    return String(x || "")
      .split("|")
      .filter(Boolean);
  }

  function modelText(m) {
    return listOf(m).join(" / ");
  }

  function priceText(d) {
    if (typeof d.price !== "number") return "";
    const unit = PRICE_UNIT[d.price_unit] || (d.price_unit ? "元/" + d.price_unit : "元");
    return `${d.price} ${unit}`;
  }

  function modesText(modes) {
    return listOf(modes)
      .map((m) => MODE[m] || m)
      .join("、");
  }

  function industryText(code) {
    const x = INDUSTRY[code];
    return x ? `${x[0]}${code} ${x[1]}` : String(code);
  }

  function placeOf(o) {
    const out = [];
    for (const part of [o.province, o.city, o.district]) {
      if (part && !out.includes(part)) out.push(part);
    }
    return out.join("") || o.address || "—";
  }

  function availabilityBadge(a) {
    if (!a) return null;
    const known = Object.prototype.hasOwnProperty.call(AVAILABILITY, a);
    return badge(known ? AVAILABILITY[a] : a, "avail avail-" + (known ? a : "unknown"), "可约情况");
  }

  function modeBadges(modes) {
    return listOf(modes).map((m) => badge(MODE[m] || m, "mode mode-" + (MODE[m] ? m : "other")));
  }

  function referralBadges(r) {
    const out = [];
    const type = resType(r);
    const d = r.details || {};
    if (r.locality && LOCALITY[r.locality]) {
      out.push(badge(LOCALITY[r.locality], "loc loc-" + r.locality));
    }
    if (type === "expert") {
      out.push(availabilityBadge(d.availability));
      out.push(...modeBadges(d.modes));
      if (d.industry_match === true) out.push(badge("熟悉贵企业行业", "industry-match"));
      return out;
    }
    if (r.small_business_discount) out.push(badge("小微优惠", "discount"));
    if (type === "instrument") {
      if (d.operated_service) out.push(badge("可代检代测", "operated"));
    } else if (channelsOf(r.channels).includes("online")) {
      out.push(badge("线上", "online"));
    }
    return out;
  }

  /** What the type of a referral or search result is about: an institution's kind; an expert's
   *  title, affiliation and field; an instrument's model, owner, price and booking channel.
   *  `links`: the owner institution is a link (not inside a radio's label). */
  function resourceSummary(r, links) {
    const type = resType(r);
    const d = r.details || {};
    if (type === "expert") {
      const topics = listOf(d.sub_fields);
      return [
        el("div", { class: "ref-type" }, [d.title, d.affiliation].filter(Boolean).join(" · ") || "专家"),
        el(
          "div",
          { class: "spec" },
          d.field ? el("span", { class: "spec-field" }, "领域：" + d.field) : null,
          topics.length ? el("span", null, "擅长：" + topics.join("、")) : null,
          listOf(d.services).length ? el("span", null, "服务：" + listOf(d.services).join("、")) : null
        ),
      ];
    }
    if (type === "instrument") {
      const owner = r.institution_name || d.owner || "";
      const ownerNode =
        links && r.institution_id ? el("a", { href: resourceHref(r.institution_id), class: "owner-link" }, owner) : owner;
      return [
        el("div", { class: "ref-type" }, d.model ? "型号：" + modelText(d.model) : "共享仪器"),
        el(
          "div",
          { class: "spec" },
          owner ? el("span", { class: "spec-owner" }, "所属机构：", ownerNode) : null,
          priceText(d) ? el("span", { class: "spec-price" }, "收费：" + priceText(d)) : null,
          d.booking_channel ? el("span", { class: "spec-booking" }, "预约：" + d.booking_channel) : null,
          listOf(d.measures).length ? el("span", null, "可测：" + listOf(d.measures).join("、")) : null
        ),
      ];
    }
    return [el("div", { class: "ref-type" }, r.institution_type || "")];
  }

  function referralFacts(r) {
    const facts = [];
    if (typeof r.distance_km === "number") facts.push(el("span", null, `距离 ${r.distance_km} 公里`));
    if (resType(r) === "expert") facts.push(el("span", null, "所在地：" + placeOf(r)));
    else facts.push(el("span", null, "地址：" + fullAddress(r)));
    if (r.phone) facts.push(el("span", null, "电话：" + r.phone));
    if (r.turnaround_days) facts.push(el("span", null, `办理约 ${r.turnaround_days} 天`));
    return el("div", { class: "facts" }, facts);
  }

  /* ---------------------------------------------------------------- 受理台 /console */

  function initConsole() {
    const form = $("#match-form");
    const text = $("#req-text");
    const region = $("#req-region");
    const count = $("#char-count");
    const btn = $("#match-btn");
    const status = $("#match-status");
    const createBtn = $("#create-ticket");
    let current = null; // {text, region, result}

    try {
      region.value = localStorage.getItem(REGION_STORE) || "";
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
        card.dataset.resourceType = resType(need);
        card.append(
          el(
            "header",
            { class: "need-head" },
            el("span", { class: "cat-badge " + catClass(need.category) }, need.name || catName(need.category)),
            el("strong", { class: "need-sub" }, need.sub_service_name || SUB[need.sub_service] || ""),
            el(
              "span",
              { class: "need-rtype rtype-" + resType(need), dataset: { resourceType: resType(need) }, title: "承办方类型" },
              "由" + RESOURCE[resType(need)] + "承办"
            ),
            el("span", { class: "score", title: "需求置信度" }, "置信度 " + pct(need.score)),
            need.source ? el("span", { class: "source" }, SOURCE[need.source] || need.source) : null
          )
        );
        if (need.text) card.append(el("blockquote", { class: "need-span-text" }, need.text));

        const refs = need.referrals || [];
        if (!refs.length) {
          card.append(el("p", { class: "no-ref" }, `暂无可承办该项需求的${RESOURCE[resType(need)]}（已记为未满足需求，请人工协调）。`));
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
            dataset: { rank: String(ri), resourceType: resType(r) },
          });
          radio.addEventListener("change", () => {
            reasonWrap.hidden = ri === 0;
            for (const row of list.children) row.classList.toggle("picked", row.contains(radio));
            if (ri !== 0) reasonInput.focus();
          });
          const row = el(
            "div",
            {
              class: "ref ref-" + resType(r) + (ri === 0 ? " picked" : ""),
              dataset: { resourceId: resId(r), resourceType: resType(r) },
            },
            radio,
            el(
              "label",
              { for: id, class: "ref-body" },
              el(
                "div",
                { class: "ref-title" },
                el("span", { class: "rank" }, String(ri + 1)),
                typeBadge(r.resource_type),
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
              DETAIL_LINK[resType(r)]
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
          body: { text: current.text, region: current.region || null, choices },
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

  /* ---------------------------------------------------------------- 告知单 /slip/{id} */

  /** What to bring: by resource type (expert, instrument), else by category and sub-service. */
  function checklistFor(r) {
    const type = resType(r);
    const d = (r.snapshot && r.snapshot.details) || {};
    if (type === "expert") return EXPERT_CHECKLIST;
    if (type === "instrument") {
      return INSTRUMENT_CHECKLIST.concat(
        d.operated_service
          ? "是否需操作培训（自行上机须先经所属机构培训；也可委托机构代检代测）"
          : "是否需操作培训（该仪器需自行上机操作，首次使用须经所属机构培训）"
      );
    }
    return SUB_CHECKLIST[r.sub_service] || CHECKLIST[r.category] || CHECKLIST.other;
  }

  function initSlip() {
    const id = document.body.dataset.ticketId;
    const status = $("#slip-status");
    const printBtn = $("#print-btn");
    printBtn.addEventListener("click", () => window.print());

    async function load() {
      if (!getKey()) {
        $("#slip").hidden = true;
        printBtn.disabled = true;
        askForKey(status);
        return;
      }
      setStatus(status, "正在载入告知单……", "busy");
      let t;
      try {
        t = await api("GET", path("/api/v1/tickets/", id), { auth: true });
      } catch (err) {
        $("#slip").hidden = true;
        printBtn.disabled = true;
        setStatus(status, errorText(err, "载入告知单"), "error");
        return;
      }
      renderSlip(t);
      setStatus(status, "", "");
      printBtn.disabled = false;
      $("#slip").hidden = false;
      document.title = `一次性告知单 ${ticketNo(t.id)}`;
    }

    function renderSlip(t) {
      $("#slip-no").textContent = ticketNo(t.id);
      $("#slip-date").textContent = fmtDate(t.created_at);
      $("#slip-enterprise").textContent = t.enterprise || "（未填写）";
      $("#slip-region").textContent = [t.province, t.city].filter(Boolean).join("") || "—";
      $("#slip-text").textContent = t.request_text || "";
      $("#slip-deadline").textContent = fmtDate(t.deadline);

      const box = clear($("#slip-needs"));
      const needs = (t.needs || []).filter((n) => (n.status || "wanted") === "wanted");
      const heard = notWantedText((t.needs || []).filter((n) => (n.status || "wanted") !== "wanted"));
      if (heard) box.append(el("p", { class: "slip-not-wanted" }, heard));
      (t.referrals || []).forEach((r, i) => {
        const need = needs.find((n) => n.category === r.category) || {};
        const sub = need.sub_service_name || SUB[r.sub_service] || "";
        const type = resType(r);
        const rows = [];
        const tr = (label, value, cls) =>
          rows.push(el("tr", { class: cls || null }, el("th", null, label), el("td", null, value || "—")));
        // Everything below comes from the snapshot taken when the ticket was made: the slip shows
        // what the enterprise was told, even if the catalog has changed since.
        const snap = r.snapshot || null;
        const name = (snap && snap.name) || r.institution_name;
        const d = (snap && snap.details) || {};
        if (type === "expert") {
          tr(RESOURCE_ROLE.expert, el("span", null, el("strong", null, name), d.title ? "（" + d.title + "）" : ""));
        } else if (type === "instrument") {
          tr(
            RESOURCE_ROLE.instrument,
            el("span", null, el("strong", null, name), d.model ? "（型号：" + modelText(d.model) + "）" : "")
          );
        } else {
          tr(RESOURCE_ROLE.institution, el("strong", null, name));
        }
        if (snap) {
          if (type === "expert") {
            tr("工作单位", d.affiliation);
            tr("专业领域", d.field);
            tr("服务方式", modesText(d.modes));
            tr("可约情况", AVAILABILITY[d.availability] || d.availability || "以专家答复为准");
            tr("所在地", placeOf(snap));
          } else {
            if (type === "instrument") tr("所属机构", snap.institution_name || d.owner);
            tr("地址", fullAddress(snap));
          }
          tr("联系电话", snap.phone, "slip-phone");
          if (snap.email) tr("电子邮箱", snap.email);
          if (type === "instrument") {
            tr("收费标准", priceText(d) || "以所属机构公布为准");
            tr("预约方式", d.booking_channel);
            tr("代检代测", d.operated_service ? "可委托机构代检代测" : "不提供，需自行上机操作");
          } else if (type === "institution") {
            tr(
              "办理时限",
              snap.turnaround_days ? `约 ${snap.turnaround_days} 天（自机构受理之日起）` : "以承办机构告知为准"
            );
          }
          if (type !== "expert") {
            tr(
              "小微优惠",
              snap.small_business_discount ? snap.discount_note || "提供小微企业收费优惠，详询承办方" : "无"
            );
          }
        } else {
          tr("联系方式", "请向窗口咨询");
        }
        tr("请准备", el("ul", { class: "checklist" }, checklistFor(r).map((x) => el("li", null, x))));
        box.append(
          el(
            "section",
            { class: "slip-need slip-" + type, dataset: { resourceType: type } },
            el(
              "h3",
              null,
              `（${i + 1}）${catName(r.category)}${sub ? " · " + sub : ""}`,
              el("span", { class: "slip-rtype" }, RESOURCE[type])
            ),
            need.text ? el("p", { class: "slip-need-text" }, "诉求要点：" + need.text) : null,
            el("table", { class: "slip-table" }, el("tbody", null, rows))
          )
        );
      });
    }

    document.addEventListener("qis:key", load);
    load();
  }

  /* ---------------------------------------------------------------- 企业查询 /search */

  function initSearch() {
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
    for (const r of typeRadios) r.checked = r.value === (RESOURCE[t0] ? t0 : "");

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
      const what = RESOURCE[typeValue()] || "服务资源";
      if (!list.length) {
        setStatus(
          status,
          q ? `未找到与“${q}”相关的${what}，可换个说法或放宽筛选条件后再试。` : `没有符合筛选条件的${what}。`,
          "empty"
        );
        return;
      }
      const per = Object.keys(RESOURCE)
        .map((t) => [t, list.filter((r) => resType(r) === t).length])
        .filter(([, n]) => n)
        .map(([t, n]) => `${RESOURCE[t]} ${n}`);
      setStatus(status, `找到 ${res.count} 个结果（${per.join(" · ")}）${q ? `：“${q}”` : ""}`, "ok");
      for (const r of list) {
        const type = resType(r);
        results.append(
          el(
            "article",
            { class: "card result-card result-" + type, dataset: { resourceId: resId(r), resourceType: type } },
            el(
              "div",
              { class: "ref-title" },
              typeBadge(type),
              el("a", { class: "ref-name", href: resourceHref(resId(r)) }, resName(r)),
              el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
              referralBadges(r)
            ),
            type === "institution"
              ? el("div", { class: "ref-type" }, [r.institution_type, SUB[r.sub_service]].filter(Boolean).join(" · "))
              : resourceSummary(r, true),
            referralFacts(r),
            evidenceList(r.evidence)
          )
        );
      }
    }

    if ([...initial.keys()].length) run();
  }

  /* ---------------------------------------------------------------- 资源 /resource/{id} */

  function initResource() {
    const id = document.body.dataset.resourceId;
    const status = $("#res-status");
    try {
      const back = sessionStorage.getItem(LAST_SEARCH);
      if (back && back.startsWith("/search")) $("#back-link").setAttribute("href", back);
    } catch (e) {
      /* private mode */
    }

    (async () => {
      let res;
      try {
        res = await api("GET", path("/api/v1/resources/", id));
      } catch (err) {
        setStatus(
          status,
          err instanceof ApiError && err.status === 404
            ? "未找到该机构、专家或共享仪器，可能已从目录中移除。"
            : errorText(err, "载入"),
          "error"
        );
        return;
      }
      render(res);
      setStatus(status, "", "");
      $("#resource").hidden = false;
      document.title = `${res.name} · ${DETAIL_LINK[resType(res)]}`;
    })();

    function render(res) {
      const type = resType(res);
      const d = res.details || {};
      document.body.dataset.resourceType = type;
      const kind = clear($("#res-kind"));
      kind.append(typeBadge(type));
      $("#res-name").textContent = res.name;
      const sub = clear($("#res-sub"));
      if (type === "expert") add(sub, [d.title, d.affiliation].filter(Boolean).join(" · "));
      else if (type === "instrument") add(sub, d.model ? "型号：" + modelText(d.model) : "");
      else add(sub, res.type || "");
      sub.hidden = !sub.textContent;

      const badges = clear($("#res-badges"));
      if (type === "expert") {
        add(badges, [
          availabilityBadge(d.availability),
          modeBadges(d.modes),
          res.demo ? badge("演示数据", "demo") : null,
        ]);
      } else {
        add(badges, [
          type === "institution" ? badge(res.type || "机构", "type") : null,
          type === "instrument" && d.operated_service ? badge("可代检代测", "operated") : null,
          res.small_business_discount ? badge("小微优惠", "discount") : null,
          type === "institution" && channelsOf(res.channels).includes("online") ? badge("线上", "online") : null,
          res.demo ? badge("演示数据", "demo") : null,
        ]);
      }
      badges.hidden = !badges.childElementCount;

      const dl = clear($("#res-details"));
      const row = (label, value, key) => {
        if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length))
          return;
        dl.append(el("dt", null, label), el("dd", { dataset: key ? { field: key } : null }, value));
      };
      const chips = (xs, title) => listOf(xs).map((x) => el("span", { class: "chip", title: title || null }, x));
      const cats = (res.categories || []).map((c) => el("span", { class: "cat-badge " + catClass(c) }, catName(c)));
      const accreditations = chips(res.accreditations);

      if (type === "expert") {
        row("职称", d.title, "title");
        row("工作单位", d.affiliation, "affiliation");
        row("专业领域", d.field, "field");
        row("擅长方向", chips(d.sub_fields), "topics");
        row(
          "熟悉行业",
          listOf(d.industries).map((c) =>
            el("span", { class: "chip industry", title: "GB/T 4754-2017 国民经济行业分类 大类 " + c }, industryText(c))
          ),
          "industries"
        );
        row("服务内容", chips(d.services), "services");
        row("可约情况", AVAILABILITY[d.availability] || d.availability, "availability");
        row("服务方式", modesText(d.modes), "modes");
        row("所在地", placeOf(res), "place");
        row("电话", res.phone, "phone");
        row("邮箱", res.email, "email");
        row("服务类别", cats);
      } else if (type === "instrument") {
        row("型号", modelText(d.model), "model");
        row("可测项目", chips(d.measures), "measures");
        row("收费标准", priceText(d) || "以所属机构公布为准", "price");
        row("预约方式", d.booking_channel, "booking");
        row("代检代测", d.operated_service ? "可委托所属机构代检代测" : "不提供，需自行上机操作", "operated");
        const ownerName = res.institution_name || d.owner;
        row(
          "所属机构",
          res.institution_id
            ? el("a", { href: resourceHref(res.institution_id), id: "owner-link" }, ownerName || res.institution_id)
            : ownerName,
          "owner"
        );
        row("存放地址", fullAddress(res), "address");
        row("电话", res.phone, "phone");
        row("邮箱", res.email, "email");
        row("机构资质", accreditations);
        row("小微优惠", res.small_business_discount ? res.discount_note || "提供" : null);
        row("服务类别", cats);
      } else {
        row("地址", fullAddress(res), "address");
        row("电话", res.phone, "phone");
        row("邮箱", res.email, "email");
        row("服务范围", SERVICE_AREA[res.service_area] || res.service_area);
        row("资质", accreditations);
        row("办理方式", channelsOf(res.channels).map((c) => CHANNEL[c] || c).join("、"));
        row("小微优惠", res.small_business_discount ? res.discount_note || "提供" : null);
        row("办理时限", res.turnaround_days ? `约 ${res.turnaround_days} 天` : null);
        row("服务类别", cats);
      }
      row("简介", res.description);

      renderLines(type, res.capabilities || []);
    }

    function renderLines(type, caps) {
      $("#cap-title").textContent = { institution: "能力范围", expert: "服务方向", instrument: "共享服务" }[type];
      $("#cap-count").textContent = `共 ${caps.length} 项`;
      const box = clear($("#capabilities"));
      // Columns without a value in any line are left out (experts have no standards or ranges).
      const columns = [
        ["项目", (c) => el("span", null, el("strong", null, c.object), c.item ? "：" + c.item : ""), true],
        ["子类", (c) => SUB[c.sub_service] || c.sub_service, true],
        [
          "依据标准",
          (c) => [c.standard ? el("span", { class: "std" }, c.standard) : "—", c.standard_title ? el("div", { class: "muted" }, c.standard_title) : null],
          caps.some((c) => c.standard || c.standard_title),
        ],
        [
          type === "instrument" ? "型号" : "范围/等级",
          (c) => (type === "instrument" ? modelText(c.accuracy) : [c.measuring_range, c.accuracy].filter(Boolean).join(" · ")) || "—",
          caps.some((c) => c.measuring_range || c.accuracy),
        ],
        ["说明", (c) => c.description || "", caps.some((c) => c.description)],
      ].filter((col) => col[2]);

      const groups = new Map();
      for (const c of caps) {
        if (!groups.has(c.category)) groups.set(c.category, []);
        groups.get(c.category).push(c);
      }
      const cats = [...groups.keys()].sort((a, b) => {
        const ia = CAT_ORDER.indexOf(a);
        const ib = CAT_ORDER.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      });
      for (const cat of cats) {
        const lines = groups.get(cat);
        const rows = lines.map((c) =>
          el(
            "tr",
            { dataset: { lineId: c.line_id } },
            columns.map((col) => el("td", null, col[1](c)))
          )
        );
        box.append(
          el(
            "details",
            { class: "card cap-group " + catClass(cat), open: lines.length <= 12, dataset: { category: cat } },
            el("summary", null, el("span", { class: "cat-badge " + catClass(cat) }, catName(cat)), ` ${lines.length} 项`),
            el(
              "div",
              { class: "table-wrap" },
              el(
                "table",
                { class: "cap-table" },
                el("thead", null, el("tr", null, columns.map((col) => el("th", null, col[0])))),
                el("tbody", null, rows)
              )
            )
          )
        );
      }
      if (!caps.length) box.append(el("p", { class: "muted" }, "暂无条目。"));
    }
  }

  /* ---------------------------------------------------------------- 看板 /board */

  function initBoard() {
    const status = $("#board-status");
    const statusSel = $("#b-status");
    const overdueBox = $("#b-overdue");
    const initial = new URLSearchParams(location.search);
    if (initial.get("status")) statusSel.value = initial.get("status");
    overdueBox.checked = initial.get("overdue") === "true";

    statusSel.addEventListener("change", load);
    overdueBox.addEventListener("change", load);
    $("#b-reload").addEventListener("click", load);
    document.addEventListener("qis:key", load);

    function columns() {
      return document.querySelectorAll("#board .column");
    }

    function clearBoard() {
      for (const col of columns()) {
        clear($(".cards", col));
        $(".count", col).textContent = "0";
      }
      clear($("#b-counts"));
    }

    let seq = 0; // the newest load wins

    async function load() {
      const mine = ++seq;
      const st = statusSel.value;
      const overdue = overdueBox.checked;
      const params = new URLSearchParams();
      if (st) params.set("status", st);
      if (overdue) params.set("overdue", "true");
      history.replaceState(null, "", params.toString() ? "?" + params.toString() : location.pathname);
      if (!getKey()) {
        clearBoard();
        askForKey(status);
        return;
      }
      setStatus(status, "正在载入工单……", "busy");
      let data;
      try {
        data = overdue
          ? await api("GET", "/api/v1/tickets/overdue", { auth: true })
          : await api("GET", "/api/v1/tickets?limit=500" + (st ? "&status=" + encodeURIComponent(st) : ""), {
              auth: true,
            });
      } catch (err) {
        if (mine !== seq) return;
        clearBoard();
        setStatus(status, errorText(err, "载入工单"), "error");
        return;
      }
      if (mine !== seq) return;
      let tickets = data.tickets || [];
      if (overdue && st) tickets = tickets.filter((t) => t.status === st);
      render(tickets, data.counts || {});
      const late = tickets.filter((t) => t.overdue).length;
      setStatus(
        status,
        `显示 ${tickets.length} 张工单${late ? `，其中 ${late} 张已超期` : ""}${overdue ? "（只看超期）" : ""}`,
        late ? "warn" : "ok"
      );
    }

    function render(tickets, counts) {
      clearBoard();
      const bar = $("#b-counts");
      let total = 0;
      for (const s of STATUSES) {
        total += counts[s] || 0;
        bar.append(el("span", { class: "count-chip", dataset: { status: s } }, `${s} `, el("strong", null, String(counts[s] || 0))));
      }
      bar.prepend(el("span", { class: "count-chip total" }, "全部 ", el("strong", null, String(total))));
      for (const col of columns()) {
        const mine = tickets.filter((t) => t.status === col.dataset.status);
        $(".count", col).textContent = String(mine.length);
        const cards = $(".cards", col);
        for (const t of mine) cards.append(ticketCard(t));
        if (!mine.length) cards.append(el("p", { class: "muted empty-col" }, "暂无"));
      }
    }

    function ticketCard(t) {
      const card = el("article", {
        class: "ticket-card" + (t.overdue ? " overdue" : ""),
        dataset: { ticketId: String(t.id), status: t.status },
      });
      card.append(
        el(
          "header",
          null,
          el("a", { class: "ticket-no", href: path("/slip/", t.id), title: "打开告知单" }, "#" + ticketNo(t.id)),
          el("span", { class: "enterprise" }, t.enterprise || "（未识别企业）"),
          t.overdue ? badge("已超期", "overdue-badge") : null
        ),
        el("p", { class: "req", title: t.request_text }, t.request_text),
        el(
          "ul",
          { class: "ticket-refs" },
          (t.referrals || []).map((r) =>
            el(
              "li",
              { dataset: { resourceId: r.institution_id, resourceType: resType(r) } },
              el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
              " → ",
              typeBadge(r.resource_type),
              " ",
              el("span", { class: "ref-name" }, r.institution_name),
              r.override_reason ? el("div", { class: "override-note" }, "改选理由：" + r.override_reason) : null
            )
          )
        ),
        el(
          "div",
          { class: "ticket-meta" },
          el("span", null, "受理 " + fmtDateTime(t.created_at)),
          el("span", { class: t.overdue ? "late" : null }, "限时 " + fmtDate(t.deadline)),
          t.province || t.city ? el("span", null, [t.province, t.city].filter(Boolean).join("")) : null
        )
      );

      const actions = el("div", { class: "ticket-actions" });
      if (t.next_status) {
        actions.append(
          el(
            "button",
            { type: "button", class: "btn primary small next-btn", onclick: (ev) => advance(t, ev.currentTarget) },
            "下一步：" + t.next_status
          )
        );
      } else {
        actions.append(el("span", { class: "done" }, "已完结"));
      }
      actions.append(el("a", { class: "btn small ghost", href: path("/slip/", t.id) }, "告知单"));
      card.append(actions, feedbackForm(t));
      return card;
    }

    async function advance(t, btn) {
      btn.disabled = true;
      try {
        await api("POST", path("/api/v1/tickets/", t.id, "/status"), {
          auth: true,
          body: { status: t.next_status, version: t.version },
        });
        flash(`工单 ${ticketNo(t.id)} 已更新为“${t.next_status}”。`, "ok");
      } catch (err) {
        if (err instanceof ApiError && err.status === 409 && err.code === "invalid_transition") {
          flash(`工单 ${ticketNo(t.id)} 的状态已变化，不能再变更为“${t.next_status}”；已重新载入，请核对后再操作。`, "warn");
        } else if (err instanceof ApiError && err.status === 409) {
          flash(`工单 ${ticketNo(t.id)} 已被他人修改，已重新载入最新状态，请核对后再操作。`, "warn");
        } else {
          flash(errorText(err, "更新状态"), "error");
        }
      }
      await load();
    }

    function feedbackForm(t) {
      const fid = `fb-${t.id}`;
      const used = el(
        "select",
        { id: `${fid}-used`, name: "institution_used" },
        el("option", { value: "" }, "（未说明）"),
        (t.referrals || []).map((r) =>
          el("option", { value: r.institution_id }, `${r.institution_name}（${RESOURCE[resType(r)]}）`)
        ),
        el("option", { value: "__other" }, "其他承办方……")
      );
      const usedOther = el("input", {
        id: `${fid}-used-other`,
        type: "text",
        maxlength: "64",
        placeholder: "机构、专家或仪器的编号或名称",
        hidden: true,
      });
      used.addEventListener("change", () => {
        usedOther.hidden = used.value !== "__other";
      });
      const rating = el(
        "select",
        { id: `${fid}-rating`, name: "rating" },
        [5, 4, 3, 2, 1].map((n) => el("option", { value: String(n) }, `${n} 分 ${"★".repeat(n)}`))
      );
      const reason = el("input", { id: `${fid}-reason`, name: "override_reason", type: "text", maxlength: "500" });
      const comment = el("textarea", { id: `${fid}-comment`, name: "comment", rows: "2", maxlength: "1000" });
      const msg = el("p", { class: "fb-msg", role: "status" });
      const form = el(
        "form",
        { class: "feedback-form" },
        el("label", { for: `${fid}-rating` }, "满意度"),
        rating,
        el("label", { for: `${fid}-used` }, "最终承办方"),
        used,
        usedOther,
        el("label", { for: `${fid}-reason` }, "改选理由"),
        reason,
        el("label", { for: `${fid}-comment` }, "意见"),
        comment,
        el("button", { type: "submit", class: "btn small primary" }, "提交反馈"),
        msg
      );
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const inst = used.value === "__other" ? usedOther.value.trim() : used.value;
        const body = {
          rating: Number(rating.value),
          institution_used: inst || null,
          override_reason: reason.value.trim() || null,
          comment: comment.value.trim() || null,
        };
        const submit = $("button[type=submit]", form);
        submit.disabled = true;
        try {
          const res = await api("POST", path("/api/v1/tickets/", t.id, "/feedback"), { auth: true, body });
          const n = (res.feedback || []).length;
          msg.className = "fb-msg ok";
          msg.textContent = `已记录反馈（满意度 ${body.rating} 分${n > 1 ? `，共 ${n} 条` : ""}）。`;
          flash(`已记录工单 ${ticketNo(t.id)} 的反馈。`, "ok");
          form.reset();
          usedOther.hidden = true;
        } catch (err) {
          msg.className = "fb-msg error";
          msg.textContent = errorText(err, "提交反馈");
        } finally {
          submit.disabled = false;
        }
      });
      return el("details", { class: "feedback" }, el("summary", null, "反馈"), form);
    }

    load();
  }

  /* ---------------------------------------------------------------- start */

  const PAGES = {
    console: initConsole,
    slip: initSlip,
    search: initSearch,
    resource: initResource,
    board: initBoard,
  };

  function start() {
    initKeyBox();
    const box = $("#flash");
    if (box) {
      box.title = "点击关闭";
      box.addEventListener("click", hideFlash);
    }
    const init = PAGES[document.body.dataset.page];
    if (init) init();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
