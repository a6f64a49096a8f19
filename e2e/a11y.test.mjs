// Accessibility test of the built portal in headless Chromium.
//
//   node a11y.test.mjs URL
//
// URL serves dist/ (scripts/test-browser.sh starts the server).
//
// 1. axe-core (the version pinned in package.json) scans, in Chinese and in
//    English: the rule-set picker at first load, the hazchem questionnaire
//    with a list record added, a result with its next-grade plan; and, in
//    Chinese, the result at phone width, an input error shown and the
//    question asked before loading another rule set's answers. Rules: WCAG
//    2.0/2.1 A and AA, and best practices. No violation may be serious or
//    critical; the counts of all violations by impact go to out/a11y.json
//    (with what axe left for review, not asserted).
// 2. Checks axe does not make: every input has a label; errors are tied to
//    their inputs; the result is announced by a small polite status region
//    (grade and score), not by the whole panel, and not again while typing
//    leaves it unchanged.
// 3. The keyboard alone (Tab, Shift+Tab, Enter, Space, arrows, typing)
//    picks the hazchem rule set, answers a yes/no and a number question,
//    adds and fills an accident record, reaches the result by the skip link,
//    and dismisses a notice; every focused element is visible, with a
//    focus ring.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "out");
mkdirSync(out, { recursive: true });
const [url] = process.argv.slice(2);
const RULESET = "rules/hazchem-risk-2018.toml";
const AS_OF = "2026-11-29";
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_VERSION = JSON.parse(readFileSync(require.resolve("axe-core/package.json"), "utf8")).version;
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
const IMPACTS = ["critical", "serious", "moderate", "minor"];

let step = "";
const t = (name) => { step = name; console.log(`  - ${name}`); };

// The page's Content-Security-Policy allows scripts from 'self' only, so the
// inline <script> that page.addScriptTag({content}) adds is refused
// (checked below, on a context that enforces it). The scans therefore run in
// a context made with bypassCSP: true; the keyboard test runs with the
// policy enforced.
async function cspBlocksInjection(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector("html[data-mounted-ms] #ruleset");
  await page.addScriptTag({ content: "window.__injected = true;" }).catch(() => {});
  const injected = await page.evaluate(() => window.__injected === true);
  await context.close();
  return !injected;
}

const scans = [];
async function scan(page, name, lang) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.addScriptTag({ content: AXE_SOURCE });
  }
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations", "incomplete"] }),
    TAGS,
  );
  const violations = result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.length,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
  // What axe could not decide (such as contrast over a gradient): listed, not asserted.
  const review = result.incomplete.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  scans.push({ name, lang, violations, review });
  const brief = violations.map((v) => `${v.impact} ${v.id} ×${v.nodes} (${v.targets.join(", ")})`).join("; ") || "none";
  console.log(`    axe ${name} [${lang}]: ${brief}; to review: ${review.map((v) => `${v.id} ×${v.nodes}`).join(", ") || "none"}`);
}

async function waitGrade(page) {
  await page.waitForSelector("#result[data-grade] [data-testid=grade]");
  await page.waitForSelector("#result [data-testid=next-grade]");
}

// The status region announcing the result.
const LIVE = "[data-testid=result-status]";
const liveText = (page) => page.locator(LIVE).innerText();

// Fills the first accident record completely (a record missing a required
// field is an input error).
async function fillRecord(page, i) {
  await page.fill(`#q-accidents-${i}-date`, "2025-03-10");
  await page.fill(`#q-accidents-${i}-deaths`, "0");
  await page.fill(`#q-accidents-${i}-serious_injuries`, "1");
}

// Every input, select and textarea has a label: `<label for>` or an aria-label.
async function unlabelled(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((e) => e.type !== "hidden")
      .filter((e) => !(e.labels && e.labels.length > 0 && [...e.labels].some((l) => l.textContent.trim())) && !e.getAttribute("aria-label"))
      .map((e) => e.id || e.outerHTML.slice(0, 80)));
}

const browser = await launch();
const errors = [];
try {
  t("the page's CSP refuses an injected inline script (so the scans bypass it)");
  const blocked = await cspBlocksInjection(browser);
  assert.ok(blocked, "the page's Content-Security-Policy refuses an inline script");

  for (const lang of ["zh", "en"]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

    t(`[${lang}] the rule-set picker at first load`);
    await page.goto(url);
    await page.waitForSelector("html[data-mounted-ms] #ruleset");
    if (lang === "en") {
      await page.click("#lang-switch");
      await page.waitForSelector("html[lang=en]");
    }
    assert.deepEqual(await unlabelled(page), [], "inputs without a label (picker)");
    await scan(page, "picker", lang);

    t(`[${lang}] the hazchem questionnaire with a list record added`);
    await page.selectOption("#ruleset", RULESET);
    await page.waitForSelector("#questionnaire #q-n_major_hazards_grade_1");
    await page.fill("#as-of", AS_OF);
    await page.locator("#as-of").dispatchEvent("change");
    await page.click("[data-list=accidents] button.add");
    await page.waitForSelector("#q-accidents-0-date");
    assert.deepEqual(await unlabelled(page), [], "inputs without a label (questionnaire)");
    await scan(page, "questionnaire", lang);

    t(`[${lang}] a result with its next-grade plan`);
    await fillRecord(page, 0);
    await page.fill("#q-n_major_hazards_grade_2", "1");
    await page.fill("#q-n_explosives", "2");
    await page.check("#q-no_dual_power");
    await page.fill("#q-n_gas_detection_missing", "2");
    await waitGrade(page);
    assert.ok(await page.locator("#result [data-testid=next-grade] li").count() > 0, "a next-grade plan is shown");
    const grade = (await page.locator("[data-testid=grade]").innerText()).trim();
    const score = await page.getAttribute("#result", "data-score");
    const said = await liveText(page);
    assert.ok(said.includes(grade) && said.includes(score), `the status names the grade and score: ${said}`);
    await scan(page, "result", lang);
    if (lang === "zh") {
      // At phone width: one column, the list as cards, the fixed result bar.
      await page.setViewportSize({ width: 390, height: 844 });
      await scan(page, "result at phone width", lang);
      await page.setViewportSize({ width: 1280, height: 900 });
    }

    t(`[${lang}] the result is announced by a short status, not by the whole panel`);
    const live = await page.evaluate((sel) => {
      const e = document.querySelector(sel);
      return { role: e.getAttribute("role"), live: e.getAttribute("aria-live"), len: e.textContent.length, panel: document.querySelector("#result").getAttribute("aria-live") };
    }, LIVE);
    assert.equal(live.role, "status");
    assert.equal(live.live, "polite");
    assert.ok(live.len < 120, "the status is a short summary");
    assert.equal(live.panel, null, "the whole result panel is not a live region");
    // An answer that leaves grade and score alone does not touch the region.
    await page.evaluate((sel) => {
      window.__liveChanges = 0;
      new MutationObserver((m) => { window.__liveChanges += m.length; })
        .observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true });
    }, LIVE);
    await page.locator("#q-accidents-0-id").pressSequentially("AX-1");
    await page.waitForFunction(() => !document.querySelector("#result").classList.contains("pending"));
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__liveChanges), 0, "the status changed while the result did not");
    assert.equal(await liveText(page), said);

    if (lang === "zh") {
      t(`[${lang}] an input error: tied to its input, and scanned`);
      await page.fill("#q-n_major_hazards_grade_1", "-1");
      await page.waitForSelector("#q-n_major_hazards_grade_1-err");
      const tie = await page.evaluate(() => {
        const e = document.querySelector("#q-n_major_hazards_grade_1");
        return { invalid: e.getAttribute("aria-invalid"), described: (e.getAttribute("aria-describedby") || "").split(" ") };
      });
      assert.equal(tie.invalid, "true");
      assert.ok(tie.described.includes("q-n_major_hazards_grade_1-err"), "aria-describedby names the error");
      await page.waitForFunction((sel) => document.querySelector(sel).textContent.length > 0
        && !document.querySelector("#result").hasAttribute("data-grade"), LIVE);
      assert.ok(!(await liveText(page)).includes(grade), "the status says the answers need fixing");
      await scan(page, "input error", lang);
      await page.fill("#q-n_major_hazards_grade_1", "");

      t(`[${lang}] answers saved for another rule set: the question takes the focus, is scanned, and Escape cancels it`);
      const other = JSON.stringify({ format: "safegrade-answers/1", ruleset: { id: "other-rules", version: "3", path: null }, as_of: AS_OF, answers: { n_explosives: "7" } });
      await page.setInputFiles("#load-answers", { name: "other.json", mimeType: "application/json", buffer: Buffer.from(other) });
      const dialog = page.locator("[data-testid=confirm-import]");
      await dialog.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), "import-cancel", "the question has the focus");
      await scan(page, "confirm dialog", lang);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
    }

    t(`[${lang}] the hazchem scheme: one questionnaire, every step's result, announced`);
    await page.selectOption("#ruleset", "rules/schemes/hazchem.toml");
    await page.waitForSelector("#questionnaire #q-standardization");
    await page.selectOption("#q-standardization", "level_2");
    await page.fill("#q-n_hazard_processes", "3");
    await page.check("#q-safety_distance_noncompliant");
    await page.click("[data-list=penalties] button.add");
    await page.fill("#q-penalties-0-date", "2026-01-15");
    await page.waitForSelector("#result[data-steps='4'] [data-step=tier][data-grade]");
    assert.deepEqual(await unlabelled(page), [], "inputs without a label (scheme)");
    const stepGrades = await page.$$eval("#result [data-step] [data-testid=grade]", (es) => es.map((e) => e.textContent.trim()));
    assert.equal(stepGrades.length, 4);
    await page.waitForFunction(([sel, g]) => g.every((x) => document.querySelector(sel).textContent.includes(x)), [LIVE, stepGrades]);
    await scan(page, "scheme result", lang);
    await context.close();
  }

  t("keyboard only: pick, answer, add a record, reach the result");
  {
    // The page's CSP is enforced here; en-US fixes the date inputs' field order (mm/dd/yyyy).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US" });
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(url);
    await page.waitForSelector("html[data-mounted-ms] #ruleset");
    const kb = page.keyboard;
    const focused = () => page.evaluate(() => {
      const e = document.activeElement;
      const r = e.getBoundingClientRect();
      // The focus ring: the element's outline, or, for the visually hidden
      // answer-file input, its label's.
      const ring = (x) => x && getComputedStyle(x).outlineStyle !== "none" && parseFloat(getComputedStyle(x).outlineWidth) > 0;
      const ringed = ring(e) || [...(e.labels || [])].some(ring);
      return { id: e.id, tag: e.tagName, cls: e.className, w: r.width, h: r.height, ringed, text: (e.textContent || "").trim().slice(0, 40) };
    });
    // Presses `key` until `pred(focused)` holds; fails after `limit` presses.
    const until = async (key, pred, limit, what) => {
      for (let i = 0; i < limit; i++) {
        await kb.press(key);
        const f = await focused();
        assert.ok(f.w > 0 && f.h > 0, `focused element not visible: ${JSON.stringify(f)}`);
        // Past the last stop the focus leaves the page (the body) before it wraps round.
        assert.ok(f.ringed || f.tag === "BODY", `focused element shows no focus ring: ${JSON.stringify(f)}`);
        if (pred(f)) return f;
      }
      assert.fail(`${what} not reached with ${limit} × ${key}`);
    };

    await until("Tab", (f) => f.id === "ruleset", 10, "the rule-set picker");
    // The schemes come first in the picker, then the rule sets.
    for (let i = 0; i < 3 && (await page.inputValue("#ruleset")) !== RULESET; i++) await kb.press("ArrowDown");
    await page.waitForSelector("#questionnaire #q-n_major_hazards_grade_1");
    assert.equal(await page.inputValue("#ruleset"), RULESET);

    t("keyboard: the first 40 tab stops are all visible");
    const stops = [];
    for (let i = 0; i < 40; i++) {
      await kb.press("Tab");
      const f = await focused();
      stops.push(f.id || f.tag);
      assert.ok(f.w > 0 && f.h > 0, `tab stop ${i + 1} is not visible: ${JSON.stringify(f)}`);
      assert.ok(f.ringed, `tab stop ${i + 1} shows no focus ring: ${JSON.stringify(f)}`);
    }
    console.log(`    tab stops: ${stops.join(" ")}`);
    for (const id of ["own-rules", "as-of", "save-answers", "load-answers", "q-n_major_hazards_grade_1"]) {
      assert.ok(stops.includes(id), `#${id} is reached by Tab`);
    }

    t("keyboard: a number and a yes/no question");
    await until("Shift+Tab", (f) => f.id === "q-n_major_hazards_grade_2", 60, "the number question");
    await kb.type("1");
    await until("Tab", (f) => f.id === "q-tank_next_to_open_flame", 60, "the yes/no question");
    await kb.press("Space");
    assert.ok(await page.isChecked("#q-tank_next_to_open_flame"), "Space checks the box");

    t("keyboard: add an accident record and fill it");
    await until("Tab", (f) => f.tag === "BUTTON" && f.cls.includes("add"), 200, "the list's add button");
    await kb.press("Enter");
    await page.waitForSelector("#q-accidents-0-date");
    // The empty record's required fields stop the evaluation: the status says so.
    await page.waitForFunction((sel) => !document.querySelector("#result").hasAttribute("data-grade")
      && document.querySelector(sel).textContent.includes("需要修改"), LIVE);
    const before = await liveText(page);
    // Shift+Tab would enter the date input at its last field (the year):
    // come back to the cell before it and Tab forward into the month.
    await until("Shift+Tab", (f) => f.id === "q-accidents-0-id", 40, "the record's id");
    await kb.type("K-1");
    await kb.press("Tab");
    assert.equal((await focused()).id, "q-accidents-0-date");
    await kb.type("03102025");
    assert.equal(await page.inputValue("#q-accidents-0-date"), "2025-03-10");
    await until("Tab", (f) => f.id === "q-accidents-0-deaths", 10, "the record's deaths");
    await kb.type("0");
    await kb.press("Tab");
    assert.equal((await focused()).id, "q-accidents-0-serious_injuries");
    await kb.type("1");

    t("keyboard: the skip link reaches the result; the status names the grade");
    await waitGrade(page);
    await until("Shift+Tab", (f) => f.tag === "A" && f.cls.includes("skip"), 300, "the skip link");
    await kb.press("Enter");
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === "result");
    assert.ok((await focused()).ringed, "the focused result shows its focus ring");
    const grade = (await page.locator("[data-testid=grade]").innerText()).trim();
    const after = await liveText(page);
    assert.notEqual(after, before, "the status changed");
    assert.ok(after.includes(grade), `the status names the grade ${grade}: ${after}`);
    const r = await page.locator("#result").boundingBox();
    assert.ok(r && r.width > 0 && r.height > 0, "the result is visible");

    t("keyboard: a notice is dismissed with the keyboard");
    await until("Tab", (f) => f.id === "clear-answers", 30, "the clear button");
    await kb.press("Enter");
    await page.waitForSelector("[data-testid=notice]");
    await until("Tab", (f) => f.id === "undo", 10, "undo");
    await kb.press("Enter");
    await page.waitForSelector("[data-testid=notice] .text");
    await until("Tab", (f) => f.tag === "BUTTON" && f.cls.includes("link") && !f.id, 10, "the notice's dismiss button");
    await kb.press("Enter");
    await page.waitForSelector("[data-testid=notice]", { state: "detached" });
    await context.close();
  }

  const count = (list) => {
    const c = Object.fromEntries(IMPACTS.map((i) => [i, { rules: 0, nodes: 0 }]));
    for (const v of list) { c[v.impact].rules += 1; c[v.impact].nodes += v.nodes; }
    return c;
  };
  const all = scans.flatMap((s) => s.violations);
  const report = {
    axe_core: AXE_VERSION,
    tags: TAGS,
    csp_blocks_injection: blocked,
    by_impact: count(all),
    by_lang: { zh: count(scans.filter((s) => s.lang === "zh").flatMap((s) => s.violations)), en: count(scans.filter((s) => s.lang === "en").flatMap((s) => s.violations)) },
    scans,
  };
  writeFileSync(join(out, "a11y.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(`  violations by impact (rules/nodes over ${scans.length} scans): ${IMPACTS.map((i) => `${i} ${report.by_impact[i].rules}/${report.by_impact[i].nodes}`).join(", ")}`);
  const bad = scans.flatMap((s) => s.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${s.name} [${s.lang}]: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(", ")}`));
  assert.deepEqual(bad, [], "serious or critical accessibility violations");
  assert.deepEqual(errors, [], "no errors in the page console");
} catch (e) {
  console.error(`FAILED at step: ${step}`);
  throw e;
} finally {
  await browser.close();
}
console.log("portal accessibility: ok");
