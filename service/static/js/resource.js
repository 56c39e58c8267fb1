/* 资源 /resource/{id}: one resource (of any kind) and its capability lines. The profile rows,
 * subtitle and badges come from the resource's `card`; the line table's title and columns from
 * its kind (see kinds.js). */

import { ApiError, api, errorText, path } from "./api.js";
import { setStatus } from "./chrome.js";
import { $, CAT_ORDER, LAST_SEARCH, SUB, add, badge, catClass, catName, clear, el, fullAddress, listOf } from "./render.js";
import { DEFAULT_COLUMNS, kindLabels, kindName, kindOf } from "./kinds.js";
import { cardBadges, cardOf, resourceHref, text, toneClass, typeBadge } from "./cards.js";

export function init() {
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
          ? `未找到该${kindLabels()}，可能已从目录中移除。`
          : errorText(err, "载入"),
        "error"
      );
      return;
    }
    render(res);
    setStatus(status, "", "");
    $("#resource").hidden = false;
    document.title = `${res.name} · ${kindOf(res).detail_link}`;
  })();

  function render(res) {
    const kind = kindOf(res);
    const card = cardOf(res);
    document.body.dataset.resourceType = kindName(res);
    clear($("#res-kind")).append(typeBadge(res));
    $("#res-name").textContent = res.name;
    const sub = clear($("#res-sub"));
    add(sub, card.subtitle);
    sub.hidden = !sub.textContent;

    const badges = clear($("#res-badges"));
    add(badges, [cardBadges(card.badges), res.demo ? badge("演示数据", "demo") : null]);
    badges.hidden = !badges.childElementCount;

    const dl = clear($("#res-details"));
    const row = (label, value, key) => {
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length))
        return;
      dl.append(el("dt", null, label), el("dd", { dataset: key ? { field: key } : null }, value));
    };
    for (const r of card.rows) {
      const key = text(r.key);
      let value;
      if (Array.isArray(r.chips)) {
        value = r.chips
          .filter((c) => c && text(c.text))
          .map((c) => el("span", { class: ("chip " + toneClass(c.tone)).trim(), title: c.title ? text(c.title) : null }, text(c.text)));
      } else if (r.resource_id) {
        value = el("a", { href: resourceHref(r.resource_id), id: /^[A-Za-z0-9_-]+$/.test(key) ? key + "-link" : null }, text(r.value));
      } else {
        value = text(r.value);
      }
      row(text(r.label), value, key);
    }
    if (!card.present) {
      // A resource without a card (from an older server): its contact, plainly.
      row("地址", fullAddress(res), "address");
      row("电话", res.phone, "phone");
      row("邮箱", res.email, "email");
    }
    row(
      "服务类别",
      (res.categories || []).map((c) => el("span", { class: "cat-badge " + catClass(c) }, catName(c)))
    );
    row("简介", res.description);

    renderLines(kind, res.capabilities || []);
  }

  /** A cell of a capability line, by column key (generic line fields; another key is shown as
   *  the line's field of that name). [render, shown when some line has …] */
  const CELLS = {
    object: [(c) => el("span", null, el("strong", null, c.object), c.item ? "：" + c.item : ""), () => true],
    sub_service: [(c) => SUB[c.sub_service] || c.sub_service, () => true],
    standard: [
      (c) => [
        c.standard ? el("span", { class: "std" }, c.standard) : "—",
        c.standard_title ? el("div", { class: "muted" }, c.standard_title) : null,
      ],
      (c) => c.standard || c.standard_title,
    ],
    range: [(c) => [c.measuring_range, c.accuracy].filter(Boolean).join(" · ") || "—", (c) => c.measuring_range || c.accuracy],
    model: [(c) => listOf(c.accuracy).join(" / ") || "—", (c) => c.measuring_range || c.accuracy],
    description: [(c) => c.description || "", (c) => c.description],
  };

  function cellOf(key) {
    if (Object.prototype.hasOwnProperty.call(CELLS, key)) return CELLS[key];
    const has = (c) => c[key] !== null && c[key] !== undefined && c[key] !== "";
    return [(c) => (has(c) ? text(c[key]) : "—"), has];
  }

  function renderLines(kind, caps) {
    $("#cap-title").textContent = kind.lines_title || "条目";
    $("#cap-count").textContent = `共 ${caps.length} 项`;
    const box = clear($("#capabilities"));
    const wanted = Array.isArray(kind.line_columns) && kind.line_columns.length ? kind.line_columns : DEFAULT_COLUMNS;
    // Columns without a value in any line are left out (experts have no standards or ranges).
    const columns = wanted
      .map((col) => [text(col.label), ...cellOf(text(col.key))])
      .filter(([, , shown]) => caps.some((c) => shown(c)));

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
