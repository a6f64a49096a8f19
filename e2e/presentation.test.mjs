// End-to-end test of what the portal shows, in headless Chromium, against
// `safegrade eval` run natively on the same answers.
//
//   node presentation.test.mjs URL SAFEGRADE_BINARY
//
// A rule set used on its own asks the inputs a scheme would fill from an
// earlier step (supervision tier from a risk and a credit grade; a credit
// rating of a listed firm), and gives the command line's grade. A result
// says which answers it assumed, and says when nothing was answered; the
// printed report marks defaults as defaults.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch } from "./browser.mjs";

const [url, binary] = process.argv.slice(2);
const AS_OF = "2026-11-29";
const work = mkdtempSync(join(tmpdir(), "safegrade-e2e-"));

let step = "";
const t = (name) => { step = name; console.log(`  - ${name}`); };

// `safegrade eval` on the answers, natively.
function native(rules, answers) {
  const input = join(work, "answers.json");
  writeFileSync(input, JSON.stringify(answers));
  return JSON.parse(execFileSync(binary, ["eval", "--rules", rules, "--input", input, "--as-of", AS_OF], { encoding: "utf8" }));
}

async function pick(page, rules) {
  await page.selectOption("#ruleset", rules);
  await page.waitForSelector("#questionnaire");
  await page.fill("#as-of", AS_OF);
  await page.locator("#as-of").dispatchEvent("change");
}

async function grade(page) {
  await page.waitForSelector("#result[data-grade]");
  return page.evaluate(() => ({ grade: document.querySelector("#result").dataset.grade, score: document.querySelector("#result").dataset.score }));
}

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("html[data-mounted-ms] #ruleset");

  t("supervision tier alone asks the risk and credit grades a scheme would fill, and agrees with the CLI");
  await pick(page, "rules/supervision-tier.toml");
  await page.selectOption("#q-risk_grade", "red");
  await page.selectOption("#q-credit_grade", "A");
  const tier = native("rules/supervision-tier.toml", { risk_grade: "red", credit_grade: "A" });
  assert.deepEqual(await grade(page), { grade: tier.grade, score: tier.score });
  const note = await page.locator("[data-field=risk_grade] .help").innerText();
  assert.match(note, /risk\.grade/, "the question says a scheme fills it");

  t("credit rating alone asks the blacklist status: a listed firm gets the CLI's grade, not A");
  await pick(page, "rules/credit-rating.toml");
  await page.selectOption("#q-blacklist_status", "listed");
  const credit = native("rules/credit-rating.toml", { blacklist_status: "listed" });
  assert.equal(credit.grade, "D");
  assert.deepEqual(await grade(page), { grade: credit.grade, score: credit.score });

  t("an empty hazchem form says nothing is answered and lists every assumed answer");
  await pick(page, "rules/hazchem-risk-2018.toml");
  await page.click("#clear-answers");
  const empty = native("rules/hazchem-risk-2018.toml", {});
  assert.deepEqual(await grade(page), { grade: empty.grade, score: empty.score });
  assert.ok(await page.locator("[data-testid=nothing-answered]").isVisible(), "no hint that nothing was answered");
  const assumed = await page.locator("[data-assumed-input]").evaluateAll((els) => els.map((e) => e.dataset.assumedInput));
  assert.deepEqual(assumed, empty.missing.map((m) => m.input));

  t("answering one question removes the empty-form hint and that input from the assumed list");
  const first = empty.missing.find((m) => m.treatment === "default").input;
  const field = page.locator(`#q-${first}`);
  const kind = await field.evaluate((e) => (e.tagName === "SELECT" ? "select" : e.type));
  if (kind === "checkbox") await field.setChecked(true);
  else if (kind === "select") await field.selectOption({ index: 1 });
  else await field.fill("1");
  await page.waitForSelector("[data-testid=nothing-answered]", { state: "detached" });
  assert.equal(await page.locator(`[data-assumed-input="${first}"]`).count(), 0);

  t("the printed report marks unanswered questions with the default assumed");
  await page.emulateMedia({ media: "print" });
  const printed = await page.locator(".report").innerText();
  assert.match(printed, /未填，按默认值/, "defaults read as answers in the print view");
  await page.emulateMedia({ media: "screen" });

  t("in English the same notes are English");
  await page.click("#lang-switch");
  await page.click("#clear-answers");
  assert.match(await page.locator("[data-testid=nothing-answered]").innerText(), /Nothing is answered/);
  assert.match(await page.locator("[data-testid=assumed] h3").innerText(), /Not answered/);

  t("at 1280 px every input of a list table stays inside its cell");
  await page.click("#lang-switch");
  await pick(page, "rules/credit-rating.toml");
  for (const list of ["accidents", "penalties", "hidden_dangers"]) await page.click(`[data-list="${list}"] button.add`);
  const overflowing = await page.evaluate(() =>
    [...document.querySelectorAll(".list td input, .list td select")]
      .filter((e) => { const c = e.closest("td").getBoundingClientRect(); const r = e.getBoundingClientRect(); return r.left < c.left - 0.5 || r.right > c.right + 0.5; })
      .map((e) => e.id));
  assert.deepEqual(overflowing, [], "inputs wider than their cells");

  t("an input error names the list's label and the record counted from 1");
  await page.fill("#q-accidents-0-deaths", "-1");
  // The record's "required" error stays on screen until the worker has read the new answer.
  await page.locator('[data-error-path="accidents[0].deaths"]', { hasText: "最小值" }).waitFor({ timeout: 5000 }).catch(() => {});
  const shownPath = await page.locator('[data-error-path="accidents[0].deaths"]').innerText();
  assert.match(shownPath, /第1条/, shownPath);
  assert.match(shownPath, /小于最小值 0/, "the core's message in Chinese");
  assert.doesNotMatch(shownPath, /accidents\[0\]/, shownPath);

  t("a plan that only unfixable items reach says so and marks them, as the CLI's plan does");
  await page.click("#clear-answers");
  const dangers = [{ found: "2026-05-01", deadline: "2026-06-01" }, { found: "2026-05-01", deadline: "2026-07-01" }];
  const unfixableFirm = { standardization: "level_1", penalties: [{ date: "2026-03-01" }], hidden_dangers: dangers };
  const planNative = native("rules/credit-rating.toml", unfixableFirm);
  assert.ok(planNative.next_grade.unfixable?.length > 0, "the fixture reaches the next grade only through an unfixable item");
  await page.selectOption("#q-standardization", "level_1");
  await page.click('[data-list="penalties"] button.add');
  await page.fill("#q-penalties-0-date", "2026-03-01");
  for (const [i, d] of dangers.entries()) {
    await page.click('[data-list="hidden_dangers"] button.add');
    await page.fill(`#q-hidden_dangers-${i}-found`, d.found);
    await page.fill(`#q-hidden_dangers-${i}-deadline`, d.deadline);
  }
  await page.waitForSelector("[data-testid=only-unfixable]");
  const marked = await page.locator("[data-needs-id][data-unfixable]").evaluateAll((els) => els.map((e) => e.dataset.needsId));
  assert.deepEqual(marked, planNative.next_grade.unfixable);

  t("a record dated after the as-of date is warned about, as the CLI warns");
  await pick(page, "rules/hazchem-risk-2018.toml");
  await page.click("#clear-answers");
  const future = { accidents: [{ date: "2027-01-15", deaths: 1, serious_injuries: 0 }] };
  const futureNative = native("rules/hazchem-risk-2018.toml", future);
  assert.equal(futureNative.warnings?.length, 1, "the CLI warns of the future-dated accident");
  await page.click('[data-list="accidents"] button.add');
  await page.fill("#q-accidents-0-date", "2027-01-15");
  await page.fill("#q-accidents-0-deaths", "1");
  await page.fill("#q-accidents-0-serious_injuries", "0");
  await page.waitForSelector("[data-testid=warnings]");
  const warned = await page.locator("[data-warning-path]").evaluateAll((els) => els.map((e) => e.dataset.warningPath));
  assert.deepEqual(warned, futureNative.warnings.map((w) => `${w.list}[${w.record - 1}].${w.field}`));
  assert.match(await page.locator("[data-testid=warnings]").innerText(), /第1条.*2027-01-15 晚于评估基准日/);

  t("a rule file's diagnostic shows its message once");
  await page.setInputFiles("#own-rules", { name: "diag.toml", mimeType: "text/plain", buffer: Buffer.from('[ruleset]\nid = "x"\n') });
  await page.waitForSelector("[data-testid=diagnostics] li");
  const diagText = await page.locator("[data-testid=diagnostics] li").first().innerText();
  assert.equal(diagText.split("missing field `name`").length - 1, 1, diagText);

  assert.deepEqual(errors, [], "no page errors");
  console.log("presentation: all passed");
} catch (e) {
  console.error(`presentation: failed at "${step}"`);
  throw e;
} finally {
  await browser.close();
}
