//! Fuzz target: the fast paths against the interpreter. The input's bytes
//! choose a rule file (inputs of every type and missing-answer treatment, a
//! list with per-record values, a table, a function, derived values, items
//! shaped as flags and per-unit points or general with caps and score
//! groups, rounding, overrides) and a few firms for it. A rule file that
//! checks is evaluated on each firm by its compiled program and by the
//! interpreter (`safegrade::differential::compare`); any difference panics.
//! Every few inputs the rule file instead takes only answers of few values
//! and reads no date, so that it gets an outcome table.
#![no_main]

use std::fmt::Write;

use chrono::NaiveDate;
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use safegrade::Rules;

fuzz_target!(|data: &[u8]| {
    let (text, firms, as_of) = Gen::new(data).case();
    let no_files = |p: &str| Err(format!("no file {p}"));
    let Some(Rules::Set(rules)) = safegrade::load_str("differential.toml", &text, &no_files).rules else { return };
    for firm in &firms {
        if let Err(diff) = safegrade::differential::compare(&rules, firm, as_of) {
            panic!("the fast paths and the interpreter differ\n{diff}\nrules:\n{text}\nfirm: {firm}\nas of {as_of}");
        }
    }
});

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Num,
    Bool,
    Date,
    /// An enum input: compared with option ids.
    Enum,
}

/// A declared input and the answers a firm may give it.
struct Input {
    name: String,
    ty: Ty,
    answers: Vec<serde_json::Value>,
    /// Whether a missing answer is an input error.
    required: bool,
}

/// The names an expression may read, with their types.
#[derive(Clone, Default)]
struct Scope {
    names: Vec<(String, Ty)>,
    /// Whether the list may be aggregated over here.
    list: bool,
    /// Whether the function may be called here.
    function: bool,
}

impl Scope {
    fn of(&self, ty: Ty) -> Vec<&str> {
        self.names.iter().filter(|(_, t)| *t == ty).map(|(n, _)| n.as_str()).collect()
    }
}

/// The list's fields, as `LIST` declares them.
const FIELDS: [(&str, Ty); 4] = [("date", Ty::Date), ("size", Ty::Num), ("hurt", Ty::Num), ("open", Ty::Bool)];
const ENUM: &str = r#"type = "enum"
options = [{ id = "a", label = "A" }, { id = "b", label = "B" }, { id = "c", label = "C" }]"#;
const LIST: &str = r#"[lists.ev]
[lists.ev.fields.date]
type = "date"
[lists.ev.fields.size]
type = "decimal"
[lists.ev.fields.hurt]
type = "integer"
[lists.ev.fields.open]
type = "bool"
missing = { default = false }
"#;
const TABLE: &str = r#"[tables.tab]
key = "integer"
columns = { q = "decimal", w = "integer" }
rows = [{ key = 1, q = "0.5", w = 2 }, { key = 2, q = 3, w = -1 }, { key = 3, q = "-2.25", w = 0 }]

"#;
const FUNCTION: &str = r#"[functions.f]
params = { p = "decimal", q = "decimal" }
returns = "decimal"
"#;
const DECIMALS: &[&str] =
    &["0", "-0", "0.00", "1", "2.5", "-3.75", "12.345", "100", "0.1", "79228162514264337593543950335", "-1000000.5"];
const NUMBERS: &[&str] =
    &["0", "1", "2", "3", "5", "-1", "-3", "0.5", "2.50", "10", "12.345", "100", "-0.25", "1000000"];
const DURATIONS: &[&str] = &["1 year", "2 years", "6 months", "1 month", "30 days", "1 day", "3 years"];
const CMP: &[&str] = &[">=", ">", "<", "<=", "==", "!="];
const DAY_COUNTS: &[i64] = &[0, 1, 29, 30, 31, 180, 181, 364, 365, 366, 730, 731, 1095, 1096, 2000];

/// Rule files and firms from fuzz bytes. Every count is bounded and, once
/// the bytes run out, every choice is fixed, so generation always ends.
struct Gen<'a> {
    u: Unstructured<'a>,
    /// Only inputs of few values, no list and no dates: an outcome table.
    table_only: bool,
    list: bool,
    function: bool,
    /// The list's per-record values, by name.
    records: Vec<(String, Ty)>,
}

impl Gen<'_> {
    fn new(data: &[u8]) -> Gen<'_> {
        Gen { u: Unstructured::new(data), table_only: false, list: false, function: false, records: Vec::new() }
    }

    fn pick(&mut self, n: usize) -> usize {
        self.u.choose_index(n).unwrap_or(0)
    }

    fn one<'s>(&mut self, of: &[&'s str]) -> &'s str {
        of[self.pick(of.len())]
    }

    /// True once in `n` times.
    fn one_in(&mut self, n: u32) -> bool {
        self.u.ratio(1, n).unwrap_or(false)
    }

    fn int(&mut self, low: i64, high: i64) -> i64 {
        self.u.int_in_range(low..=high).unwrap_or(low)
    }

    /// The rule file, the firms' data and the as-of date.
    fn case(&mut self) -> (String, Vec<serde_json::Value>, NaiveDate) {
        self.table_only = self.one_in(4);
        self.list = !self.table_only && !self.one_in(4);
        let mut t = String::from("[ruleset]\nid = \"diff\"\nname = \"diff\"\nversion = \"1\"\n\n");

        // Inputs, with what a firm may answer for each.
        let mut inputs: Vec<Input> = Vec::new();
        let mut scope = Scope::default();
        let mut answerable = Scope::default();
        for i in 0..self.int(1, 5) {
            let name = format!("x{i}");
            let kinds: &[&str] = match self.table_only {
                true => &["bool", "enum", "range", "allowed"],
                false => &["bool", "enum", "range", "allowed", "decimal", "integer", "date"],
            };
            let kind = self.one(kinds);
            let (ty, decl, default, answers): (Ty, String, &str, Vec<serde_json::Value>) = match kind {
                "bool" => (Ty::Bool, "type = \"bool\"".into(), "false", vec![true.into(), false.into(), "是".into()]),
                "enum" => (Ty::Enum, ENUM.into(), "\"a\"", vec!["a".into(), "b".into(), "c".into(), "C".into()]),
                "range" => {
                    let (low, high) = (-self.int(0, 1), self.int(0, 5));
                    let mut answers: Vec<serde_json::Value> = (low..=high).map(Into::into).collect();
                    answers.push(format!("{high}.0").into());
                    (Ty::Num, format!("type = \"integer\"\nmin = {low}\nmax = {high}"), "0", answers)
                }
                "allowed" => (
                    Ty::Num,
                    "type = \"decimal\"\nallowed = [\"0.5\", 1, 3]".into(),
                    "1",
                    vec!["0.5".into(), 1.into(), 3.into(), "0.50".into(), "3.00".into(), "1.0".into()],
                ),
                "decimal" => (Ty::Num, "type = \"decimal\"".into(), "0", DECIMALS.iter().map(|&s| s.into()).collect()),
                "integer" => (
                    Ty::Num,
                    "type = \"integer\"".into(),
                    "0",
                    vec![0.into(), 1.into(), 3.into(), (-2).into(), 50.into(), 1000.into(), "7".into()],
                ),
                _ => (Ty::Date, "type = \"date\"".into(), "2020-02-29", Vec::new()),
            };
            let missing = match self.pick(if self.table_only { 2 } else { 4 }) {
                0 => String::new(),
                1 => format!("missing = {{ default = {default} }}\n"),
                2 => "missing = \"not_applicable\"\n".into(),
                _ => format!("missing = {{ penalty = {} }}\n", self.one(&["-5", "-2.5", "3"])),
            };
            let _ = write!(t, "[inputs.{name}]\n{decl}\n{missing}");
            if missing.is_empty() || missing.contains("default") {
                answerable.names.push((name.clone(), ty));
            }
            scope.names.push((name.clone(), ty));
            inputs.push(Input { name, ty, answers, required: missing.is_empty() });
        }
        t.push('\n');

        // The list, its fields and per-record values.
        let mut record = scope.clone();
        if self.list {
            t.push_str(LIST);
            record.names.extend(FIELDS.map(|(n, ty)| (n.to_string(), ty)));
            let n = self.int(0, 2);
            if n > 0 {
                t.push_str("[lists.ev.derived]\n");
            }
            for i in 0..n {
                let ty = if self.one_in(2) { Ty::Num } else { Ty::Bool };
                let e = self.expr(ty, &record, 3);
                let _ = writeln!(t, "r{i} = '{e}'");
                record.names.push((format!("r{i}"), ty));
                self.records.push((format!("r{i}"), ty));
            }
            t.push('\n');
        }
        scope.list = self.list;
        answerable.list = self.list;

        // A table and a function of two numbers.
        t.push_str(TABLE);
        if self.one_in(2) {
            let params = Scope { names: vec![("p".into(), Ty::Num), ("q".into(), Ty::Num)], ..Scope::default() };
            let body = self.expr(Ty::Num, &params, 3);
            let _ = writeln!(t, "{FUNCTION}body = '{body}'\n");
            self.function = true;
        }
        scope.function = self.function;
        answerable.function = self.function;

        // Derived values, each reading the ones before it.
        let n = self.int(0, 4);
        if n > 0 {
            t.push_str("[derived]\n");
        }
        for i in 0..n {
            let ty = [Ty::Num, Ty::Bool, Ty::Num, Ty::Date][self.pick(if self.table_only { 3 } else { 4 })];
            let e = self.expr(ty, &scope, 4);
            let _ = writeln!(t, "d{i} = '{e}'");
            scope.names.push((format!("d{i}"), ty));
        }
        t.push('\n');

        // Score groups.
        let groups = self.int(0, 2);
        for i in 0..groups {
            let bounds =
                self.one(&["min = -15", "min = -15\nmax = 0", "min = 2\nmax = 10", "max = -1", "min = \"-7.5\""]);
            let _ = writeln!(t, "[score_groups.g{i}]\n{bounds}\n");
        }

        // Items: flags, per-unit points, and general ones.
        for i in 0..self.int(1, 6) {
            let _ = writeln!(t, "[[items]]\nid = \"i{i}\"\nlabel = \"i{i}\"");
            let bools =
                scope.of(Ty::Bool).into_iter().filter(|n| n.starts_with('x')).map(String::from).collect::<Vec<_>>();
            let nums =
                scope.of(Ty::Num).into_iter().filter(|n| n.starts_with('x')).map(String::from).collect::<Vec<_>>();
            match self.pick(4) {
                0 if !bools.is_empty() => {
                    let _ =
                        writeln!(t, "when = \"{}\"\npoints = \"{}\"", bools[self.pick(bools.len())], self.one(NUMBERS));
                }
                1 if !nums.is_empty() => {
                    let (x, k) = (nums[self.pick(nums.len())].clone(), self.one(NUMBERS));
                    let points = if self.one_in(2) { format!("{k} * {x}") } else { format!("{x} * {k}") };
                    let _ = writeln!(t, "points = \"{points}\"");
                }
                _ => {
                    if !self.one_in(3) {
                        let _ = writeln!(t, "when = '{}'", self.expr(Ty::Bool, &scope, 4));
                    }
                    if !t.ends_with("'\n") || !self.one_in(5) {
                        let _ = writeln!(t, "points = '{}'", self.expr(Ty::Num, &scope, 4));
                    }
                }
            }
            match self.pick(5) {
                0 => {
                    let _ = writeln!(t, "cap = {}", self.one(&["1", "5", "10", "\"2.5\""]));
                }
                1 => t.push_str("min = -4\nmax = 6\n"),
                2 => t.push_str("max = 0\n"),
                _ => {}
            }
            if groups > 0 && self.one_in(2) {
                let _ = writeln!(t, "group = \"g{}\"", self.pick(groups as usize));
            }
            t.push('\n');
        }

        // The score: a base reading only answerable inputs, its range, rounding.
        let base = match self.one_in(2) {
            true => self.one(&["100", "50", "0", "\"99.5\"", "-20"]).trim_matches('"').to_string(),
            false => self.expr(Ty::Num, &answerable, 3),
        };
        let _ = writeln!(t, "[score]\nbase = '{base}'");
        let bounded = self.one_in(2);
        if bounded {
            t.push_str("min = 0\nmax = 120\n");
        }
        if self.one_in(2) {
            let (places, mode) =
                (self.int(0, 2), self.one(&["half_up", "half_even", "down", "up", "floor", "ceiling"]));
            let at = self.one(&["item", "score"]);
            let _ = writeln!(t, "round = {{ places = {places}, mode = \"{mode}\", at = \"{at}\" }}");
        }
        t.push('\n');

        // Grades: two or three bands covering every score.
        let top = self.one(&["90", "95", "99.5", "100", "60"]);
        if self.one_in(2) {
            let _ = writeln!(t, "[[grades]]\nid = \"a\"\nlabel = \"a\"\nmin = \"{top}\"\n");
            let _ = writeln!(t, "[[grades]]\nid = \"b\"\nlabel = \"b\"\nbelow = \"{top}\"\n");
        } else {
            let _ = writeln!(t, "[[grades]]\nid = \"a\"\nlabel = \"a\"\nabove = \"{top}\"\n");
            let _ = writeln!(t, "[[grades]]\nid = \"b\"\nlabel = \"b\"\nmin = 40\nmax = \"{top}\"\n");
            let _ = writeln!(t, "[[grades]]\nid = \"c\"\nlabel = \"c\"\nbelow = 40\n");
        }

        for i in 0..self.int(0, 2) {
            let when = self.expr(Ty::Bool, &scope, 3);
            let action = self.one(&["force = \"b\"", "ceiling = \"b\"", "floor = \"a\"", "down = 1", "down = 2"]);
            let _ = writeln!(t, "[[overrides]]\nid = \"o{i}\"\nwhen = '{when}'\n{action}\nreason = \"o{i}\"\n");
        }

        let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date")
            + chrono::TimeDelta::days(self.one(&["0", "1", "-122", "245"]).parse().expect("a number"));
        let firms = (0..self.int(1, 4)).map(|_| self.firm(&inputs, as_of)).collect();
        (t, firms, as_of)
    }

    /// A firm's data: each input answered, left out, or given an odd answer.
    fn firm(&mut self, inputs: &[Input], as_of: NaiveDate) -> serde_json::Value {
        let mut firm = serde_json::Map::new();
        for input in inputs {
            if self.one_in(if input.required { 40 } else { 4 }) {
                continue;
            }
            let answer = match input.ty {
                Ty::Date => self.date(as_of).into(),
                _ => input.answers[self.pick(input.answers.len())].clone(),
            };
            firm.insert(input.name.clone(), answer);
        }
        if self.list {
            let records: Vec<serde_json::Value> = (0..self.int(0, 5))
                .map(|_| {
                    let size = self.one(&["0", "1", "4.9", "5", "5.25", "10", "50", "-2.5", "100.50", "0.001"]);
                    let mut r = serde_json::json!({ "date": self.date(as_of), "size": size, "hurt": self.int(-2, 6) });
                    if !self.one_in(3) {
                        r["open"] = self.one_in(2).into();
                    }
                    r
                })
                .collect();
            firm.insert("ev".into(), records.into());
        }
        firm.into()
    }

    /// A date around `as_of`, mostly on the edges of the windows.
    fn date(&mut self, as_of: NaiveDate) -> String {
        let days = DAY_COUNTS[self.pick(DAY_COUNTS.len())] * if self.one_in(8) { -1 } else { 1 };
        (as_of - chrono::TimeDelta::days(days)).to_string()
    }

    /// An expression of type `ty` reading names of `scope`, nesting at most `depth` deep.
    fn expr(&mut self, ty: Ty, scope: &Scope, depth: u32) -> String {
        let names = scope.of(ty);
        if depth == 0 || self.one_in(4) {
            return match ty {
                _ if !names.is_empty() && !self.one_in(4) => names[self.pick(names.len())].to_string(),
                Ty::Num => self.one(NUMBERS).to_string(),
                Ty::Bool => self.one(&["true", "false"]).to_string(),
                Ty::Date if self.table_only => unreachable!("no dates in an outcome table"),
                Ty::Date => self.one(&["as_of", "date(\"2025-01-01\")", "date(\"2024-02-29\")"]).to_string(),
                Ty::Enum => String::from("\"a\""),
            };
        }
        let d = depth - 1;
        match ty {
            Ty::Num => self.num(scope, d),
            Ty::Bool => self.bool(scope, d),
            Ty::Date => self.date_expr(scope, d),
            Ty::Enum => String::from("\"b\""),
        }
    }

    fn num(&mut self, scope: &Scope, d: u32) -> String {
        let nums = scope.of(Ty::Num);
        match self.pick(16) {
            0 => format!(
                "{} {} {}",
                self.expr(Ty::Num, scope, d),
                self.one(&["+", "-", "*", "/"]),
                self.expr(Ty::Num, scope, d)
            ),
            1 => format!("-({})", self.expr(Ty::Num, scope, d)),
            2 => format!(
                "(if {} then {} else {})",
                self.expr(Ty::Bool, scope, d),
                self.expr(Ty::Num, scope, d),
                self.expr(Ty::Num, scope, d)
            ),
            // Thresholds on one name with constant results: the `steps` kernel.
            3 if !nums.is_empty() => {
                let x = nums[self.pick(nums.len())].to_string();
                let mut s = String::from("(");
                for k in 0..self.int(1, 3) {
                    let word = if k == 0 { "if" } else { "elif" };
                    let _ = write!(s, "{word} {x} {} {} then {} ", self.one(CMP), self.one(NUMBERS), self.one(NUMBERS));
                }
                let _ = write!(s, "else {})", self.one(NUMBERS));
                s
            }
            4 => {
                let f = self.one(&["min", "max"]);
                let args: Vec<String> = (0..self.int(2, 3)).map(|_| self.expr(Ty::Num, scope, d)).collect();
                format!("{f}({})", args.join(", "))
            }
            5 => match self.pick(4) {
                0 => format!("abs({})", self.expr(Ty::Num, scope, d)),
                1 => format!("floor({})", self.expr(Ty::Num, scope, d)),
                2 => format!("ceil({})", self.expr(Ty::Num, scope, d)),
                _ => format!(
                    "round({}, {}, \"{}\")",
                    self.expr(Ty::Num, scope, d),
                    self.int(0, 2),
                    self.one(&["half_up", "half_even", "down", "floor"])
                ),
            },
            6 => format!("lookup(tab, {}, \"{}\")", self.key(scope, d), self.one(&["q", "w"])),
            7 if scope.function => format!("f({}, {})", self.expr(Ty::Num, scope, d), self.expr(Ty::Num, scope, d)),
            8 | 9 if scope.list => {
                let inner = self.in_record(scope);
                let filter = match self.one_in(2) {
                    true => format!(" where {}", self.expr(Ty::Bool, &inner, d)),
                    false => String::new(),
                };
                match self.pick(4) {
                    0 => format!("count(ev{filter})"),
                    1 => format!("sum(ev, {}{filter})", self.expr(Ty::Num, &inner, d)),
                    k => format!(
                        "{}(ev, {}{filter} else {})",
                        if k == 2 { "min" } else { "max" },
                        self.expr(Ty::Num, &inner, d),
                        self.expr(Ty::Num, scope, d)
                    ),
                }
            }
            10 if !self.table_only => {
                let f = self.one(&["years_between", "months_between", "days_between"]);
                format!("{f}({}, {})", self.expr(Ty::Date, scope, d), self.expr(Ty::Date, scope, d))
            }
            _ => self.expr(Ty::Num, scope, 0),
        }
    }

    /// A table key: mostly a whole number.
    fn key(&mut self, scope: &Scope, d: u32) -> String {
        match self.one_in(2) {
            true => self.one(&["1", "2", "3", "4"]).to_string(),
            false => self.expr(Ty::Num, scope, d),
        }
    }

    fn bool(&mut self, scope: &Scope, d: u32) -> String {
        let enums = scope.of(Ty::Enum);
        match self.pick(14) {
            0 => format!("not ({})", self.expr(Ty::Bool, scope, d)),
            1 => format!("({}) and ({})", self.expr(Ty::Bool, scope, d), self.expr(Ty::Bool, scope, d)),
            2 => format!("({}) or ({})", self.expr(Ty::Bool, scope, d), self.expr(Ty::Bool, scope, d)),
            // A number against a constant: a threshold.
            3 | 4 => format!("{} {} {}", self.expr(Ty::Num, scope, d), self.one(CMP), self.one(NUMBERS)),
            5 => format!("{} {} {}", self.expr(Ty::Num, scope, d), self.one(CMP), self.expr(Ty::Num, scope, d)),
            6 if !enums.is_empty() => {
                let e = enums[self.pick(enums.len())].to_string();
                match self.pick(3) {
                    0 => format!("{e} {} \"{}\"", self.one(&["==", "!="]), self.one(&["a", "b", "c"])),
                    1 => format!("{e} in [\"a\", \"{}\"]", self.one(&["b", "c"])),
                    _ => format!("\"{}\" == {e}", self.one(&["a", "c"])),
                }
            }
            7 => format!("{} in tab", self.key(scope, d)),
            8 if !self.table_only => {
                format!("{} {} {}", self.expr(Ty::Date, scope, d), self.one(CMP), self.expr(Ty::Date, scope, d))
            }
            9 if !self.table_only => format!("{} within {}", self.expr(Ty::Date, scope, d), self.one(DURATIONS)),
            10 | 11 if scope.list => {
                let inner = self.in_record(scope);
                format!("{}(ev, {})", self.one(&["any", "all"]), self.expr(Ty::Bool, &inner, d))
            }
            12 if !self.table_only => {
                let x = self.one(&["{0} + {1}", "{0} - {1}"]);
                let date = self.expr(Ty::Date, scope, d);
                let side = x.replace("{0}", &date).replace("{1}", self.one(DURATIONS));
                format!("{side} {} {}", self.one(CMP), self.expr(Ty::Date, scope, d))
            }
            _ => self.expr(Ty::Bool, scope, 0),
        }
    }

    fn date_expr(&mut self, scope: &Scope, d: u32) -> String {
        match self.pick(4) {
            0 => format!("{} {} {}", self.expr(Ty::Date, scope, d), self.one(&["+", "-"]), self.one(DURATIONS)),
            1 => format!("as_of - {}", self.one(DURATIONS)),
            2 => format!("min({}, {})", self.expr(Ty::Date, scope, d), self.expr(Ty::Date, scope, d)),
            _ => self.expr(Ty::Date, scope, 0),
        }
    }

    /// The scope inside an aggregate over the list: the record's fields and
    /// values, whose names no firm-level name takes.
    fn in_record(&self, scope: &Scope) -> Scope {
        let mut inner = scope.clone();
        for (n, ty) in FIELDS.map(|(n, ty)| (n.to_string(), ty)).into_iter().chain(self.records.iter().cloned()) {
            if !inner.names.iter().any(|(m, _)| *m == n) {
                inner.names.push((n, ty));
            }
        }
        inner
    }
}
