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
  const shownPath = await page.locator('[data-error-path="accidents[0].deaths"]').innerText();
  assert.match(shownPath, /第1条/, shownPath);
  assert.doesNotMatch(shownPath, /accidents\[0\]/, shownPath);

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
