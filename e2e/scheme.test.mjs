// End-to-end test of a scheme in the portal, in headless Chromium, against
// `safegrade eval --rules rules/schemes/hazchem.toml` run natively.
//
//   node scheme.test.mjs URL SAFEGRADE_BINARY
//
// The hazchem scheme is picked, answered through the form as in two
// fixtures (a firm listed after a major accident; an orange firm with one
// penalty), and every step's grade, score, items, overrides, next-grade
// plan and declared values shown must be what the command line gives. The
// answers are saved, cleared and loaded back, survive a reload, and the
// printed report lists each step's rule set and hash. Screenshots of the
// scheme's result at desktop and phone width go to out/.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fillFirm as fill } from "./form.mjs";
import { collectErrors, launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "out");
mkdirSync(out, { recursive: true });
const [url, binary] = process.argv.slice(2);
const SCHEME = "rules/schemes/hazchem.toml";
const AS_OF = "2024-06-30";
const work = mkdtempSync(join(tmpdir(), "safegrade-scheme-"));

let step = "";
const t = (name) => { step = name; console.log(`  - ${name}`); };

function fixture(name) {
  return JSON.parse(readFileSync(join(here, "fixtures", name), "utf8"));
}

// `safegrade eval` on the answers, natively.
function native(answers) {
  const input = join(work, "answers.json");
  writeFileSync(input, JSON.stringify(answers));
  return JSON.parse(execFileSync(binary, ["eval", "--rules", SCHEME, "--input", input, "--as-of", AS_OF], { encoding: "utf8" }));
}

// Each step as shown: grade, score, items with points, overrides, next-grade needs, values.
async function shown(page) {
  await page.waitForSelector("#result[data-steps]");
  return page.evaluate(() => [...document.querySelectorAll("#result [data-step]")].map((s) => ({
    step: s.dataset.step,
    grade: s.dataset.grade,
    score: s.dataset.score,
    items: [...s.querySelectorAll("[data-item-id]")].map((e) => [e.dataset.itemId, e.dataset.points]),
    overrides: [...s.querySelectorAll("[data-override-id]")].map((e) => e.dataset.overrideId),
    needs: [...s.querySelectorAll("[data-needs-id]")].map((e) => e.dataset.needsId),
    values: [...s.querySelectorAll(".values dd")].map((e) => e.textContent),
  })));
}

// The same from the command line's JSON; the values shown are the step's
// declared result columns that are not blank.
const COLUMNS = { blacklist: ["listed_since", "listed_until", "removal_possible_from", "trigger_clause"] };
function expected(res) {
  return Object.entries(res.steps).map(([alias, a]) => ({
    step: alias,
    grade: a.grade,
    score: a.score,
    items: a.items.map((i) => [i.id, i.points]),
    overrides: a.overrides.map((o) => o.id),
    needs: a.next_grade?.needs ?? [],
    values: (COLUMNS[alias] ?? []).map((c) => a.values[c]).filter((v) => v !== undefined && v !== null && v !== ""),
  }));
}

const metrics = {};
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(url);
  await page.waitForSelector("html[data-mounted-ms] #ruleset");

  t("the picker offers the scheme apart from the rule sets");
  const groups = await page.$$eval("#ruleset optgroup", (gs) => gs.map((g) => [...g.querySelectorAll("option")].map((o) => o.value)));
  assert.deepEqual(groups[0], [SCHEME]);
  assert.ok(groups[1].includes("rules/hazchem-risk-2018.toml") && !groups[1].includes(SCHEME));

  t("pick the scheme: one questionnaire, inputs a step fills are not asked");
  const pickStart = await page.evaluate(() => performance.now());
  await page.selectOption("#ruleset", SCHEME);
  await page.waitForSelector("#questionnaire #q-standardization");
  metrics.scheme_pick_to_form_ms = Math.round((Number(await page.getAttribute("html", "data-form-ms")) - pickStart) * 10) / 10;
  const ids = await page.$$eval("#questionnaire [id^=q-]", (es) => es.map((e) => e.id));
  assert.equal(ids.length, new Set(ids).size, "each question once");
  for (const filled of ["q-blacklist_status", "q-risk_grade", "q-credit_grade"]) {
    assert.ok(!ids.includes(filled), `${filled} is filled by an earlier step, not asked`);
  }
  assert.match(await page.locator(".scheme-steps").innerText(), /→.*→.*→/, "the four steps are named");
  await page.fill("#as-of", AS_OF);
  await page.locator("#as-of").dispatchEvent("change");

  t("a firm listed after a major accident: every step as `safegrade eval` gives it");
  const listed = fixture("hazchem-scheme.json");
  await fill(page, listed);
  const want = expected(native(listed));
  assert.deepEqual(await shown(page), want);
  assert.deepEqual(want.map((s) => s.grade), ["listed", "red", "D", "tier_1"], "the fixture is the firm it says");
  assert.ok(want[0].values.includes("2027-02-20"), "the listing's end date is shown");
  const blocked = await page.locator("#result [data-step=credit] [data-testid=next-grade]").innerText();
  assert.ok(blocked.length > 0, "the credit step's plan says what blocks it");

  t("screenshots of the scheme's result, desktop and phone width");
  await page.screenshot({ path: join(out, "scheme-desktop.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator("#result").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(out, "scheme-phone.png"), fullPage: false });
  assert.equal(await page.locator(".mini-result .badge").count(), 4, "the bar shows each step's grade");
  const bar = await page.locator(".mini-result").boundingBox();
  assert.ok(bar.height < 80, `the bar stays one line high (${bar.height} px)`);
  await page.click("#lang-switch");
  await page.screenshot({ path: join(out, "scheme-phone-en.png"), fullPage: false });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(out, "scheme-desktop-en.png"), fullPage: true });
  await page.click("#lang-switch");

  t("English: the same steps, labels in English");
  await page.click("#lang-switch");
  assert.deepEqual(await shown(page), want);
  assert.match(await page.locator("#result [data-step=risk] h3#step-risk").innerText(), /Hazardous chemicals/);
  await page.click("#lang-switch");

  t("save the answers, clear, load them back: the same result");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-answers")]);
  const saved = join(work, "saved.json");
  await download.saveAs(saved);
  const file = JSON.parse(readFileSync(saved, "utf8"));
  assert.deepEqual([file.ruleset.id, file.ruleset.path], ["hazchem", SCHEME]);
  await page.click("#clear-answers");
  await page.waitForFunction(() => document.querySelectorAll("[data-list=accidents] tbody tr").length === 0);
  await page.setInputFiles("#load-answers", saved);
  await page.waitForFunction(() => document.querySelector("#result")?.dataset.steps === "4"
    && document.querySelector("#result [data-step=blacklist]")?.dataset.grade === "listed");
  assert.deepEqual(await shown(page), want);

  t("the printed report lists each step's rule set, version and hash");
  await page.emulateMedia({ media: "print" });
  const rows = await page.$$eval("[data-testid=report-steps] tbody tr", (trs) => trs.map((tr) => [tr.dataset.reportStep, tr.querySelector(".hash").textContent]));
  const res = native(listed);
  assert.deepEqual(rows.map((r) => r[0]), ["blacklist", "risk", "credit", "tier"]);
  for (const [alias, hash] of rows) assert.equal(hash, res.steps[alias].ruleset.hash, `${alias}'s hash`);
  assert.equal(await page.locator(".report .meta .hash").first().innerText(), res.scheme.hash, "the scheme's hash");
  assert.ok(await page.locator("#result [data-step=tier]").isVisible(), "each step's result prints");
  await page.emulateMedia({ media: "screen" });

  t("reload: the scheme and its answers come back from local storage");
  await page.reload();
  await page.waitForSelector("#result[data-steps]");
  assert.deepEqual(await shown(page), want);

  t("an orange firm with one penalty: each step and the next-grade plans as the CLI gives them");
  await page.click("#clear-answers");
  await page.waitForFunction(() => document.querySelectorAll("[data-list=accidents] tbody tr").length === 0);
  const orange = fixture("hazchem-scheme-orange.json");
  await fill(page, orange);
  const wantOrange = expected(native(orange));
  assert.deepEqual(wantOrange.map((s) => s.grade), ["not_listed", "orange", "B", "tier_2"]);
  assert.ok(wantOrange[1].needs.length > 0, "the risk step has a plan");
  await page.waitForFunction((g) => document.querySelector("#result [data-step=risk]")?.dataset.grade === g, "orange");
  assert.deepEqual(await shown(page), wantOrange);

  t("a scheme of the user's own, chosen with its rule file: every step evaluates");
  const root = join(here, "..");
  const ownScheme = join(work, "my-scheme.toml");
  const ownCredit = join(work, "my-credit.toml");
  writeFileSync(ownScheme, readFileSync(join(root, SCHEME), "utf8").replace("../credit-rating.toml", "../my-credit.toml"));
  writeFileSync(ownCredit, readFileSync(join(root, "rules/credit-rating.toml"), "utf8"));
  await page.setInputFiles("#own-rules", [ownCredit, ownScheme]);
  await page.waitForFunction(() => document.querySelector("#ruleset").selectedOptions[0]?.textContent.includes("my-scheme.toml"));
  await page.waitForSelector("#questionnaire #q-standardization");
  await fill(page, orange);
  await page.waitForFunction(() => document.querySelector("#result")?.dataset.steps === "4");
  assert.deepEqual(await shown(page), wantOrange, "the user's copy gives the shipped scheme's result");

  assert.deepEqual(errors, [], "no errors in the page console");
} catch (e) {
  console.error(`FAILED at step: ${step}`);
  throw e;
} finally {
  await browser.close();
}
console.log("scheme e2e: ok");
console.log(JSON.stringify(metrics, null, 2));
