/* 告知单 /slip/{id}: the one-time notice for the enterprise, from the ticket's snapshots. */

import { api, errorText, getKey, path } from "./api.js";
import { askForKey, setStatus } from "./chrome.js";
import { $, SUB, catName, clear, el, fmtDate, fullAddress, notWantedText, ticketNo } from "./render.js";
import { kindName, kindOf } from "./kinds.js";
import { CHECKLIST, SUB_CHECKLIST } from "./checklists.js";
import { cardOf, kindClass, text } from "./cards.js";

/** What to bring: the kind's own checklist, else the sub-service's or the category's; then what
 *  the referral's card adds (e.g. a shared device's operator training). */
function checklistFor(r, card) {
  const own = kindOf(r).checklist;
  const base =
    Array.isArray(own) && own.length
      ? own
      : SUB_CHECKLIST[r.sub_service] || CHECKLIST[r.category] || CHECKLIST.other;
  return base.map(text).concat(card.checklist_extra);
}

export function init() {
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
      const kind = kindOf(r);
      const rows = [];
      const tr = (label, value, cls) =>
        rows.push(el("tr", { class: cls || null }, el("th", null, label), el("td", null, value || "—")));
      // Everything below comes from the snapshot taken when the ticket was made: the slip shows
      // what the enterprise was told, even if the catalog has changed since. The snapshot's card
      // (made by the server for the resource's kind) says which rows to show.
      const snap = r.snapshot || null;
      const name = (snap && snap.name) || r.institution_name;
      const card = cardOf(snap);
      tr(kind.role || kind.label, el("span", null, el("strong", null, name), card.name_note));
      if (snap && card.present) {
        for (const row of card.slip_rows) {
          const key = text(row.key);
          tr(text(row.label), text(row.value), /^[A-Za-z0-9_-]+$/.test(key) ? "slip-" + key : null);
        }
      } else if (snap) {
        // A snapshot from before cards: its name, address and contact, plainly.
        tr("地址", fullAddress(snap));
        tr("联系电话", snap.phone, "slip-phone");
        if (snap.email) tr("电子邮箱", snap.email);
      } else {
        tr("联系方式", "请向窗口咨询");
      }
      tr("请准备", el("ul", { class: "checklist" }, checklistFor(r, card).map((x) => el("li", null, x))));
      box.append(
        el(
          "section",
          { class: "slip-need slip-" + kindClass(r), dataset: { resourceType: kindName(r) } },
          el(
            "h3",
            null,
            `（${i + 1}）${catName(r.category)}${sub ? " · " + sub : ""}`,
            el("span", { class: "slip-rtype" }, kind.label)
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
