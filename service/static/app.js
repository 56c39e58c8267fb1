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
  const RESOURCE = { expert: "专家", instrument: "共享仪器" };
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

  /** The API's times are naive UTC ("2026-12-01T20:35:59"); a bare date is a local date. */
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
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : "HTTP " + status);
      this.status = status;
      this.detail = detail;
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
      throw new ApiError(res.status, data && data.detail);
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

  function referralBadges(r) {
    const out = [];
    if (r.locality && LOCALITY[r.locality]) {
      out.push(badge(LOCALITY[r.locality], "loc loc-" + r.locality));
    }
    if (r.small_business_discount) out.push(badge("小微优惠", "discount"));
    if (channelsOf(r.channels).includes("online")) out.push(badge("线上", "online"));
    if (r.resource_type && r.resource_type !== "institution") {
      out.push(badge(RESOURCE[r.resource_type] || r.resource_type, "resource"));
    }
    return out;
  }

  function referralFacts(r) {
    const facts = [];
    if (typeof r.distance_km === "number") facts.push(el("span", null, `距离 ${r.distance_km} 公里`));
    facts.push(el("span", null, "地址：" + fullAddress(r)));
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
      setStatus(status, "正在识别需求并匹配机构……", "busy");
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
      abstain.hidden = res.needs.length > 0;
      clear(abstain);
      if (!res.needs.length) {
        add(abstain, [
          el("strong", null, "未识别到质量基础设施服务需求"),
          el("p", null, res.abstain_reason || "请与企业进一步确认诉求后重新匹配。"),
        ]);
      }

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
        card.append(
          el(
            "header",
            { class: "need-head" },
            el("span", { class: "cat-badge " + catClass(need.category) }, need.name || catName(need.category)),
            el("strong", { class: "need-sub" }, need.sub_service_name || SUB[need.sub_service] || ""),
            el("span", { class: "score", title: "需求置信度" }, "置信度 " + pct(need.score)),
            need.source ? el("span", { class: "source" }, SOURCE[need.source] || need.source) : null
          )
        );
        if (need.text) card.append(el("blockquote", { class: "need-span-text" }, need.text));

        const refs = need.referrals || [];
        if (!refs.length) {
          card.append(el("p", { class: "no-ref" }, "暂无可承办该项需求的机构（已记为未满足需求，请人工协调）。"));
          box.append(card);
          return;
        }
        const list = el("div", { class: "ref-list", role: "radiogroup", "aria-label": "选择承办机构" });
        const reasonWrap = el(
          "div",
          { class: "override", hidden: true },
          el("label", { for: `reason-${ni}` }, "改选理由（必填）"),
          el("input", {
            id: `reason-${ni}`,
            class: "override-reason",
            type: "text",
            maxlength: "500",
            placeholder: "如：企业指定、离企业更近、已有合作……",
          }),
          el("span", { class: "field-error", hidden: true }, "改选非首选机构时必须填写改选理由")
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
            value: r.institution_id,
            checked: ri === 0,
            dataset: { rank: String(ri) },
          });
          radio.addEventListener("change", () => {
            reasonWrap.hidden = ri === 0;
            for (const row of list.children) row.classList.toggle("picked", row.contains(radio));
            if (ri !== 0) reasonInput.focus();
          });
          const row = el(
            "div",
            { class: "ref" + (ri === 0 ? " picked" : ""), dataset: { institutionId: r.institution_id } },
            radio,
            el(
              "label",
              { for: id, class: "ref-body" },
              el(
                "div",
                { class: "ref-title" },
                el("span", { class: "rank" }, String(ri + 1)),
                el("span", { class: "ref-name" }, r.institution_name),
                ri === 0 ? badge("推荐", "top") : null,
                referralBadges(r),
                (r.covers || []).length > 1
                  ? badge("兼办：" + r.covers.map(catName).join("、"), "covers")
                  : null
              ),
              el("div", { class: "ref-type" }, r.institution_type || ""),
              referralFacts(r),
              evidenceList(r.evidence)
            ),
            el(
              "a",
              {
                class: "ref-link",
                href: path("/institution/", r.institution_id),
                target: "_blank",
                rel: "noopener",
              },
              "机构详情"
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
        clear(out).append(el("p", { class: "error" }, "改选了非首选机构的需求，请填写改选理由。"));
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

  function checklistFor(category, subService) {
    return SUB_CHECKLIST[subService] || CHECKLIST[category] || CHECKLIST.other;
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
      const insts = await Promise.all(
        (t.referrals || []).map((r) =>
          api("GET", path("/api/v1/institutions/", r.institution_id)).catch(() => null)
        )
      );
      renderSlip(t, insts);
      setStatus(status, "", "");
      printBtn.disabled = false;
      $("#slip").hidden = false;
      document.title = `一次性告知单 ${ticketNo(t.id)}`;
    }

    function renderSlip(t, insts) {
      $("#slip-no").textContent = ticketNo(t.id);
      $("#slip-date").textContent = fmtDate(t.created_at);
      $("#slip-enterprise").textContent = t.enterprise || "（未填写）";
      $("#slip-region").textContent = [t.province, t.city].filter(Boolean).join("") || "—";
      $("#slip-text").textContent = t.request_text || "";
      $("#slip-deadline").textContent = fmtDate(t.deadline);

      const box = clear($("#slip-needs"));
      const needs = t.needs || [];
      (t.referrals || []).forEach((r, i) => {
        const need = needs.find((n) => n.category === r.category) || {};
        const inst = insts[i];
        const sub = need.sub_service_name || SUB[r.sub_service] || "";
        const rows = [];
        const tr = (label, value) =>
          rows.push(el("tr", null, el("th", null, label), el("td", null, value || "—")));
        tr("承办机构", el("strong", null, r.institution_name));
        if (inst) {
          tr("地址", fullAddress(inst));
          tr("联系电话", inst.phone);
          tr(
            "办理时限",
            inst.turnaround_days ? `约 ${inst.turnaround_days} 天（自机构受理之日起）` : "以承办机构告知为准"
          );
          const online = channelsOf(inst.channels).includes("online");
          tr("办理方式", channelsOf(inst.channels).map((c) => CHANNEL[c] || c).join("、") + (online ? "（可线上办理）" : ""));
          tr(
            "小微优惠",
            inst.small_business_discount ? inst.discount_note || "提供小微企业收费优惠，详询承办机构" : "无"
          );
        } else {
          tr("机构信息", "暂不可用，请向窗口咨询");
        }
        tr("请准备", el("ul", { class: "checklist" }, checklistFor(r.category, r.sub_service).map((x) => el("li", null, x))));
        box.append(
          el(
            "section",
            { class: "slip-need" },
            el("h3", null, `（${i + 1}）${catName(r.category)}${sub ? " · " + sub : ""}`),
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

    const initial = new URLSearchParams(location.search);
    for (const [k, input] of Object.entries(fields)) {
      if (initial.has(k)) input.value = initial.get(k);
    }
    for (const [k, box] of Object.entries(checks)) box.checked = initial.get(k) === "true";

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run();
    });
    for (const box of [fields.category, checks.online, checks.discount]) {
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
      if (!list.length) {
        setStatus(
          status,
          q ? `未找到与“${q}”相关的机构，可换个说法或放宽筛选条件后再试。` : "没有符合筛选条件的机构。",
          "empty"
        );
        return;
      }
      setStatus(status, `找到 ${res.count} 家机构${q ? `（“${q}”）` : ""}`, "ok");
      for (const r of list) {
        results.append(
          el(
            "article",
            { class: "card result-card", dataset: { institutionId: r.institution_id } },
            el(
              "div",
              { class: "ref-title" },
              el("a", { class: "ref-name", href: path("/institution/", r.institution_id) }, r.institution_name),
              el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
              referralBadges(r)
            ),
            el(
              "div",
              { class: "ref-type" },
              [r.institution_type, SUB[r.sub_service]].filter(Boolean).join(" · ")
            ),
            referralFacts(r),
            evidenceList(r.evidence)
          )
        );
      }
    }

    if ([...initial.keys()].length) run();
  }

  /* ---------------------------------------------------------------- 机构 /institution/{id} */

  function initInstitution() {
    const id = document.body.dataset.institutionId;
    const status = $("#inst-status");
    try {
      const back = sessionStorage.getItem(LAST_SEARCH);
      if (back && back.startsWith("/search")) $("#back-link").setAttribute("href", back);
    } catch (e) {
      /* private mode */
    }

    (async () => {
      let inst;
      try {
        inst = await api("GET", path("/api/v1/institutions/", id));
      } catch (err) {
        setStatus(
          status,
          err instanceof ApiError && err.status === 404 ? "未找到该机构，可能已从目录中移除。" : errorText(err, "载入机构"),
          "error"
        );
        return;
      }
      render(inst);
      setStatus(status, "", "");
      $("#institution").hidden = false;
      document.title = `${inst.name} · 机构详情`;
    })();

    function render(inst) {
      $("#inst-name").textContent = inst.name;
      const badges = clear($("#inst-badges"));
      add(badges, [
        badge(inst.type || "机构", "type"),
        inst.small_business_discount ? badge("小微优惠", "discount") : null,
        channelsOf(inst.channels).includes("online") ? badge("线上", "online") : null,
        inst.demo ? badge("演示数据", "demo") : null,
      ]);
      const dl = clear($("#inst-details"));
      const row = (label, value) => {
        if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length))
          return;
        dl.append(el("dt", null, label), el("dd", null, value));
      };
      row("地址", fullAddress(inst));
      row("电话", inst.phone);
      row("邮箱", inst.email);
      row("服务范围", SERVICE_AREA[inst.service_area] || inst.service_area);
      row(
        "资质",
        String(inst.accreditations || "")
          .split("|")
          .filter(Boolean)
          .map((a) => el("span", { class: "chip" }, a))
      );
      row("办理方式", channelsOf(inst.channels).map((c) => CHANNEL[c] || c).join("、"));
      row("小微优惠", inst.small_business_discount ? inst.discount_note || "提供" : null);
      row("办理时限", inst.turnaround_days ? `约 ${inst.turnaround_days} 天` : null);
      row("服务类别", (inst.categories || []).map((c) => el("span", { class: "cat-badge " + catClass(c) }, catName(c))));
      row("简介", inst.description);

      const caps = inst.capabilities || [];
      $("#cap-count").textContent = `共 ${caps.length} 项`;
      const box = clear($("#capabilities"));
      const order = CAT_ORDER;
      const groups = new Map();
      for (const c of caps) {
        if (!groups.has(c.category)) groups.set(c.category, []);
        groups.get(c.category).push(c);
      }
      const cats = [...groups.keys()].sort((a, b) => {
        const ia = order.indexOf(a);
        const ib = order.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
      });
      for (const cat of cats) {
        const lines = groups.get(cat);
        const rows = lines.map((c) =>
          el(
            "tr",
            { dataset: { lineId: c.line_id } },
            el("td", null, el("strong", null, c.object), c.item ? "：" + c.item : ""),
            el("td", null, SUB[c.sub_service] || c.sub_service),
            el("td", null, c.standard ? el("span", { class: "std" }, c.standard) : "—", c.standard_title ? el("div", { class: "muted" }, c.standard_title) : null),
            el("td", null, [c.measuring_range, c.accuracy].filter(Boolean).join(" · ") || "—"),
            el("td", null, c.description || "")
          )
        );
        box.append(
          el(
            "details",
            { class: "card cap-group " + catClass(cat), open: lines.length <= 12, dataset: { category: cat } },
            el("summary", null, el("span", { class: "cat-badge " + catClass(cat) }, catName(cat)), ` ${lines.length} 项能力`),
            el(
              "div",
              { class: "table-wrap" },
              el(
                "table",
                { class: "cap-table" },
                el(
                  "thead",
                  null,
                  el("tr", null, ["项目", "子类", "依据标准", "范围/等级", "说明"].map((h) => el("th", null, h)))
                ),
                el("tbody", null, rows)
              )
            )
          )
        );
      }
      if (!caps.length) box.append(el("p", { class: "muted" }, "暂无能力条目。"));
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
              null,
              el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
              " → ",
              r.institution_name,
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
        if (err instanceof ApiError && err.status === 409) {
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
        (t.referrals || []).map((r) => el("option", { value: r.institution_id }, r.institution_name)),
        el("option", { value: "__other" }, "其他机构……")
      );
      const usedOther = el("input", {
        id: `${fid}-used-other`,
        type: "text",
        maxlength: "64",
        placeholder: "机构编号或名称",
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
        el("label", { for: `${fid}-used` }, "最终办理机构"),
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
    institution: initInstitution,
    board: initBoard,
  };

  function start() {
    initKeyBox();
    const box = $("#flash");
    if (box) {
      box.title = "点击关闭";
      box.addEventListener("click", hideFlash);
    }
    let page = document.body.dataset.page;
    if (page === "search" && document.body.dataset.institutionId !== undefined) page = "institution";
    const init = PAGES[page];
    if (init) init();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
