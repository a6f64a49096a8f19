// Loads the npm package built by wasm/build.sh in Node and checks its API:
//   node pkg.test.mjs PKG_DIR GOLDEN_JSON
// evaluate() on the hazchem rule set and fixtures/firm.json (as JSON text and
// as an object) must give the natively produced golden; check() and schema()
// answer tagged objects; every argument of every function, given a value of
// the wrong kind or beyond its bound, answers a failure at stage "argument"
// (never a throw, never a trap) without growing wasm memory.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import vm from "node:vm";

const here = dirname(fileURLToPath(import.meta.url));
const [pkgDir, goldenPath] = process.argv.slice(2).map((p) => resolve(p));
const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const mod = await import(pathToFileURL(join(pkgDir, pkg.main)).href);
const wasm = mod.initSync({ module: readFileSync(join(pkgDir, "safegrade_bg.wasm")) });
const memory = () => wasm.memory.buffer.byteLength;

const rules = (f) => readFileSync(join(here, "..", "rules", f), "utf8");
const includes = { "accident-severity.toml": rules("accident-severity.toml") };
const hazchem = rules("hazchem-risk-2018.toml");
const firm = readFileSync(join(here, "fixtures/firm.json"), "utf8");
const golden = JSON.parse(readFileSync(goldenPath, "utf8"));
const AS_OF = "2026-11-29";

// The bounds (docs/LIMITS.md, "The npm package"), in bytes of UTF-8.
const MiB = 1 << 20;
const RULE_FILE = 4 * MiB;
const INCLUDES = 16 * MiB;
const FIRM = 16 * MiB;
const DATE = 10;

const res = mod.evaluate(hazchem, firm, AS_OF, includes);
assert.equal(res.type, "success");
assert.deepEqual(res.result, golden);

const broken = mod.check(readFileSync(join(here, "fixtures/broken.toml"), "utf8"));
assert.equal(broken.type, "failure");
assert.equal(broken.diagnostics[0].line, 14);

const s = mod.schema(hazchem, includes);
assert.equal(s.kind, "ruleset");
assert.equal(s.schema.ruleset.id, "hazchem-risk-2018");
assert.equal(mod.evaluate(hazchem, "{", AS_OF, includes).stage, "input");
// An as-of date is exactly YYYY-MM-DD and a real day, as the command line's --as-of.
for (const bad of ["2026-6-3", "+2026-1-1", "-001-01-01", "2026-02-30", "2026-13-45"]) {
  const r = mod.evaluate(hazchem, firm, bad, includes);
  assert.equal(r.type, "failure", `${bad}: ${JSON.stringify(r)}`);
  assert.equal(r.stage, "as_of", bad);
  assert.equal(r.message, `\`${bad}\` is not a date YYYY-MM-DD`);
}

// A firm given as an object, plain in this realm or another, or with no prototype.
const firmObject = JSON.parse(firm);
for (const f of [firmObject, vm.runInNewContext(`(${firm})`), Object.assign(Object.create(null), firmObject)]) {
  const r = mod.evaluate(hazchem, f, AS_OF, includes);
  assert.equal(r.type, "success", JSON.stringify(r));
  assert.deepEqual(r.result, golden);
}

/** Asserts `r` is an argument failure for `argument` with `code`, whose message has every string of `says`. */
function refused(r, argument, code, says, what) {
  assert.equal(typeof r, "object", what);
  assert.equal(r.type, "failure", `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.stage, "argument", `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.argument, argument, what);
  assert.equal(r.code, code, `${what}: ${r.message}`);
  for (const part of says) assert.ok(r.message.includes(part), `${what}: ${JSON.stringify(r.message)} says ${part}`);
}

// Values of the wrong kind, with the word the message must use for each.
const huge = { length: 1e9 };
const wrongKinds = [
  ["an object", { a: 1 }, "not an object"],
  ["a number", 42, "not a number"],
  ["a Date", new Date(0), "not a Date"],
  ["a boolean", true, "not a boolean"],
  ["null", null, "not null"],
  ["undefined", undefined, "not undefined"],
  ["an array", ["x"], "not an array"],
  ["a Symbol", Symbol("x"), "not a Symbol"],
  ["a BigInt", 1n, "not a BigInt"],
  ["a function", () => "x", "not a function"],
  ["a String object", new String("x"), "not an object"],
  ["{length: 1e9}", huge, "not an object"],
];
// Strings beyond each bound: longer in UTF-16 units than the bound (refused
// unread), and short enough in units but longer in UTF-8 (refused measured).
/** `n` includes, each `char` repeated to `share` of a rule file's limit, in characters. */
const many = (n, char, share = 1) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}.toml`, char.repeat(Math.floor(RULE_FILE * share) - 16)]));
const oversized = (limit) => [
  ["a string of limit + 1 characters", "x".repeat(limit + 1), `at least ${limit + 1} bytes`],
  ["a string of limit / 2 Chinese characters", "安".repeat(limit / 2), `${(limit / 2) * 3} bytes`],
];

const calls = {
  check: { rulesText: (v) => mod.check(v, includes) },
  schema: { rulesText: (v) => mod.schema(v, includes) },
  evaluate: {
    rulesText: (v) => mod.evaluate(v, firm, AS_OF, includes),
    firm: (v) => mod.evaluate(hazchem, v, AS_OF, includes),
    asOf: (v) => mod.evaluate(hazchem, firm, v, includes),
  },
};
const limits = { rulesText: RULE_FILE, firm: FIRM, asOf: DATE };
for (const [fn, args] of Object.entries(calls)) {
  for (const [argument, call] of Object.entries(args)) {
    for (const [kind, value, says] of wrongKinds) {
      // A plain object is a firm; `{length: 1e9}` then has an unknown input.
      if (argument === "firm" && (kind === "an object" || kind === "{length: 1e9}")) {
        const r = call(value);
        assert.equal(r.stage, "evaluate", `${fn}(${argument}: ${kind}): ${JSON.stringify(r)}`);
        assert.equal(r.error.errors[0].message, "unknown field");
        continue;
      }
      refused(call(value), argument, "wrong_type", [`\`${argument}\` must be`, says], `${fn}(${argument}: ${kind})`);
    }
    const limit = limits[argument];
    const big = argument === "asOf" ? [["an 11-character date", "+02026-11-29", "12 bytes"]] : oversized(limit);
    for (const [kind, value, says] of big) {
      const r = call(value);
      refused(r, argument, "too_large", [`\`${argument}\``, says, `the limit is`, String(limit)], `${fn}(${argument}: ${kind})`);
      assert.equal(r.limit, limit);
    }
  }
  // includes: undefined and null mean none; anything else must be a plain object of strings.
  const withIncludes = (inc) => (fn === "evaluate" ? mod.evaluate(hazchem, firm, AS_OF, inc) : mod[fn](hazchem, inc));
  for (const [kind, value, says] of wrongKinds) {
    if (value === null || value === undefined) {
      const r = withIncludes(value);
      assert.equal(r.type, "failure", `${fn}(includes: ${kind})`);
      assert.ok(JSON.stringify(r).includes("accident-severity.toml"), `${fn}(includes: ${kind}): the include is missing`);
      continue;
    }
    const r = withIncludes(value);
    if (kind === "an object" || kind === "{length: 1e9}") {
      // A plain object whose value is not a string: the failure names its key.
      const key = kind === "an object" ? "a" : "length";
      refused(r, "includes", "wrong_type", [`\`includes["${key}"]\` must be a string`, "not a number"], `${fn}(${kind})`);
      assert.equal(r.key, key);
      continue;
    }
    refused(r, "includes", "wrong_type", ["`includes` must be a plain object", says], `${fn}(includes: ${kind})`);
  }
  for (const [kind, value] of [
    ["a Map", new Map([["accident-severity.toml", includes["accident-severity.toml"]]])],
    ["a string", "accident-severity.toml"],
  ]) {
    refused(withIncludes(value), "includes", "wrong_type", ["`includes` must be a plain object"], `${fn}(includes: ${kind})`);
  }
  for (const [kind, value, says] of wrongKinds.filter(([, v]) => typeof v !== "string")) {
    const r = withIncludes({ ...includes, "x.toml": value });
    refused(r, "includes", "wrong_type", ['`includes["x.toml"]` must be a string', says], `${fn}(includes value: ${kind})`);
    assert.equal(r.key, "x.toml");
  }
  for (const [kind, value, says] of oversized(RULE_FILE)) {
    const r = withIncludes({ ...includes, "x.toml": value });
    refused(r, "includes", "too_large", ['`includes["x.toml"]`', says, String(RULE_FILE)], `${fn}(include: ${kind})`);
    assert.equal(r.key, "x.toml");
  }
  // Together: refused from the lengths as soon as they pass the bound, unread, or measured in UTF-8.
  const bytes = (inc) => Object.entries(inc).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  for (const [kind, value, says] of [
    ["20 MiB in all", many(5, "#"), () => "is at least 1"],
    ["18 MiB of UTF-8 in all", many(6, "安", 1 / 4), (inc) => `is ${bytes(inc)} bytes`],
  ]) {
    const all = { ...includes, ...value };
    const r = withIncludes(all);
    refused(r, "includes", "too_large", ["paths and texts together", says(all), String(INCLUDES)], `${fn}(includes: ${kind})`);
    assert.equal(r.key, undefined);
  }
  const longKey = "k".repeat(1000);
  const named = withIncludes({ [longKey]: 5 });
  assert.equal(named.key, "k".repeat(100) + "…", "a long key is named by its start");
  assert.ok(named.message.length < 300, named.message);
}

// A firm object that JSON cannot hold, or that is not a plain object.
const cycle = { ...firmObject };
cycle.self = cycle;
const getter = Object.defineProperty({}, "n_explosives", { enumerable: true, get: () => { throw new Error("boom"); } });
for (const [kind, value, says] of [
  ["a cycle", cycle, "circular"],
  ["a BigInt inside", { n_explosives: 1n }, "BigInt"],
  ["a throwing getter", getter, "boom"],
  ["toJSON giving undefined", { toJSON: () => undefined }, "no text"],
  ["a long thrown string", { toJSON: () => { throw "e".repeat(1e6); } }, "eee…"],
]) {
  refused(mod.evaluate(hazchem, value, AS_OF, includes), "firm", "unreadable", ["`firm` cannot be turned into JSON", says], `firm: ${kind}`);
}
for (const [kind, value] of [["a Map", new Map()], ["a class instance", new (class Firm {})()]]) {
  refused(mod.evaluate(hazchem, value, AS_OF, includes), "firm", "wrong_type", ["`firm` must be"], `firm: ${kind}`);
}
// Objects whose reading throws: a revoked proxy, a proxy whose keys throw.
const { proxy: revoked, revoke } = Proxy.revocable({}, {});
revoke();
const hostile = new Proxy({}, { ownKeys() { throw new Error("no keys"); } });
refused(mod.check(hazchem, revoked), "includes", "wrong_type", ["not an object"], "includes: a revoked proxy");
refused(mod.evaluate(hazchem, revoked, AS_OF), "firm", "wrong_type", ["not an object"], "firm: a revoked proxy");
refused(mod.check(hazchem, hostile), "includes", "unreadable", ["no keys"], "includes: a proxy whose keys throw");
refused(mod.evaluate(hazchem, hostile, AS_OF), "firm", "unreadable", ["no keys"], "firm: a proxy whose keys throw");

// Rejected arguments never reach wasm memory: 100 calls with each do not grow
// it. Strings longer than their bound are refused by their length, unread;
// strings within it in length but not in UTF-8 are measured in JS memory.
const rejected = [
  () => mod.check(huge),
  () => mod.check("x".repeat(RULE_FILE + 1)),
  () => mod.schema(huge, includes),
  () => mod.schema("x".repeat(RULE_FILE + 1), includes),
  () => mod.evaluate(huge, firm, AS_OF, includes),
  () => mod.evaluate(hazchem, "x".repeat(FIRM + 1), AS_OF, includes),
  () => mod.evaluate(hazchem, firm, huge, includes),
  () => mod.evaluate(hazchem, firm, "x".repeat(DATE + 1), includes),
  () => mod.evaluate(hazchem, firm, "安安安安", includes),
  () => mod.evaluate(hazchem, firm, AS_OF, huge),
  () => mod.check(hazchem, { "x.toml": huge }),
  () => mod.check(hazchem, { "x.toml": "x".repeat(RULE_FILE + 1) }),
  () => mod.check(hazchem, { "x.toml": "安".repeat(RULE_FILE / 2) }),
  () => mod.check(hazchem, { ...many(5, "x") }),
];
for (const call of rejected) {
  assert.equal(call().type, "failure");
  const before = memory();
  for (let i = 0; i < 100; i++) assert.equal(call().stage, "argument");
  assert.equal(memory(), before, `wasm memory grew on ${call}`);
}

// Nor do includes refused for the length of their 50,000 paths.
const wide = Object.fromEntries(Array.from({ length: 50000 }, (_, i) => [`${"k".repeat(400)}${i}`, ""]));
assert.equal(mod.check(hazchem, wide).code, "too_large");
const before = memory();
for (let i = 0; i < 10; i++) assert.equal(mod.check(hazchem, wide).code, "too_large");
assert.equal(memory(), before, "wasm memory grew on includes with many paths");

// The module still answers correctly after every refusal.
assert.deepEqual(mod.evaluate(hazchem, firmObject, AS_OF, includes).result, golden);

const dts = readFileSync(join(pkgDir, pkg.types), "utf8");
for (const decl of [
  "CheckResult",
  "SchemaResult",
  "EvaluateResult",
  "Assessment",
  "ArgumentFailure",
  "export function check(rulesText: string, includes?: Includes | null): CheckResult;",
  "export function schema(rulesText: string, includes?: Includes | null): SchemaResult;",
  "export function evaluate(rulesText: string, firm: string | object, asOf: string, includes?: Includes | null): EvaluateResult;",
]) {
  assert.ok(dts.includes(decl), `safegrade.d.ts declares ${decl}`);
}
console.log("npm package: ok");
