// Loads the npm package built by wasm/build.sh in Node and checks its API:
//   node pkg.test.mjs PKG_DIR GOLDEN_JSON
// evaluate() on the hazchem rule set and fixtures/firm.json must give the
// natively produced golden; check() and schema() answer tagged objects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const [pkgDir, goldenPath] = process.argv.slice(2).map((p) => resolve(p));
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const mod = await import(pathToFileURL(join(pkgDir, pkg.main)).href);
mod.initSync({ module: readFileSync(join(pkgDir, "safegrade_bg.wasm")) });

const rules = (f) => readFileSync(join(here, "..", "rules", f), "utf8");
const includes = { "accident-severity.toml": rules("accident-severity.toml") };
const hazchem = rules("hazchem-risk-2018.toml");
const firm = readFileSync(join(here, "fixtures/firm.json"), "utf8");

const res = mod.evaluate(hazchem, firm, "2026-11-29", includes);
assert.equal(res.type, "success");
assert.deepEqual(res.result, JSON.parse(readFileSync(goldenPath, "utf8")));

const broken = mod.check(readFileSync(join(here, "fixtures/broken.toml"), "utf8"));
assert.equal(broken.type, "failure");
assert.equal(broken.diagnostics[0].line, 14);

const s = mod.schema(hazchem, includes);
assert.equal(s.kind, "ruleset");
assert.equal(s.schema.ruleset.id, "hazchem-risk-2018");
assert.equal(mod.evaluate(hazchem, "{", "2026-11-29", includes).stage, "input");
assert.equal(mod.check(hazchem, 42).stage, "includes");

const dts = readFileSync(join(pkgDir, pkg.types), "utf8");
for (const name of ["CheckResult", "SchemaResult", "EvaluateResult", "Assessment", "export function evaluate("]) {
  assert.ok(dts.includes(name), `safegrade.d.ts declares ${name}`);
}
console.log("npm package: ok");
