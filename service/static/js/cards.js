/* Resources (referrals, search results, a resource, ticket snapshots) as the server describes
 * them. Every resource object carries a `card` with its display strings, made by the server for
 * its kind; this module only places them:
 *
 *   card.subtitle                         the line under the name
 *   card.facts   [{label, value, key?, resource_id?}]   list cards: the "spec" line
 *   card.place   {label, value}           list cards: where it is
 *   card.badges  [{text, tone, title?}]   tone: CSS class tokens
 *   card.rows    [{label, key?, value?, chips?, resource_id?}]   the resource page
 *   card.name_note, card.slip_rows [{label, value, key?}], card.checklist_extra   the slip
 *
 * An object without a card (e.g. a ticket snapshot from before cards) is shown plainly: its name,
 * its kind and its address.
 */

import { path } from "./api.js";
import { LOCALITY, badge, el, fullAddress } from "./render.js";
import { kindName, kindOf } from "./kinds.js";

export function resId(r) {
  return r.resource_id || r.institution_id || "";
}

export function resName(r) {
  return r.resource_name || r.institution_name || r.name || "";
}

export function resourceHref(id) {
  return path("/resource/", id);
}

/** The card of an object, with every field present (empty when the server sent none). */
export function cardOf(r) {
  const c = (r && r.card && typeof r.card === "object" && !Array.isArray(r.card) && r.card) || {};
  const list = (x) => (Array.isArray(x) ? x.filter((v) => v && typeof v === "object") : []);
  return {
    present: Object.keys(c).length > 0, // {}: e.g. a snapshot of a kind no longer registered
    subtitle: text(c.subtitle),
    facts: list(c.facts),
    place: c.place && typeof c.place === "object" ? c.place : null,
    badges: list(c.badges),
    rows: list(c.rows),
    name_note: text(c.name_note),
    slip_rows: list(c.slip_rows),
    checklist_extra: (Array.isArray(c.checklist_extra) ? c.checklist_extra : []).map(text).filter(Boolean),
  };
}

export function text(v) {
  return v === null || v === undefined ? "" : String(v);
}

/** Only CSS class tokens from a tone (it is placed in className, never parsed). */
export function toneClass(tone) {
  return text(tone)
    .split(/\s+/)
    .filter((t) => /^[A-Za-z0-9_-]+$/.test(t))
    .join(" ");
}

/** A key as a class or id fragment. */
function keyPart(key) {
  const k = text(key);
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : "";
}

export function typeBadge(x) {
  const k = kindOf(x);
  const t = keyPart(k.name) || "unknown";
  return el("span", { class: "rtype-badge rtype-" + t, dataset: { resourceType: k.name } }, k.label);
}

/** The CSS class suffix of a kind (ref-…, result-…, slip-…, rtype-…). */
export function kindClass(x) {
  return keyPart(kindOf(x).name) || "unknown";
}

export function cardBadges(badges) {
  return badges.map((b) => badge(text(b.text), toneClass(b.tone), b.title ? text(b.title) : null));
}

/** List cards (console referrals, search results): locality first, then the card's badges. */
export function referralBadges(r) {
  const out = [];
  if (r.locality && LOCALITY[r.locality]) {
    out.push(badge(LOCALITY[r.locality], "loc loc-" + r.locality));
  }
  return out.concat(cardBadges(cardOf(r).badges));
}

/** The subtitle and the spec line of a list card. `links`: facts naming another resource are
 *  links to it (not inside a radio's label). */
export function resourceSummary(r, links) {
  const card = cardOf(r);
  const facts = card.facts
    .filter((f) => text(f.value))
    .map((f) => {
      const key = keyPart(f.key);
      const value =
        links && f.resource_id
          ? el("a", { href: resourceHref(f.resource_id), class: key ? key + "-link" : null }, text(f.value))
          : text(f.value);
      return el("span", { class: key ? "spec-" + key : null }, text(f.label) + "：", value);
    });
  return [el("div", { class: "ref-type" }, card.subtitle), facts.length ? el("div", { class: "spec" }, facts) : null];
}

export function referralFacts(r) {
  const card = cardOf(r);
  const facts = [];
  if (typeof r.distance_km === "number") facts.push(el("span", null, `距离 ${r.distance_km} 公里`));
  const place = card.place || { label: "地址", value: fullAddress(r) };
  facts.push(el("span", null, text(place.label) + "：" + text(place.value)));
  if (r.phone) facts.push(el("span", null, "电话：" + r.phone));
  if (r.turnaround_days) facts.push(el("span", null, `办理约 ${r.turnaround_days} 天`));
  return el("div", { class: "facts" }, facts);
}
