// The page's side of offline use: registers the service worker (sw.js) once
// the page has loaded, and shows the notice that a new version of the
// portal took over, in the language the app set on <html lang>.
//
// The notice lives in a polite status region placed before the app's root
// once the app is mounted (`showUpdates`, called by main.js: mounting
// clears the page's body), empty until there is news:
// "reload" when a newer build's service worker took over this page, which
// still runs the older code (a reload button is offered); "done" when this
// page is a newer build than the one last opened in this browser. The state
// is also `<html data-update>`, and `<html data-version>` is this build's
// version (stamped by scripts/portal.sh, as in sw.js).
const VERSION = "__SAFEGRADE_VERSION__";
const SEEN = "safegrade.portal.version";
const TEXTS = {
  zh: {
    done: "已更新到新版本。",
    reload: "已更新到新版本。本页仍是旧版本，重新载入后使用新版本（答案会保留）。",
    button: "重新载入",
    dismiss: "关闭",
  },
  en: {
    done: "The portal was updated to a new version.",
    reload: "The portal was updated to a new version. This page still runs the old one: reload to use the new version (your answers are kept).",
    button: "Reload",
    dismiss: "Dismiss",
  },
};

const root = document.documentElement;
root.dataset.version = VERSION;
let region = null;
let dismissed = null;

function button(text, onclick, attrs = {}) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.addEventListener("click", onclick);
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  return b;
}

function render() {
  if (region === null) return;
  const state = root.dataset.update;
  if (!state || state === dismissed) {
    region.replaceChildren();
    return;
  }
  const t = TEXTS[root.lang === "en" ? "en" : "zh"];
  const box = document.createElement("div");
  box.className = "notice";
  box.dataset.update = state;
  const text = document.createElement("span");
  text.textContent = t[state];
  box.append(text, " ");
  if (state === "reload") box.append(button(t.button, () => location.reload(), { id: "update-reload" }), " ");
  box.append(button("✕", () => { dismissed = state; render(); }, { class: "link", "aria-label": t.dismiss }));
  region.replaceChildren(box);
}

function announce(state) {
  root.dataset.update = state;
  render();
}

// Places the notice's region at the top of the page and shows any news.
export function showUpdates() {
  region = document.createElement("div");
  region.id = "update-notice";
  region.className = "update-region no-print";
  region.setAttribute("role", "status");
  document.body.prepend(region);
  new MutationObserver(render).observe(root, { attributes: true, attributeFilter: ["lang"] });
  render();
}

try {
  const seen = localStorage.getItem(SEEN);
  if (seen !== null && seen !== VERSION) announce("done");
  if (seen !== VERSION) localStorage.setItem(SEEN, VERSION);
} catch {
  // No storage (disabled, full): no notice after an update.
}

if ("serviceWorker" in navigator) {
  const sw = navigator.serviceWorker;
  // A page opened with no service worker gets its first one: not an update.
  const hadController = sw.controller !== null;
  sw.addEventListener("controllerchange", () => {
    if (hadController) announce("reload");
  });
  const register = () => sw.register("sw.js").catch(() => {
    // Refused (a private window, a policy): the portal works online only.
  });
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
