// End-to-end test of the portal offline and across an update, in headless
// Chromium.
//
//   node offline.test.mjs DIST EXPECTED_JSON
//
// DIST is the built portal (scripts/portal.sh); EXPECTED_JSON is `safegrade
// eval` run natively on fixtures/firm.json (as for portal.test.mjs). The
// test serves DIST itself with python's http.server on one port of
// 127.0.0.1 for the whole run, because an update is a new build at the same
// origin: the first visit waits for the service worker (sw.js) to control
// the page and picks the hazchem rule set; then the server is stopped and
// the browser set offline (both checked), and a reload must show the picker
// and the hazchem questionnaire, which evaluates the fixture's answers as
// natively; a rule set never read says, in both languages, that it cannot
// be read. Then a second build (DIST with another version stamped and
// index.html changed) is served on the same port: revisiting shows the
// update notice with a reload offer, the new service worker owns the only
// cache (with the rule file read before), and after the reload the page is
// the new build, says it was updated (in Chinese, then English) and works
// offline again. No console errors. Figures are printed and merged into
// out/metrics.json under "offline".
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fillFirm } from "./form.mjs";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "out");
mkdirSync(out, { recursive: true });
const [dist, expectedPath] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, "utf8"));
const firm = JSON.parse(readFileSync(join(here, "fixtures/firm.json"), "utf8"));
const HAZCHEM = "rules/hazchem-risk-2018.toml";
const NEVER_READ = "rules/lec.toml";
const SCHEME = "rules/schemes/hazchem.toml";
const FORM = "#questionnaire #q-n_major_hazards_grade_1";

let step = "";
const t = (name) => { step = name; console.log(`  - ${name}`); };

// ------------------------------------------------------------ the server

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const reachable = (url) => fetch(url).then(() => true, () => false);

async function serve(dir, port) {
  const proc = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir],
    { stdio: "ignore" });
  for (let i = 0; i < 100 && !(await reachable(`http://127.0.0.1:${port}/`)); i++) await new Promise((r) => setTimeout(r, 100));
  return proc;
}

async function stop(proc, port) {
  proc.kill();
  await new Promise((r) => proc.once("exit", r));
  assert.equal(await reachable(`http://127.0.0.1:${port}/`), false, "the server is down");
}

// -------------------------------------------------------- the page's side

// The stamped version of a build.
const versionOf = (dir) => readFileSync(join(dir, "sw.js"), "utf8").match(/^const VERSION = "([^"]+)";/m)[1];

// The portal's caches: names, and per cache its paths and bytes.
const cachesIn = (page) => page.evaluate(async () => {
  const all = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    const entries = {};
    for (const req of await cache.keys()) {
      entries[new URL(req.url).pathname.slice(1)] = (await (await cache.match(req)).arrayBuffer()).byteLength;
    }
    all[name] = entries;
  }
  return all;
});

// Answers the fixture's firm as of its date.
async function answerFirm(page) {
  await page.fill("#as-of", expected.as_of);
  await page.locator("#as-of").dispatchEvent("change");
  await fillFirm(page, firm);
}

async function assertEvaluates(page) {
  await answerFirm(page);
  await page.waitForSelector("#result[data-grade]");
  assert.equal(await page.getAttribute("#result", "data-grade"), expected.grade);
  assert.equal(await page.getAttribute("#result", "data-score"), String(expected.score));
}

// -------------------------------------------------------------- the test

const metrics = {};
const port = await freePort();
const url = `http://127.0.0.1:${port}/`;
const v1 = versionOf(dist);
const second = mkdtempSync(join(tmpdir(), "safegrade-offline-"));
let server = await serve(dist, port);
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The probe that proves the network is off fails on purpose.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.location().url.includes("/never-cached-")) errors.push(m.text());
  });

  t("first visit: the service worker installs and controls the page");
  await page.goto(url);
  await page.waitForSelector("html[data-mounted-ms] #ruleset");
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  metrics.service_worker_ready_ms = await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    return Math.round(performance.now());
  });
  assert.equal(await page.getAttribute("html", "data-version"), v1);
  assert.equal(await page.locator("#update-notice .notice").count(), 0, "no update notice on a first visit");

  t("pick the hazchem rule set; the worker's read of it (and its include) is cached");
  await page.selectOption("#ruleset", HAZCHEM);
  await page.waitForSelector(FORM);
  let cached = await cachesIn(page);
  assert.deepEqual(Object.keys(cached), [`safegrade-portal-${v1}`]);
  const shell = cached[`safegrade-portal-${v1}`];
  for (const f of ["index.html", "main.js", "offline.js", "worker.js", "app.js", "app_bg.wasm", "style.css",
    "manifest.webmanifest", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png",
    HAZCHEM, "rules/accident-severity.toml"]) {
    assert.ok(shell[f] > 0, `${f} is cached`);
  }
  assert.equal(shell[NEVER_READ], undefined, "a rule set never read is not cached");

  t("pick the hazchem scheme, then the rule set again: the scheme and its steps' files are cached");
  await page.selectOption("#ruleset", SCHEME);
  await page.waitForSelector("#questionnaire #q-standardization");
  await page.selectOption("#ruleset", HAZCHEM);
  await page.waitForSelector(FORM);
  cached = await cachesIn(page);
  for (const f of [SCHEME, "rules/blacklist-2023.toml", "rules/credit-rating.toml", "rules/supervision-tier.toml"]) {
    assert.ok(cached[`safegrade-portal-${v1}`][f] > 0, `${f} is cached`);
  }
  metrics.bytes_cached = Object.values(shell).reduce((a, b) => a + b, 0);
  metrics.files_cached = Object.keys(shell).length;

  t("the manifest is linked and names the icons");
  const manifest = await page.evaluate(async () => {
    const href = document.querySelector("link[rel=manifest]").href;
    return (await fetch(href)).json();
  });
  assert.equal(manifest.display, "standalone");
  for (const size of ["192x192", "512x512"]) assert.ok(manifest.icons.some((i) => i.sizes === size && i.type === "image/png"));
  assert.ok(manifest.icons.some((i) => i.type === "image/svg+xml"));

  t("cut the network: the server stops and the browser goes offline");
  await stop(server, port);
  server = null;
  await context.setOffline(true);
  const probe = await page.evaluate(() => fetch(`never-cached-${Date.now()}`).then(() => "answered", () => "failed"));
  assert.equal(probe, "failed", "a request the cache cannot answer fails");

  t("reload offline: the picker, then the hazchem questionnaire, which evaluates");
  const reloadStart = Date.now();
  await page.reload();
  await page.waitForSelector("html[data-mounted-ms] #ruleset");
  await page.waitForSelector(FORM);
  metrics.offline_reload_to_form_ms = Date.now() - reloadStart;
  assert.equal(await page.inputValue("#ruleset"), HAZCHEM);
  await assertEvaluates(page);

  t("offline, the scheme read before: its questionnaire, and every step evaluates");
  await page.selectOption("#ruleset", SCHEME);
  await page.waitForSelector("#questionnaire #q-standardization");
  await page.waitForSelector("#result[data-steps='4']");
  await page.selectOption("#ruleset", HAZCHEM);
  await page.waitForSelector(FORM);

  t("offline, a rule set never read says so, in Chinese and in English");
  await page.selectOption("#ruleset", NEVER_READ);
  const title = page.locator("[data-testid=diagnostics] #diag-title");
  await title.waitFor();
  assert.equal(await title.innerText(), "无法读取：离线时只能用本浏览器打开过的规则集。");
  assert.match(await page.locator("[data-testid=diagnostics] li").innerText(), /cannot read `rules\/lec\.toml`/);
  await page.click("#lang-switch");
  await page.waitForFunction(() => document.querySelector("#diag-title").textContent.startsWith("Cannot be read"));
  assert.equal(await title.innerText(), "Cannot be read: offline, only rule sets opened here before work.");
  await page.click("#lang-switch");
  await page.selectOption("#ruleset", HAZCHEM);
  await page.waitForSelector("#result[data-grade]");

  t("a second build, served on the same origin");
  cpSync(dist, second, { recursive: true });
  const v2 = `${v1.slice(0, 8)}e2e2`;
  for (const f of ["sw.js", "offline.js"]) {
    const p = join(second, f);
    writeFileSync(p, readFileSync(p, "utf8").replaceAll(v1, v2));
  }
  const indexPath = join(second, "index.html");
  writeFileSync(indexPath, readFileSync(indexPath, "utf8").replace("<head>", '<head>\n  <meta name="build" content="second">'));
  server = await serve(second, port);
  await context.setOffline(false);

  t("revisit: the new service worker takes over; the old page offers a reload");
  const updateStart = Date.now();
  await page.goto(url);
  await page.waitForSelector("#update-notice .notice[data-update=reload]");
  metrics.revisit_to_update_notice_ms = Date.now() - updateStart;
  assert.equal(await page.getAttribute("html", "data-version"), v1, "this page still runs the first build");
  assert.equal(await page.getAttribute("#update-notice", "role"), "status");
  assert.match(await page.textContent("#update-notice"), /已更新到新版本.*重新载入/);
  // The page switches to the new worker as it activates; the old cache is
  // deleted while it does.
  const deadline = Date.now() + 10_000;
  while (Object.keys((cached = await cachesIn(page))).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(Object.keys(cached), [`safegrade-portal-${v2}`], "the old cache is deleted");
  assert.ok(cached[`safegrade-portal-${v2}`][HAZCHEM] > 0, "the rule set read before stays available offline");

  t("reload: the new build, which says it was updated, in the current language");
  await page.click("#update-reload");
  await page.waitForSelector("#update-notice .notice[data-update=done]");
  await page.waitForSelector(FORM);
  assert.equal(await page.getAttribute("html", "data-version"), v2);
  assert.equal(await page.getAttribute("meta[name=build]", "content"), "second");
  assert.equal(await page.textContent("#update-notice .notice span"), "已更新到新版本。");
  await page.click("#lang-switch");
  await page.waitForFunction(() =>
    document.querySelector("#update-notice .notice span").textContent === "The portal was updated to a new version.");
  await page.click("#lang-switch");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");

  t("the new build works offline too");
  await stop(server, port);
  server = null;
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector(FORM);
  assert.equal(await page.getAttribute("html", "data-version"), v2);
  assert.equal(await page.locator("#update-notice .notice").count(), 0, "the update is told once");
  await page.waitForSelector("#result[data-grade]");
  assert.equal(await page.getAttribute("#result", "data-grade"), expected.grade);

  assert.deepEqual(errors, [], "no errors in the page console");
} catch (e) {
  console.error(`FAILED at step: ${step}`);
  throw e;
} finally {
  await browser.close();
  if (server) server.kill();
  rmSync(second, { recursive: true, force: true });
}
const metricsPath = join(out, "metrics.json");
const all = existsSync(metricsPath) ? JSON.parse(readFileSync(metricsPath, "utf8")) : {};
writeFileSync(metricsPath, JSON.stringify({ ...all, offline: metrics }, null, 2) + "\n");
console.log("offline e2e: ok");
console.log(JSON.stringify(metrics, null, 2));
