/* Resource kinds (the built-in ones and whatever else the server registers).
 *
 * Nothing here knows a particular kind: the server sends the kind descriptors in the page's UI
 * data (`ui_data.kinds`, in registration order) —
 *   {name, label, role, detail_link, lines_title, line_columns: [{key, label}], checklist: [..]}
 * — and a `card` with the display strings on every resource object (see cards.js).
 */

import { UI } from "./render.js";

export const KINDS = (Array.isArray(UI.kinds) ? UI.kinds : []).filter((k) => k && k.name);
const BY_NAME = new Map(KINDS.map((k) => [String(k.name), k]));

/** The capability-line columns of a kind that does not say (the generic line fields). */
export const DEFAULT_COLUMNS = [
  { key: "object", label: "项目" },
  { key: "sub_service", label: "子类" },
  { key: "standard", label: "依据标准" },
  { key: "range", label: "范围/等级" },
  { key: "description", label: "说明" },
];

/** The kind name of a referral, search result, resource or ticket referral: its
 *  `resource_type`, or the first registered kind when it has none (the API's default). */
export function kindName(x) {
  const t = x && x.resource_type;
  if (t !== null && t !== undefined && t !== "") return String(t);
  return KINDS.length ? String(KINDS[0].name) : "";
}

/** The descriptor of a kind (by name, or of an object with `resource_type`); a kind the page
 *  was not told about gets a plain one that shows its name. */
export function kindOf(x) {
  const name = typeof x === "string" ? x : kindName(x);
  const k = BY_NAME.get(name);
  if (k) return k;
  return { name, label: name || "服务资源", role: "承办方", detail_link: "详情", lines_title: "条目" };
}

export function isKind(name) {
  return BY_NAME.has(String(name));
}

/** "机构、专家或共享仪器" — the labels of all kinds, for texts about any resource. */
export function kindLabels() {
  const labels = KINDS.map((k) => k.label);
  if (labels.length < 2) return labels.join("") || "服务资源";
  return labels.slice(0, -1).join("、") + "或" + labels[labels.length - 1];
}
