/* The JSON API: fetch with the window key, errors a clerk can act on.
 *
 * Security rule for every module of the pages: each string from the API or from the user goes
 * into the page as text (textContent, Text nodes, createElement). Nothing parses an HTML string
 * (no innerHTML or the like) or evaluates code from a string.
 */

export const KEY_STORE = "qis.apiKey"; // sessionStorage: the clerk's key lives as long as the tab

export class ApiError extends Error {
  constructor(status, detail, code) {
    super(typeof detail === "string" ? detail : "HTTP " + status);
    this.status = status;
    this.detail = detail;
    this.code = code || null; // 409: version_conflict | invalid_transition
  }
}

export function getKey() {
  try {
    return sessionStorage.getItem(KEY_STORE) || "";
  } catch (e) {
    return "";
  }
}

/** Mark the key box as holding a good or a bad key (after an authenticated call). */
function markKey(ok) {
  const input = document.getElementById("api-key");
  if (input) input.classList.toggle("bad", !ok);
  const state = document.getElementById("key-state");
  if (state && !ok) {
    state.textContent = "密钥无效";
    state.className = "key-state bad";
  }
}

/** A same-origin path from literal parts and values: path("/api/v1/tickets/", id, "/status"). */
export function path(...parts) {
  return parts.map((p, i) => (i % 2 ? encodeURIComponent(String(p)) : p)).join("");
}

export async function api(method, url, opts) {
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
export function errorText(err, what) {
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

export function isAuthError(err) {
  return err instanceof ApiError && (err.status === 0 || err.status === 401 || err.status === 403);
}
