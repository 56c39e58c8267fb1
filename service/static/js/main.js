/* qis-match 一站式服务窗口 — the pages' entry module (ES modules served as they are, no build step).
 *
 * base.html loads this module on every page; it sets up the shared chrome (key box, flash box)
 * and then the module of the page named by <body data-page>. Security rule for every module:
 * strings from the API or the user go into the page as text only (see api.js).
 */

import { initFlash, initKeyBox } from "./chrome.js";

const PAGES = {
  console: () => import("./console.js"),
  slip: () => import("./slip.js"),
  search: () => import("./search.js"),
  resource: () => import("./resource.js"),
  board: () => import("./board.js"),
  analytics: () => import("./analytics.js"),
};

initKeyBox();
initFlash();
const load = PAGES[document.body.dataset.page];
if (load) load().then((m) => m.init());
