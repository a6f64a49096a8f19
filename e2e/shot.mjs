// Screenshots of the portal for looking at it by eye:
//   node shot.mjs URL OUT_PREFIX
// picks the hazchem rule set and saves desktop and phone-width full-page PNGs.
import { launch } from "./browser.mjs";

const [url, prefix = "out/look"] = process.argv.slice(2);
const browser = await launch();
for (const [name, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  page.on("console", (m) => { if (m.type() === "error") console.error("console:", m.text()); });
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(url);
  await page.waitForSelector("#ruleset");
  await page.selectOption("#ruleset", "rules/hazchem-risk-2018.toml");
  await page.waitForSelector("#questionnaire");
  if (process.env.LANG_EN) await page.click("#lang-switch");
  if (process.env.AT) await page.locator(process.env.AT).first().scrollIntoViewIfNeeded();
  if (process.env.AT) await page.evaluate((sel) => document.querySelector(sel).scrollIntoView(), process.env.AT);
  await page.screenshot({ path: `${prefix}-${name}.png`, fullPage: !!process.env.FULL });
  await page.close();
}
await browser.close();
