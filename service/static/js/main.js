/* qis-match 一站式服务窗口 — the pages' entry module (ES modules served as they are, no build step).
 *
 * base.html loads this module on every page; it sets up the shared chrome (key box, flash box)
 * and then the module of the page named by <body data-page>. Security rule for every module:
 * strings from the API or the user go into the page as text only (see api.js).
 */

import * as analytics from "./analytics.js";
import * as board from "./board.js";
import { initFlash, initKeyBox } from "./chrome.js";
import * as consolePage from "./console.js";
import * as resource from "./resource.js";
import * as search from "./search.js";
import * as slip from "./slip.js";

// Static imports, not import(): the whole module graph runs before DOMContentLoaded, so a page
// is wired before it reports "loaded" and nothing typed before that is overwritten or ignored.
const PAGES = { console: consolePage, slip, search, resource, board, analytics };

initKeyBox();
initFlash();
const page = PAGES[document.body.dataset.page];
if (page) page.init();
