//! Stage 2, check: a parsed rule file to an immutable [`Plan`].
//!
//! The [`Compiler`] walks the document once, declaring inputs, lists, tables
//! and functions, then lowers every expression (see `lower`), proves the
//! grade bands (see `bands`) and collects every problem as a [`Diagnostic`]
//! rather than stopping at the first. A plan is only built when there are no
//! errors; warnings travel beside it.

mod bands;
mod budget;
mod calls;
mod compiler;
mod label;
mod lower;
mod results;
pub(crate) mod scheme;
mod whole;
mod windows;

pub(crate) use label::label_of;

pub use budget::MAX_EVAL_COST;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::diagnostic::{did_you_mean, Code, Diagnostic, FileId, SourceMap, Span};
use crate::input::{toml_to_json, value_from_json};
use crate::plan::{
    Derived, EnumDef, Field, FunctionDef, Grade, Item, Label, ListDef, Meta, Missing, Names, Node, Override,
    OverrideAction, Plan, RoundAt, Score, ScoreGroup, TableDef, Texts, Ty, ValueType,
};
use crate::syntax::document::{self as doc, Document, SExpr, SString, SValue};
use crate::syntax::expr::{is_reserved, Expr};
use crate::value::{read_number, NumberTextError, RoundMode, Value};
use compiler::{Compiler, Deps, State};
use lower::{Ctx, Scope};
use whole::Reads;

/// Default limit on records in one list of one firm.
pub const DEFAULT_MAX_RECORDS: u32 = 100_000;

/// A rule file together with the files it includes, ready to compile.
pub(crate) struct Unit<'a> {
    pub(crate) file: FileId,
    pub(crate) doc: &'a Document,
    pub(crate) includes: Vec<(FileId, &'a Document)>,
}

/// Longest chain of derived values (or functions) that use one another;
/// it bounds the checker's recursion and the evaluator's call depth.
pub const MAX_CHAIN: usize = 64;

/// The result of compiling one rule set.
pub(crate) struct Compiled {
    pub(crate) plan: Option<Plan>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Whether a grade colour is `#rrggbb`: `#` and six hex digits, and so
/// safe to place in a style attribute or a report as it is.
fn color_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7 && b[0] == b'#' && b[1..].iter().all(u8::is_ascii_hexdigit)
}

fn name_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Compiles a rule set document. `sources` holds the text of every file.
/// `names` are texts already numbered (by earlier steps of a scheme): the
/// plan's names keep their numbers and add the rule set's own.
pub(crate) fn compile_ruleset(unit: &Unit<'_>, sources: &SourceMap, names: Names) -> Compiled {
    let mut c = Compiler {
        sources,
        file: unit.file,
        diags: Vec::new(),
        enums: Vec::new(),
        names,
        inputs: Vec::new(),
        input_index: HashMap::new(),
        used_inputs: BTreeSet::new(),
        derived_src: Vec::new(),
        derived_state: Vec::new(),
        derived_nodes: Vec::new(),
        derived_eval_order: Vec::new(),
        derived_index: HashMap::new(),
        lists: Vec::new(),
        list_derived_src: Vec::new(),
        list_derived_state: Vec::new(),
        list_derived_inputs: Vec::new(),
        list_list_deps: Vec::new(),
        list_index: IndexMap::new(),
        tables: Vec::new(),
        table_index: IndexMap::new(),
        function_index: IndexMap::new(),
        function_params: Vec::new(),
        function_returns: Vec::new(),
        function_calls: Vec::new(),
        function_whole: Vec::new(),
        derived_whole: Vec::new(),
        list_derived_whole: Vec::new(),
        defined: HashMap::new(),
        nesting: 0,
    };
    let plan = c.run(unit);
    let has_errors = c.diags.iter().any(Diagnostic::is_error);
    // Only a plan that checks is compiled: its depth is proven (R0212).
    let plan = plan.filter(|_| !has_errors).map(|mut plan| {
        let window_fields = windows::window_fields(&plan);
        for (list, fields) in plan.lists.iter_mut().zip(window_fields) {
            list.window_fields = fields;
        }
        plan.score.groups_excluding_zero = (plan.score_groups.iter().take(32).enumerate())
            .filter(|(_, g)| !g.admits_zero)
            .fold(0, |mask, (i, _)| mask | 1 << i);
        plan
    });
    Compiled { plan, diagnostics: c.diags }
}

impl<'a> Compiler<'a> {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.file, range)
    }

    fn error(&mut self, code: Code, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::error(code, Some(span), msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn define(&mut self, name: &SString, file: FileId, what: &str) -> bool {
        let span = Span::new(file, name.span());
        if !name_ok(name.get_ref()) {
            self.error(Code::BadName, span, format!("`{}` is not a valid name", name.get_ref())).help =
                Some("names start with a letter and use letters, digits and `_`".into());
            return false;
        }
        if is_reserved(name.get_ref()) {
            self.error(Code::BadName, span, format!("`{}` is a reserved word", name.get_ref()));
            return false;
        }
        if let Some(prev) = self.defined.get(name.get_ref().as_str()).copied() {
            let loc = self.sources.locate(prev);
            self.error(Code::DefinedTwice, span, format!("{what} `{}` is defined twice", name.get_ref())).help =
                Some(format!("the first definition is at {}:{}:{}", loc.file, loc.line, loc.column));
            return false;
        }
        self.defined.insert(Arc::from(name.get_ref().as_str()), span);
        true
    }

    /// The tree of an expression, or `None` after reporting why it does
    /// not parse (the parse stage found it).
    fn tree_of<'e>(&mut self, e: &'e SExpr) -> Option<&'e Expr> {
        match &e.tree {
            Some(Ok(tree)) => Some(tree),
            Some(Err(d)) => {
                self.diags.push(d.clone());
                None
            }
            None => {
                let span = Span::new(self.file, e.span());
                self.error(Code::Syntax, span, "the expression was not parsed");
                None
            }
        }
    }

    fn decimal(&mut self, v: &SValue, file: FileId) -> Option<Decimal> {
        let span = Span::new(file, v.span());
        let text = match v.get_ref() {
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::String(s) => s.clone(),
            _ => String::new(),
        };
        match read_number(text.trim(), false) {
            Ok(d) => Some(d),
            Err(NumberTextError::NotANumber) => {
                self.error(Code::Structure, span, "expected a number");
                None
            }
            Err(e) => {
                self.error(Code::Structure, span, e.message(text.trim()));
                None
            }
        }
    }

    fn run(&mut self, unit: &Unit<'a>) -> Option<Plan> {
        let d = unit.doc;
        let meta = self.meta(d, unit)?;
        let groups: Vec<(Arc<str>, Label, Option<Label>)> = d
            .groups
            .iter()
            .map(|(k, g)| (Arc::from(k.get_ref().as_str()), label_of(&g.label), g.help.as_ref().map(label_of)))
            .collect();
        let group_names: Vec<Arc<str>> = groups.iter().map(|g| g.0.clone()).collect();

        for (name, input) in &d.inputs {
            if !self.define(name, self.file, "input") {
                continue;
            }
            if let Some(field) = self.field(name, input, &group_names, true) {
                self.input_index.insert(field.name.clone(), self.inputs.len() as u32);
                self.inputs.push(field);
            }
        }
        for (name, list) in &d.lists {
            if !self.define(name, self.file, "list") {
                continue;
            }
            self.declare_list(name, list, &group_names);
        }
        for (file, included) in unit.includes.iter().copied().chain(std::iter::once((unit.file, d))) {
            for (name, table) in &included.tables {
                if self.define(name, file, "table") {
                    self.declare_table(name, table, file);
                }
            }
            for (name, f) in &included.functions {
                if self.define(name, file, "function") {
                    self.declare_function(name, f, file);
                }
            }
        }
        for (name, v) in &d.derived {
            if self.define(name, self.file, "derived value") {
                let n = Arc::from(name.get_ref().as_str());
                self.derived_index.insert(Arc::clone(&n), self.derived_src.len() as u32);
                self.derived_src.push((n, self.file, v));
                self.derived_state.push(State::Pending);
                self.derived_nodes.push(None);
                self.derived_whole.push(true);
            }
        }
        let functions = self.lower_functions(unit);
        for l in 0..self.lists.len() {
            for i in 0..self.list_derived_src[l].len() {
                self.list_derived_type(l as u32, i);
            }
        }
        let list_eval_order = self.order_lists();
        for i in 0..self.derived_src.len() {
            let span = Span::new(self.derived_src[i].1, self.derived_src[i].2.span());
            self.derived_type(i as u32, span);
        }
        let score_groups = self.score_groups(d);
        let items = self.items(d, &score_groups);
        let score = self.score(d)?;
        let grades = self.grades(d, &score);
        let overrides = self.overrides(d, &grades);
        self.lint_unused_inputs(d);
        self.lint_unfixable_bonuses(d, &items, &grades);

        // Dependencies are resolved while every derived node is still here.
        let closures = self.derived_input_closures();
        let items: Vec<Item> = items
            .into_iter()
            .map(|(item, deps)| Item { input_deps: Self::transitive_inputs(&closures, &deps), ..item })
            .collect();
        let overrides: Vec<Override> = overrides
            .into_iter()
            .map(|(o, deps)| Override { input_deps: Self::transitive_inputs(&closures, &deps), ..o })
            .collect();
        let (score, base_deps) = score;
        let whole = self.score_is_whole(&score, &items, &score_groups);
        let score = Score { base_deps: Self::transitive_inputs(&closures, &base_deps), whole, ..score };
        for &i in &score.base_deps {
            let input = &self.inputs[i as usize];
            if matches!(input.missing, Missing::NotApplicable | Missing::Penalty(_)) {
                let span = d.score.as_ref().map_or(self.span(0..0), |sc| self.span(sc.get_ref().base.span()));
                self.error(
                    Code::BadMissing,
                    span,
                    format!("the base score depends on `{}`, which may be not applicable", input.name),
                )
                .help = Some("give the input a default, or keep it out of the base score".into());
            }
        }
        for l in 0..self.lists.len() {
            self.lists[l].derived_input_deps =
                self.list_derived_inputs[l].iter().map(|deps| deps.iter().copied().collect()).collect();
        }
        let derived_deps: Vec<Vec<u32>> = closures.into_iter().map(|c| c.into_iter().collect()).collect();
        let derived: Vec<Derived> = derived_deps
            .into_iter()
            .enumerate()
            .map(|(i, input_deps)| {
                let (node, _) =
                    self.derived_nodes[i].take().unwrap_or((Node::Fail(Arc::from("not checked")), Deps::default()));
                let ty = match self.derived_state[i] {
                    State::Done(t) => t,
                    _ => Ty::Never,
                };
                Derived { name: self.derived_src[i].0.clone(), node, input_deps, ty, whole: self.derived_whole[i] }
            })
            .collect();
        self.check_eval_budget(d, &functions, &derived, &items, &overrides, &score);
        let ruleset_ref = crate::plan::RulesetRef {
            id: Arc::from(meta.id.as_str()),
            version: Arc::from(meta.version.as_str()),
            hash: Arc::from(meta.hash.as_str()),
        };
        let results = results::result_columns(
            d.results.as_ref().map(|r| r.get_ref()),
            self.file,
            &derived,
            &grades,
            &mut self.diags,
        );
        Some(Plan {
            meta,
            enums: std::mem::take(&mut self.enums),
            names: Arc::new(std::mem::take(&mut self.names)),
            groups,
            inputs: std::mem::take(&mut self.inputs),
            lists: std::mem::take(&mut self.lists),
            tables: std::mem::take(&mut self.tables),
            functions,
            derived,
            derived_eval_order: std::mem::take(&mut self.derived_eval_order),
            items,
            score_groups,
            score,
            list_eval_order,
            higher_is_better: bands::higher_is_better(
                &grades.iter().filter(|g| !g.override_only).cloned().collect::<Vec<_>>(),
            ),
            ruleset_ref,
            grades,
            overrides,
            results,
        })
    }

    fn meta(&mut self, d: &Document, unit: &Unit<'_>) -> Option<Meta> {
        let Some(m) = &d.ruleset else {
            self.diags.push(
                Diagnostic::error(Code::MissingTable, Some(self.span(0..0)), "missing the [ruleset] table")
                    .with_help("a rule file starts with [ruleset] (id, name, version) or [scheme]"),
            );
            return None;
        };
        let m = m.get_ref();
        let id = m.id.get_ref();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            self.error(Code::BadName, self.span(m.id.span()), format!("`{id}` is not a valid rule set id")).help =
                Some("use letters, digits, `-` and `_`".into());
        }
        let kind = m.kind.as_ref().map_or("custom".to_string(), |k| k.get_ref().clone());
        if let Some(k) = &m.kind {
            if !["risk", "credit", "blacklist", "classification", "custom"].contains(&k.get_ref().as_str()) {
                self.error(Code::UnknownKind, self.span(k.span()), format!("unknown kind `{}`", k.get_ref())).help =
                    Some("one of: risk, credit, blacklist, classification, custom".into());
            }
        }
        let mut hasher = Sha256::new();
        hasher.update(self.sources.text(unit.file).as_bytes());
        for (f, _) in &unit.includes {
            hasher.update([0u8]);
            hasher.update(self.sources.text(*f).as_bytes());
        }
        let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if let (Some(from), Some(to)) = (&m.effective_from, &m.effective_to) {
            let day = |d: &toml::value::Datetime| d.date.map(|d| (d.year, d.month, d.day));
            if let (Some(a), Some(b)) = (day(from.get_ref()), day(to.get_ref())) {
                if a > b {
                    self.error(
                        Code::BadBounds,
                        self.span(from.span()),
                        format!("`effective_from` {} is after `effective_to` {}", from.get_ref(), to.get_ref()),
                    );
                }
            }
        }
        Some(Meta {
            id: id.clone(),
            name: label_of(&m.name),
            version: m.version.get_ref().clone(),
            kind,
            hash,
            effective_from: m.effective_from.as_ref().map(|d| d.get_ref().to_string()),
            effective_to: m.effective_to.as_ref().map(|d| d.get_ref().to_string()),
            sources: m.sources.clone(),
            notes: m.notes.clone(),
        })
    }

    /// Checks an input or list field declaration.
    fn field(
        &mut self,
        name: &SString,
        input: &toml::Spanned<doc::Input>,
        groups: &[Arc<str>],
        top_level: bool,
    ) -> Option<Field> {
        let i = input.get_ref();
        let ty_span = self.span(i.ty.span());
        let vtype = match i.ty.get_ref().as_str() {
            "bool" => ValueType::Bool,
            "integer" => ValueType::Integer,
            "decimal" => ValueType::Decimal,
            "date" => ValueType::Date,
            "text" => ValueType::Text,
            "uscc" => ValueType::Uscc,
            "enum" => {
                let mut options = Vec::new();
                for o in &i.options {
                    let o = o.get_ref();
                    let id = o.id.get_ref();
                    if options.iter().any(|(x, _): &(Arc<str>, Label)| &**x == id) {
                        self.error(
                            Code::DefinedTwice,
                            self.span(o.id.span()),
                            format!("option `{id}` is listed twice"),
                        );
                        continue;
                    }
                    options.push((Arc::from(id.as_str()), label_of(&o.label)));
                }
                if options.is_empty() {
                    self.error(
                        Code::BadDeclaration,
                        ty_span,
                        format!("enum input `{}` has no options", name.get_ref()),
                    )
                    .help = Some("add options = [{ id = \"…\", label = \"…\" }, …]".into());
                    return None;
                }
                let values = options.iter().map(|(id, _)| self.names.intern(id)).collect();
                self.enums.push(EnumDef { options, values });
                ValueType::Enum(self.enums.len() as u32 - 1)
            }
            other => {
                let hint = did_you_mean(other, ["bool", "integer", "decimal", "enum", "date", "text", "uscc"]);
                self.error(Code::BadDeclaration, ty_span, format!("unknown type `{other}`")).help = Some(match hint {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => "one of: bool, integer, decimal, enum, date, text, uscc".into(),
                });
                return None;
            }
        };
        if !matches!(vtype, ValueType::Enum(_)) && !i.options.is_empty() {
            self.error(Code::BadDeclaration, ty_span, "`options` only go with type \"enum\"");
        }
        let numeric = matches!(vtype, ValueType::Integer | ValueType::Decimal);
        let bound = |c: &mut Self, v: &Option<SValue>, what: &str| -> Option<Decimal> {
            let v = v.as_ref()?;
            if !numeric {
                c.error(
                    Code::BadDeclaration,
                    c.span(v.span()),
                    format!("`{what}` only goes with integer and decimal inputs"),
                );
                return None;
            }
            c.decimal(v, c.file)
        };
        let min = bound(self, &i.min, "min");
        let max = bound(self, &i.max, "max");
        for (what, v, d) in [("min", &i.min, min), ("max", &i.max, max)] {
            if let (Some(v), Some(d)) = (v, d.filter(|d| vtype == ValueType::Integer && !d.fract().is_zero())) {
                self.error(
                    Code::BadBounds,
                    self.span(v.span()),
                    format!("`{what}` {d} is not a whole number, but `{}` is an integer", name.get_ref()),
                )
                .help = Some("declare the input `decimal`, or give a whole bound".into());
            }
        }
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                self.error(Code::BadBounds, self.span(input.span()), format!("`min` {a} is above `max` {b}"));
            }
        }
        let allowed = i.allowed.as_ref().and_then(|list| {
            if !numeric {
                self.error(
                    Code::BadDeclaration,
                    self.span(list.span()),
                    "`allowed` only goes with integer and decimal inputs",
                );
                return None;
            }
            let mut vals = Vec::new();
            for v in list.get_ref() {
                let Some(d) = self.decimal(v, self.file) else { continue };
                let span = self.span(v.span());
                if vtype == ValueType::Integer && !d.fract().is_zero() {
                    self.error(
                        Code::BadBounds,
                        span,
                        format!("`allowed` value {d} is not a whole number, but `{}` is an integer", name.get_ref()),
                    )
                    .help = Some("declare the input `decimal`, or list whole numbers only".into());
                } else if let Some(m) = min.filter(|m| d < *m) {
                    self.error(Code::BadBounds, span, format!("`allowed` value {d} is below `min` {m}")).help =
                        Some("no answer could take it: remove it, or lower `min`".into());
                } else if let Some(m) = max.filter(|m| d > *m) {
                    self.error(Code::BadBounds, span, format!("`allowed` value {d} is above `max` {m}")).help =
                        Some("no answer could take it: remove it, or raise `max`".into());
                }
                vals.push(d);
            }
            if vals.is_empty() {
                self.error(Code::BadBounds, self.span(list.span()), "`allowed` lists no values");
            }
            Some(vals)
        });
        if let Some(m) = &i.max_len {
            if vtype != ValueType::Text {
                self.error(Code::BadDeclaration, self.span(m.span()), "`max_len` only goes with text inputs");
            }
        }
        let group = i.group.as_ref().and_then(|g| {
            if groups.iter().any(|x| **x == **g.get_ref()) {
                Some(Arc::from(g.get_ref().as_str()))
            } else {
                let hint = did_you_mean(g.get_ref(), groups.iter().map(|s| &**s));
                self.error(
                    Code::UnknownName,
                    self.span(g.span()),
                    format!("unknown question group `{}`", g.get_ref()),
                )
                .help = Some(hint.map_or("declare it under [groups]".into(), |h| format!("did you mean `{h}`?")));
                None
            }
        });
        let mut field = Field {
            name: Arc::from(name.get_ref().as_str()),
            vtype,
            label: i
                .label
                .as_ref()
                .map(label_of)
                .unwrap_or_else(|| Label { zh: Arc::from(name.get_ref().as_str()), en: None }),
            help: i.help.as_ref().map(label_of),
            group,
            min,
            max,
            allowed,
            max_len: i.max_len.as_ref().map(|m| *m.get_ref()),
            missing: Missing::Required,
            from: i.from.as_ref().map(|f| Arc::from(f.get_ref().as_str())),
        };
        if let Some(from) = &i.from {
            let ok = from.get_ref().split_once('.').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty());
            if !top_level || !ok {
                self.error(
                    Code::BadFrom,
                    self.span(from.span()),
                    "`from` names an earlier scheme step's result, such as \"risk.grade\"",
                );
            }
        }
        if let Some(m) = &i.missing {
            // A bad treatment is reported; the field stays declared so its uses still check.
            field.missing = self.missing(m, &field, top_level).unwrap_or(Missing::Required);
        }
        Some(field)
    }

    fn missing(&mut self, m: &SValue, field: &Field, top_level: bool) -> Option<Missing> {
        let span = self.span(m.span());
        let res = match m.get_ref() {
            toml::Value::String(s) if s == "required" => Missing::Required,
            toml::Value::String(s) if s == "not_applicable" && top_level => Missing::NotApplicable,
            toml::Value::Table(t) if t.len() == 1 && t.contains_key("default") => {
                let texts = Texts { enums: &self.enums, names: &self.names };
                match value_from_json(&toml_to_json(&t["default"]), field, texts) {
                    Ok(v) => Missing::Default(self.names.interned(v)),
                    Err(e) => {
                        self.error(Code::BadMissing, span, format!("the default does not fit the input: {}", e.en()));
                        return None;
                    }
                }
            }
            toml::Value::Table(t) if t.len() == 1 && t.contains_key("penalty") && top_level => {
                let text = toml_to_json(&t["penalty"]).to_string().trim_matches('"').to_string();
                match text.parse::<Decimal>() {
                    Ok(d) => Missing::Penalty(d),
                    Err(_) => {
                        self.error(Code::BadMissing, span, "the penalty must be a number of points");
                        return None;
                    }
                }
            }
            _ => {
                let allowed = if top_level {
                    "\"required\", \"not_applicable\", { default = … } or { penalty = … }"
                } else {
                    "\"required\" or { default = … } (list fields)"
                };
                self.error(Code::BadMissing, span, "unknown treatment of a missing answer").help =
                    Some(format!("use {allowed}"));
                return None;
            }
        };
        Some(res)
    }

    fn declare_list(&mut self, name: &SString, list: &'a toml::Spanned<doc::List>, groups: &[Arc<str>]) {
        let l = list.get_ref();
        let mut fields = Vec::new();
        let mut seen = HashMap::new();
        for (fname, f) in &l.fields {
            if !name_ok(fname.get_ref()) {
                self.error(
                    Code::BadName,
                    self.span(fname.span()),
                    format!("`{}` is not a valid name", fname.get_ref()),
                );
                continue;
            }
            seen.insert(fname.get_ref().clone(), ());
            if let Some(field) = self.field(fname, f, groups, false) {
                fields.push(field);
            }
        }
        let mut derived_names = Vec::new();
        let mut derived_src = Vec::new();
        for (dname, v) in &l.derived {
            if !name_ok(dname.get_ref()) || seen.contains_key(dname.get_ref()) {
                self.error(
                    Code::DefinedTwice,
                    self.span(dname.span()),
                    format!("`{}` is already a field of this list, or not a valid name", dname.get_ref()),
                );
                continue;
            }
            seen.insert(dname.get_ref().clone(), ());
            derived_names.push((Arc::from(dname.get_ref().as_str()), Node::Fail(Arc::from("not checked"))));
            derived_src.push(v);
        }
        let group = l.group.as_ref().and_then(|g| {
            if groups.iter().any(|x| **x == **g.get_ref()) {
                Some(Arc::from(g.get_ref().as_str()))
            } else {
                self.error(Code::UnknownName, self.span(g.span()), format!("unknown question group `{}`", g.get_ref()));
                None
            }
        });
        let idx = self.lists.len() as u32;
        self.list_index.insert(Arc::from(name.get_ref().as_str()), idx);
        self.list_derived_state.push(vec![State::Pending; derived_src.len()]);
        self.list_derived_inputs.push(vec![BTreeSet::new(); derived_src.len()]);
        self.list_derived_whole.push(vec![true; derived_src.len()]);
        self.list_derived_src.push(derived_src);
        self.list_list_deps.push(BTreeSet::new());
        self.lists.push(ListDef {
            name: Arc::from(name.get_ref().as_str()),
            label: l
                .label
                .as_ref()
                .map(label_of)
                .unwrap_or_else(|| Label { zh: Arc::from(name.get_ref().as_str()), en: None }),
            help: l.help.as_ref().map(label_of),
            group,
            max_records: l.max_records.as_ref().map_or(DEFAULT_MAX_RECORDS, |m| *m.get_ref()),
            fields,
            derived: derived_names,
            derived_eval_order: Vec::new(),
            derived_input_deps: Vec::new(),
            window_fields: Vec::new(),
        });
    }

    pub(crate) fn list_fields(&self, list: u32) -> Vec<String> {
        let l = &self.lists[list as usize];
        l.fields.iter().map(|f| f.name.to_string()).chain(l.derived.iter().map(|(n, _)| n.to_string())).collect()
    }

    /// The record slot and type of a field or per-record value, if `name` is one.
    pub(crate) fn record_slot(&mut self, list: u32, name: &str, span: Span) -> Option<(u32, Ty)> {
        let l = &self.lists[list as usize];
        if let Some(i) = l.fields.iter().position(|f| &*f.name == name) {
            return Some((i as u32, l.fields[i].vtype.ty()));
        }
        let n_fields = l.fields.len();
        let i = l.derived.iter().position(|(n, _)| &**n == name)?;
        let ty = match self.list_derived_type(list, i) {
            Some(t) => t,
            None => {
                if matches!(self.list_derived_state[list as usize][i], State::InProgress) {
                    self.error(Code::Cycle, span, format!("`{name}` depends on itself"));
                }
                Ty::Never
            }
        };
        Some(((n_fields + i) as u32, ty))
    }

    fn list_derived_type(&mut self, list: u32, i: usize) -> Option<Ty> {
        match &self.list_derived_state[list as usize][i] {
            State::Done(t) => return Some(*t),
            State::InProgress => return None,
            State::Pending => {}
        }
        if self.nesting >= MAX_CHAIN {
            let span = Span::new(self.file, self.list_derived_src[list as usize][i].span());
            self.error(
                Code::TooDeeplyNested,
                span,
                format!("values depend on each other more than {MAX_CHAIN} levels deep"),
            );
            return None;
        }
        self.nesting += 1;
        self.list_derived_state[list as usize][i] = State::InProgress;
        let src = self.list_derived_src[list as usize][i];
        let (node, ty) = match self.tree_of(src) {
            Some(e) => {
                let mut deps = Deps::default();
                let mut scope = Scope::new(Ctx::Record(list));
                let res = self.lower(e, &mut scope, &mut deps);
                self.list_derived_inputs[list as usize][i].extend(deps.inputs.iter().copied());
                self.list_list_deps[list as usize].extend(deps.lists.iter().copied());
                if deps.derived_lists.contains(&list) {
                    let name = self.lists[list as usize].derived[i].0.clone();
                    let span = Span::new(self.file, src.span());
                    self.error(
                        Code::Cycle,
                        span,
                        format!("`{name}` reads per-record values of other records of its own list"),
                    )
                    .help = Some("aggregate over the list's fields here, or compute the value at firm level".into());
                }
                res
            }
            None => (Node::Fail(Arc::from("not checked")), Ty::Never),
        };
        self.list_derived_whole[list as usize][i] = self.is_whole(&node, &Reads { records: &[list], function: None });
        self.lists[list as usize].derived[i].1 = node;
        self.lists[list as usize].derived_eval_order.push(i as u32);
        self.list_derived_state[list as usize][i] = State::Done(ty);
        self.nesting -= 1;
        Some(ty)
    }

    /// The order to compute lists' per-record values in (lists they
    /// aggregate over first). A cycle between lists is a diagnostic.
    fn order_lists(&mut self) -> Vec<u32> {
        let n = self.lists.len();
        let mut order = Vec::with_capacity(n);
        let mut state = vec![0u8; n]; // 0 new, 1 on the path, 2 done
        for start in 0..n {
            let mut stack = vec![(start, false)];
            while let Some((l, children_done)) = stack.pop() {
                if children_done {
                    state[l] = 2;
                    order.push(l as u32);
                    continue;
                }
                if state[l] != 0 {
                    continue;
                }
                state[l] = 1;
                stack.push((l, true));
                let reads: Vec<u32> = self.list_list_deps[l].iter().copied().collect();
                for m in reads {
                    let m = m as usize;
                    if m == l {
                        continue;
                    }
                    if state[m] == 1 {
                        let (a, b) = (self.lists[l].name.clone(), self.lists[m].name.clone());
                        let span = self.defined.get(&a).copied().unwrap_or_default();
                        self.error(
                            Code::Cycle,
                            span,
                            format!("the per-record values of lists `{a}` and `{b}` read each other"),
                        )
                        .help = Some("one of the two lists must not aggregate over the other".into());
                    } else if state[m] == 0 {
                        stack.push((m, false));
                    }
                }
            }
        }
        order
    }

    /// The type of a firm-level derived value, lowering it first if needed.
    pub(crate) fn derived_type(&mut self, i: u32, use_span: Span) -> Option<Ty> {
        match &self.derived_state[i as usize] {
            State::Done(t) => return Some(*t),
            State::InProgress => {
                let name = self.derived_src[i as usize].0.clone();
                self.error(Code::Cycle, use_span, format!("`{name}` depends on itself")).help =
                    Some("derived values may use each other, but not in a cycle".into());
                return None;
            }
            State::Pending => {}
        }
        if self.nesting >= MAX_CHAIN {
            self.error(
                Code::TooDeeplyNested,
                use_span,
                format!("derived values depend on each other more than {MAX_CHAIN} levels deep"),
            )
            .help = Some("flatten the chain: compute intermediate values in fewer steps".into());
            return None;
        }
        self.nesting += 1;
        self.derived_state[i as usize] = State::InProgress;
        let (_, file, src) = self.derived_src[i as usize].clone();
        let (node, ty, deps) = match self.tree_of(src) {
            Some(e) => {
                let mut deps = Deps::default();
                let (n, t) = self.lower(e, &mut Scope::new(Ctx::Firm), &mut deps);
                (n, t, deps)
            }
            None => (Node::Fail(Arc::from("not checked")), Ty::Never, Deps::default()),
        };
        if matches!(ty, Ty::List(_) | Ty::Table(_)) {
            self.error(
                Code::TypeMismatch,
                Span::new(file, src.span()),
                "a derived value cannot be a whole list or table",
            );
        }
        self.derived_whole[i as usize] = self.is_whole(&node, &Reads { records: &[], function: None });
        self.derived_nodes[i as usize] = Some((node, deps));
        self.derived_eval_order.push(i);
        self.derived_state[i as usize] = State::Done(ty);
        self.nesting -= 1;
        Some(ty)
    }

    /// The inputs each derived value reads, directly or through other
    /// derived values: built once in evaluation order (each value's own
    /// inputs and those of the values it reads, already built), so a chain
    /// of n values costs n unions rather than n walks of the chain.
    fn derived_input_closures(&self) -> Vec<BTreeSet<u32>> {
        let mut closures: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); self.derived_nodes.len()];
        for &d in &self.derived_eval_order {
            let Some((_, deps)) = &self.derived_nodes[d as usize] else { continue };
            let mut set = deps.inputs.clone();
            for &dd in &deps.derived {
                set.extend(closures[dd as usize].iter().copied());
            }
            closures[d as usize] = set;
        }
        closures
    }

    /// The inputs `deps` reads, through derived values too.
    fn transitive_inputs(closures: &[BTreeSet<u32>], deps: &Deps) -> Vec<u32> {
        let mut out: BTreeSet<u32> = deps.inputs.clone();
        for &d in &deps.derived {
            out.extend(closures[d as usize].iter().copied());
        }
        out.into_iter().collect()
    }

    fn scalar_ty(&mut self, s: &SString, file: FileId) -> Option<Ty> {
        Some(match s.get_ref().as_str() {
            "bool" => Ty::Bool,
            "integer" | "decimal" => Ty::Num,
            "text" => Ty::Text,
            "date" => Ty::Date,
            other => {
                self.error(Code::BadDeclaration, Span::new(file, s.span()), format!("unknown type `{other}`")).help =
                    Some("one of: bool, integer, decimal, text, date".into());
                return None;
            }
        })
    }

    /// A table cell or key, read as an answer of the column's type is read
    /// (`integer` when `whole`), its text numbered among the rules' names.
    fn cell_value(&mut self, v: &toml::Value, ty: Ty, whole: bool) -> Result<Value, String> {
        let vtype = match ty {
            Ty::Num if whole => ValueType::Integer,
            Ty::Num => ValueType::Decimal,
            Ty::Text => ValueType::Text,
            Ty::Bool => ValueType::Bool,
            Ty::Date => ValueType::Date,
            _ => return Err("the column type is unknown".into()),
        };
        // A TOML float is read as its shortest text (`4.0` as `4`).
        let json = match v {
            toml::Value::Float(f) => serde_json::Value::String(f.to_string()),
            other => toml_to_json(other),
        };
        let texts = Texts { enums: &[], names: &self.names };
        let value = value_from_json(&json, &Field::plain("", vtype), texts).map_err(|p| p.en())?;
        Ok(self.names.interned(value))
    }

    fn declare_table(&mut self, name: &SString, table: &toml::Spanned<doc::Table>, file: FileId) {
        let t = table.get_ref();
        let key_ty = match t.key.get_ref().as_str() {
            "text" => Ty::Text,
            "integer" | "decimal" => Ty::Num,
            other => {
                self.error(
                    Code::BadDeclaration,
                    Span::new(file, t.key.span()),
                    format!("unknown key type `{other}`"),
                )
                .help = Some("one of: text, integer, decimal".into());
                Ty::Never
            }
        };
        let key_whole = t.key.get_ref() == "integer";
        // Each column's name, type and whether it is declared `integer`.
        let declared: Vec<(Arc<str>, Ty, bool)> = t
            .columns
            .iter()
            .filter_map(|(c, ty)| {
                Some((Arc::from(c.get_ref().as_str()), self.scalar_ty(ty, file)?, ty.get_ref() == "integer"))
            })
            .collect();
        if declared.is_empty() {
            self.error(
                Code::BadTable,
                Span::new(file, table.span()),
                format!("table `{}` has no columns", name.get_ref()),
            );
        }
        let mut rows: HashMap<Value, Arc<[Value]>> = HashMap::new();
        for row in &t.rows {
            let rspan = Span::new(file, row.span());
            let r = row.get_ref();
            let Some(key_cell) = r.get("key") else {
                self.error(Code::BadTable, rspan, "this row has no `key`");
                continue;
            };
            let keys: Vec<&toml::Value> = match key_cell.get_ref() {
                toml::Value::Array(a) => a.iter().collect(),
                k => vec![k],
            };
            for k in r.keys() {
                if k != "key" && !declared.iter().any(|(c, _, _)| &**c == k) {
                    self.error(
                        Code::BadTable,
                        rspan,
                        format!("this row has `{k}`, which is not a column of the table"),
                    );
                }
            }
            let mut cells = Vec::new();
            for (c, ty, whole) in &declared {
                let Some(cell) = r.get(&**c) else {
                    self.error(Code::BadTable, rspan, format!("this row has no value for column `{c}`"));
                    continue;
                };
                match self.cell_value(cell.get_ref(), *ty, *whole) {
                    Ok(v) => cells.push(v),
                    Err(e) => {
                        self.error(Code::BadTable, Span::new(file, cell.span()), format!("column `{c}`: {e}"));
                    }
                }
            }
            if cells.len() != declared.len() {
                continue;
            }
            let cells: Arc<[Value]> = cells.into();
            for k in keys {
                let key = match self.cell_value(k, key_ty, key_whole) {
                    Ok(v) => v,
                    Err(e) => {
                        self.error(Code::BadTable, Span::new(file, key_cell.span()), format!("key: {e}"));
                        continue;
                    }
                };
                if rows.insert(key.clone(), Arc::clone(&cells)).is_some() {
                    self.error(
                        Code::DefinedTwice,
                        rspan,
                        format!("key `{}` appears twice in table `{}`", self.names.show(&key), name.get_ref()),
                    );
                }
            }
        }
        let columns = declared.into_iter().map(|(c, ty, _)| (c, ty)).collect();
        self.table_index.insert(Arc::from(name.get_ref().as_str()), self.tables.len() as u32);
        self.tables.push(TableDef { name: Arc::from(name.get_ref().as_str()), key_ty, columns, rows });
    }

    fn declare_function(&mut self, name: &SString, f: &toml::Spanned<doc::Function>, file: FileId) {
        let fd = f.get_ref();
        let mut params = Vec::new();
        let mut whole_params = Vec::new();
        for (p, ty) in &fd.params {
            let t = self.scalar_ty(ty, file).unwrap_or(Ty::Never);
            params.push((Arc::from(p.get_ref().as_str()), t));
            whole_params.push(ty.get_ref() == "integer");
        }
        let ret = self.scalar_ty(&fd.returns, file).unwrap_or(Ty::Never);
        self.function_whole.push((whole_params, fd.returns.get_ref() == "integer"));
        self.function_index.insert(Arc::from(name.get_ref().as_str()), self.function_params.len() as u32);
        self.function_params.push(params);
        self.function_returns.push(ret);
    }

    fn lower_functions(&mut self, unit: &Unit<'a>) -> Vec<FunctionDef> {
        let mut out = Vec::new();
        let all: Vec<(FileId, &SString, &toml::Spanned<doc::Function>)> = unit
            .includes
            .iter()
            .copied()
            .chain(std::iter::once((unit.file, unit.doc)))
            .flat_map(|(file, d)| d.functions.iter().map(move |(n, f)| (file, n, f)))
            .collect();
        for (file, name, f) in all {
            let Some(&idx) = self.function_index.get(name.get_ref().as_str()) else { continue };
            if idx as usize != out.len() {
                continue;
            }
            let ret = self.function_returns[idx as usize];
            let body = match self.tree_of(&f.get_ref().body) {
                Some(e) => {
                    let mut deps = Deps::default();
                    let mut scope = Scope::new(Ctx::Function(idx));
                    self.lower_as(e, ret, &mut scope, &mut deps)
                }
                None => Node::Fail(Arc::from("not checked")),
            };
            if self.function_whole[idx as usize].1
                && !self.is_whole(&body, &Reads { records: &[], function: Some(idx) })
            {
                self.error(
                    Code::TypeMismatch,
                    Span::new(file, f.get_ref().body.span()),
                    format!("function `{}` returns an integer, but its body may give a fraction", name.get_ref()),
                )
                .help = Some(
                    "round the result with round(…, 0, \"mode\"), floor(…) or ceil(…), or return a decimal".into(),
                );
            }
            out.push(FunctionDef { name: Arc::from(name.get_ref().as_str()), body, returns: ret });
        }
        // Functions must not call themselves, directly or through others.
        let n = out.len();
        let errors_before = self.diags.len();
        let recursive = calls::analyse(n, &self.function_calls).recursive;
        for (def, _) in out.iter().zip(recursive).filter(|(_, r)| *r) {
            let span = self.defined.get(&def.name).copied().unwrap_or_default();
            self.error(Code::Cycle, span, format!("function `{}` calls itself", def.name)).help =
                Some("functions cannot be recursive; the language has no loops".into());
        }
        if self.diags.len() == errors_before {
            self.check_call_depth(n);
        }
        out
    }

    /// Reports a chain of function calls longer than [`MAX_CHAIN`]; cycles are reported separately.
    fn check_call_depth(&mut self, n: usize) {
        // Longest path from each function, by repeated relaxation (bounded: cycles stop at MAX_CHAIN).
        let mut depth = vec![1usize; n];
        for _ in 0..=MAX_CHAIN {
            let mut changed = false;
            for &(caller, callee) in &self.function_calls {
                let d = depth[callee as usize] + 1;
                if d > depth[caller as usize] && d <= MAX_CHAIN + 1 {
                    depth[caller as usize] = d;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let deep: Vec<Arc<str>> = self
            .function_index
            .iter()
            .filter(|(_, &i)| depth[i as usize] > MAX_CHAIN)
            .map(|(name, _)| name.clone())
            .collect();
        for name in deep {
            let span = self.defined.get(&name).copied().unwrap_or_default();
            self.error(
                Code::TooDeeplyNested,
                span,
                format!("function `{name}` calls functions more than {MAX_CHAIN} levels deep"),
            );
        }
    }

    /// The bounds of an item's or a score group's points (declared at `span`):
    /// `min` and `max`, narrowed by `cap`; a lower bound above the upper one is an error.
    fn cap_bounds(
        &mut self,
        span: Span,
        cap: &Option<SValue>,
        min: &Option<SValue>,
        max: &Option<SValue>,
    ) -> (Option<Decimal>, Option<Decimal>) {
        let mut lo = min.as_ref().and_then(|v| self.decimal(v, self.file));
        let mut hi = max.as_ref().and_then(|v| self.decimal(v, self.file));
        if let Some(c) = cap {
            if let Some(c) = self.decimal(c, self.file) {
                if c < Decimal::ZERO {
                    self.error(Code::BadBounds, self.span(c_span(cap)), "`cap` is a size: write it without a sign");
                }
                lo = Some(lo.map_or(-c.abs(), |l| l.max(-c.abs())));
                hi = Some(hi.map_or(c.abs(), |h| h.min(c.abs())));
            }
        }
        if let (Some(a), Some(b)) = (lo, hi) {
            if a > b {
                self.error(Code::BadBounds, span, format!("`min` {a} is above `max` {b}"));
            }
        }
        (lo, hi)
    }

    fn score_groups(&mut self, d: &Document) -> Vec<ScoreGroup> {
        let mut out = Vec::new();
        for (name, g) in &d.score_groups {
            let gg = g.get_ref();
            let (min, max) = self.cap_bounds(self.span(g.span()), &gg.cap, &gg.min, &gg.max);
            out.push(ScoreGroup {
                id: Arc::from(name.get_ref().as_str()),
                label: gg
                    .label
                    .as_ref()
                    .map(label_of)
                    .unwrap_or_else(|| Label { zh: Arc::from(name.get_ref().as_str()), en: None }),
                admits_zero: min.is_none_or(|m| m <= Decimal::ZERO) && max.is_none_or(|m| m >= Decimal::ZERO),
                min,
                max,
            });
        }
        out
    }

    fn items(&mut self, d: &Document, groups: &[ScoreGroup]) -> Vec<(Item, Deps)> {
        let mut out = Vec::new();
        let mut ids: HashMap<String, Span> = HashMap::new();
        for item in &d.items {
            let it = item.get_ref();
            let id_span = self.span(it.id.span());
            if !name_ok(it.id.get_ref()) {
                self.error(Code::BadName, id_span, format!("`{}` is not a valid item id", it.id.get_ref())).help =
                    Some("ids start with a letter and use letters, digits and `_`".into());
            }
            if let Some(prev) = ids.insert(it.id.get_ref().clone(), id_span) {
                let loc = self.sources.locate(prev);
                self.error(Code::DefinedTwice, id_span, format!("item id `{}` is used twice", it.id.get_ref())).help =
                    Some(format!("the first is at line {}", loc.line));
            }
            let group = it.group.as_ref().and_then(|g| {
                let found = groups.iter().position(|x| *x.id == **g.get_ref());
                if found.is_none() {
                    let hint = did_you_mean(g.get_ref(), groups.iter().map(|x| &*x.id));
                    self.error(
                        Code::UnknownName,
                        self.span(g.span()),
                        format!("unknown score group `{}`", g.get_ref()),
                    )
                    .help =
                        Some(hint.map_or("declare it under [score_groups]".into(), |h| format!("did you mean `{h}`?")));
                }
                found.map(|i| i as u32)
            });
            let mut deps = Deps::default();
            let when = it.when.as_ref().and_then(|w| {
                let e = self.tree_of(w)?;
                Some(self.lower_as(e, Ty::Bool, &mut Scope::new(Ctx::Firm), &mut deps))
            });
            let points = it.points.as_ref().and_then(|p| {
                let e = self.tree_of(p)?;
                Some(self.lower_as(e, Ty::Num, &mut Scope::new(Ctx::Firm), &mut deps))
            });
            if it.when.is_none() && it.points.is_none() {
                self.error(
                    Code::IncompleteItem,
                    id_span,
                    format!("item `{}` has neither `when` nor `points`", it.id.get_ref()),
                );
            }
            let never = matches!(when, Some(Node::Const(Value::Bool(false))))
                || matches!(&points, Some(Node::Const(Value::Num(n))) if n.is_zero() && it.when.is_some());
            if never {
                self.diags.push(
                    Diagnostic::warning(
                        Code::NeverFires,
                        Some(id_span),
                        format!("item `{}` can never fire", it.id.get_ref()),
                    )
                    .with_help("its condition is always false or its points are always zero"),
                );
            }
            let (min, max) = self.cap_bounds(self.span(item.span()), &it.cap, &it.min, &it.max);
            out.push((
                Item {
                    id: Arc::from(it.id.get_ref().as_str()),
                    group,
                    label: label_of(&it.label),
                    when,
                    points,
                    min,
                    max,
                    cite: it.cite.as_deref().map(Arc::from),
                    advice: it.advice.as_ref().map(label_of),
                    fixable: it.fixable.unwrap_or(true),
                    input_deps: Vec::new(),
                },
                deps,
            ));
        }
        out
    }

    fn score(&mut self, d: &Document) -> Option<(Score, Deps)> {
        let Some(s) = &d.score else {
            self.diags.push(
                Diagnostic::error(Code::MissingTable, Some(self.span(0..0)), "missing the [score] table")
                    .with_help("add [score] with base = \"100\" (or an expression)"),
            );
            return None;
        };
        let sc = s.get_ref();
        let mut deps = Deps::default();
        let base = match self.tree_of(&sc.base) {
            Some(e) => self.lower_as(e, Ty::Num, &mut Scope::new(Ctx::Firm), &mut deps),
            None => Node::Fail(Arc::from("not checked")),
        };
        let min = sc.min.as_ref().and_then(|v| self.decimal(v, self.file));
        let max = sc.max.as_ref().and_then(|v| self.decimal(v, self.file));
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                self.error(Code::BadBounds, self.span(s.span()), format!("`min` {a} is above `max` {b}"));
            }
        }
        let round = sc.round.as_ref().and_then(|r| {
            let rr = r.get_ref();
            let mode = RoundMode::parse(rr.mode.get_ref());
            if mode.is_none() {
                self.error(
                    Code::BadLiteralArgument,
                    self.span(rr.mode.span()),
                    format!("unknown rounding mode `{}`", rr.mode.get_ref()),
                )
                .help = Some(format!("one of: {}", RoundMode::NAMES.join(", ")));
            }
            let at = match rr.at.get_ref().as_str() {
                "item" => Some(RoundAt::Item),
                "score" => Some(RoundAt::Score),
                other => {
                    self.error(
                        Code::BadLiteralArgument,
                        self.span(rr.at.span()),
                        format!("unknown rounding step `{other}`"),
                    )
                    .help = Some("one of: item, score".into());
                    None
                }
            };
            let places = *rr.places.get_ref();
            if places > 28 {
                self.error(Code::BadLiteralArgument, self.span(rr.places.span()), "at most 28 decimal places");
            }
            Some((places.min(28), mode?, at?))
        });
        Some((Score { base, base_deps: Vec::new(), min, max, round, whole: false, groups_excluding_zero: 0 }, deps))
    }

    /// Whether every score is whole: rounded to 0 places, or made of whole
    /// numbers (base, items' points, penalties), clamped to whole bounds.
    fn score_is_whole(&self, score: &Score, items: &[Item], groups: &[ScoreGroup]) -> bool {
        let whole = |b: Option<Decimal>| b.is_none_or(|d| d.fract().is_zero());
        let rounded = |at: RoundAt| matches!(score.round, Some((0, _, a)) if a == at);
        let top = Reads { records: &[], function: None };
        let summed = || {
            self.is_whole(&score.base, &top)
                && items.iter().all(|it| {
                    rounded(RoundAt::Item)
                        || (it.points.as_ref().is_none_or(|p| self.is_whole(p, &top)) && whole(it.min) && whole(it.max))
                })
                && groups.iter().all(|g| whole(g.min) && whole(g.max))
                && self.inputs.iter().all(|f| !matches!(f.missing, Missing::Penalty(p) if !p.fract().is_zero()))
        };
        whole(score.min) && whole(score.max) && (rounded(RoundAt::Score) || summed())
    }

    fn grades(&mut self, d: &Document, score: &(Score, Deps)) -> Vec<Grade> {
        let mut out: Vec<Grade> = Vec::new();
        let mut spans = Vec::new();
        for g in &d.grades {
            let gg = g.get_ref();
            let span = self.span(gg.id.span());
            if !name_ok(gg.id.get_ref()) {
                self.error(Code::BadName, span, format!("`{}` is not a valid grade id", gg.id.get_ref())).help =
                    Some("ids start with a letter and use letters, digits and `_`".into());
            }
            if out.iter().any(|x| *x.id == **gg.id.get_ref()) {
                self.error(Code::DefinedTwice, span, format!("grade `{}` is defined twice", gg.id.get_ref()));
                continue;
            }
            if let Some(color) = gg.color.as_ref().filter(|c| !color_ok(c.get_ref())) {
                let shown: String = color.get_ref().chars().take(40).collect();
                let more = if color.get_ref().chars().count() > 40 { "…" } else { "" };
                self.error(
                    Code::BadColor,
                    self.span(color.span()),
                    format!("the colour of grade `{}` is not `#rrggbb`: `{shown}{more}`", gg.id.get_ref()),
                )
                .help = Some("write `#` and six hex digits, such as `#1f6feb`; nothing else is accepted".into());
            }
            let (lower, upper) = bands::bounds_of(self, gg);
            if gg.override_only && (lower.is_some() || upper.is_some()) {
                self.error(
                    Code::EmptyBand,
                    span,
                    format!("grade `{}` is override-only, so it takes no band bounds", gg.id.get_ref()),
                )
                .help = Some("remove `min`/`above`/`max`/`below`, or `override_only`".into());
            }
            out.push(Grade {
                id: Arc::from(gg.id.get_ref().as_str()),
                label: label_of(&gg.label),
                color: gg.color.as_ref().map(|c| Arc::from(c.get_ref().as_str())),
                lower,
                upper,
                override_only: gg.override_only,
            });
            spans.push(span);
        }
        if out.is_empty() {
            self.diags.push(
                Diagnostic::error(Code::MissingTable, Some(self.span(0..0)), "the rule set has no grades")
                    .with_help("add [[grades]] tables, best grade first"),
            );
            return out;
        }
        // Override-only grades have no band; the others must cover the score range.
        let banded: Vec<Grade> = out.iter().filter(|g| !g.override_only).cloned().collect();
        let banded_spans: Vec<Span> =
            out.iter().zip(&spans).filter(|(g, _)| !g.override_only).map(|(_, s)| *s).collect();
        if banded.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    Code::BandsShort,
                    Some(spans[0]),
                    "every grade is override-only: no grade holds a score",
                )
                .with_help("give at least one grade a band"),
            );
            return out;
        }
        bands::check_coverage(self, &banded, &banded_spans, score.0.min, score.0.max);
        out
    }

    fn grade_ref(&mut self, g: &SString, grades: &[Grade]) -> Option<u32> {
        match grades.iter().position(|x| *x.id == **g.get_ref()) {
            Some(i) => Some(i as u32),
            None => {
                let hint = did_you_mean(g.get_ref(), grades.iter().map(|x| &*x.id));
                let ids: Vec<&str> = grades.iter().map(|x| &*x.id).collect();
                self.error(Code::UnknownName, self.span(g.span()), format!("unknown grade `{}`", g.get_ref())).help =
                    Some(
                        hint.map_or_else(|| format!("grades: {}", ids.join(", ")), |h| format!("did you mean `{h}`?")),
                    );
                None
            }
        }
    }

    fn overrides(&mut self, d: &Document, grades: &[Grade]) -> Vec<(Override, Deps)> {
        let mut out = Vec::new();
        let mut ids = BTreeSet::new();
        for o in &d.overrides {
            let oo = o.get_ref();
            let span = self.span(oo.id.span());
            if !name_ok(oo.id.get_ref()) {
                self.error(Code::BadName, span, format!("`{}` is not a valid override id", oo.id.get_ref())).help =
                    Some("ids start with a letter and use letters, digits and `_`".into());
            }
            if !ids.insert(oo.id.get_ref().clone()) {
                self.error(Code::DefinedTwice, span, format!("override id `{}` is used twice", oo.id.get_ref()));
            }
            let mut deps = Deps::default();
            let when = match self.tree_of(&oo.when) {
                Some(e) => self.lower_as(e, Ty::Bool, &mut Scope::new(Ctx::Firm), &mut deps),
                None => Node::Fail(Arc::from("not checked")),
            };
            let n_actions = [oo.force.is_some(), oo.ceiling.is_some(), oo.floor.is_some(), oo.down.is_some()]
                .iter()
                .filter(|b| **b)
                .count();
            if n_actions != 1 {
                self.error(
                    Code::OverrideAction,
                    span,
                    format!("override `{}` needs exactly one of force, ceiling, floor, down", oo.id.get_ref()),
                );
                continue;
            }
            let action = if let Some(g) = &oo.force {
                self.grade_ref(g, grades).map(OverrideAction::Force)
            } else if let Some(g) = &oo.ceiling {
                self.grade_ref(g, grades).map(OverrideAction::Ceiling)
            } else if let Some(g) = &oo.floor {
                self.grade_ref(g, grades).map(OverrideAction::Floor)
            } else {
                oo.down.as_ref().map(|n| OverrideAction::Down(*n.get_ref()))
            };
            let Some(action) = action else { continue };
            out.push((
                Override {
                    id: Arc::from(oo.id.get_ref().as_str()),
                    when,
                    action,
                    reason: label_of(&oo.reason),
                    cite: oo.cite.as_deref().map(Arc::from),
                    input_deps: Vec::new(),
                },
                deps,
            ));
        }
        out
    }

    fn lint_unused_inputs(&mut self, d: &Document) {
        for (name, input) in &d.inputs {
            let Some(&i) = self.input_index.get(name.get_ref().as_str()) else { continue };
            if !self.used_inputs.contains(&i) && input.get_ref().from.is_none() {
                self.diags.push(
                    Diagnostic::warning(
                        Code::UnusedInput,
                        Some(self.span(name.span())),
                        format!("input `{}` is never used", name.get_ref()),
                    )
                    .with_help("remove it, or use it in an item, a derived value or an override"),
                );
            }
        }
    }

    /// `fixable = false` on an item whose points are a constant that moves
    /// the score toward the better grades: the next-grade plan removes only
    /// items that cost points, so the mark says nothing (W0003).
    fn lint_unfixable_bonuses(&mut self, d: &Document, items: &[(Item, Deps)], grades: &[Grade]) {
        let banded: Vec<Grade> = grades.iter().filter(|g| !g.override_only).cloned().collect();
        let higher_is_better = bands::higher_is_better(&banded);
        for (written, (item, _)) in d.items.iter().zip(items) {
            let Some(Node::Const(Value::Num(p))) = &item.points else { continue };
            let bonus = !p.is_zero() && p.is_sign_positive() == higher_is_better;
            if bonus && !item.fixable {
                self.diags.push(
                    Diagnostic::warning(
                        Code::FixableBonus,
                        Some(self.span(written.get_ref().id.span())),
                        format!("item `{}` always improves the score, so `fixable = false` has no effect", item.id),
                    )
                    .with_help("the next-grade plan removes only items that cost points; remove `fixable = false`"),
                );
            }
        }
    }
}

fn c_span(v: &Option<SValue>) -> std::ops::Range<usize> {
    v.as_ref().map_or(0..0, |v| v.span())
}
