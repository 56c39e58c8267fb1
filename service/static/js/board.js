/* 看板 /board: the tickets by status, with the next step and feedback. */

import { ApiError, api, errorText, getKey, path } from "./api.js";
import { askForKey, flash, setStatus } from "./chrome.js";
import { $, STATUSES, badge, catClass, catName, clear, el, fmtDate, fmtDateTime, ticketNo } from "./render.js";
import { kindLabels, kindName, kindOf } from "./kinds.js";
import { typeBadge } from "./cards.js";

export function init() {
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
            { dataset: { resourceId: r.institution_id, resourceType: kindName(r) } },
            el("span", { class: "cat-badge " + catClass(r.category) }, catName(r.category)),
            " → ",
            typeBadge(r),
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
        el("option", { value: r.institution_id }, `${r.institution_name}（${kindOf(r).label}）`)
      ),
      el("option", { value: "__other" }, "其他承办方……")
    );
    const usedOther = el("input", {
      id: `${fid}-used-other`,
      type: "text",
      maxlength: "64",
      placeholder: kindLabels() + "的编号或名称",
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
