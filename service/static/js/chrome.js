/* The page chrome every page shares: the flash box, status lines and the window-key box. */

import { KEY_STORE, getKey } from "./api.js";
import { $ } from "./render.js";

let flashTimer = null;

export function flash(msg, kind) {
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

export function setStatus(node, msg, kind) {
  if (!node) return;
  node.textContent = msg || "";
  node.className = "status-line " + (kind || "");
}

/** The key box in the header; saving or clearing the key fires `qis:key` on the document. */
export function initKeyBox() {
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

export function initFlash() {
  const box = $("#flash");
  if (box) {
    box.title = "点击关闭";
    box.addEventListener("click", hideFlash);
  }
}

export function askForKey(statusNode) {
  const msg = "请先在页面顶部“窗口密钥”处输入本窗口的密钥并保存。";
  setStatus(statusNode, msg, "error");
  const input = $("#api-key");
  if (input) input.focus();
}
