//! The rule file as written: TOML read into plain structs with spans
//! (by [`read`](super::read)).
//!
//! Nothing here is checked beyond the TOML shape (unknown keys are errors).
//! Each expression keeps the value as written and, once `parse_document`
//! has run, its tree or why it does not parse ([`SExpr`]); the `compile`
//! stage checks the trees. Map order is the file's order, so question
//! groups and items keep the order their authors gave them.

use indexmap::IndexMap;
use toml::Spanned;

use super::expr::Expr;
use crate::diagnostic::Diagnostic;

/// A TOML value with its byte range in the file.
pub(crate) type SValue = Spanned<toml::Value>;
/// A string with its byte range in the file.
pub(crate) type SString = Spanned<String>;

/// An expression: the TOML value as written (a string, or a number or
/// boolean literal) and its tree, or why it does not parse.
#[derive(Debug)]
pub(crate) struct SExpr {
    pub(crate) value: SValue,
    /// Set for every expression by `parse_document` before it returns.
    pub(crate) tree: Option<Result<Expr, Diagnostic>>,
}

impl SExpr {
    /// The byte range of the value in its file.
    pub(crate) fn span(&self) -> std::ops::Range<usize> {
        self.value.span()
    }
}

impl Document {
    /// Whether the file holds anything only a rule set may hold: a scheme
    /// file holds only `[scheme]`, `[[steps]]` and `[[tests]]`.
    pub(crate) fn has_rule_set_parts(&self) -> bool {
        self.ruleset.is_some()
            || !self.groups.is_empty()
            || !self.inputs.is_empty()
            || !self.lists.is_empty()
            || !self.tables.is_empty()
            || !self.functions.is_empty()
            || !self.derived.is_empty()
            || !self.items.is_empty()
            || !self.score_groups.is_empty()
            || self.score.is_some()
            || !self.grades.is_empty()
            || !self.overrides.is_empty()
            || self.results.is_some()
    }

    /// Every expression of the file, for the parse stage to parse.
    pub(crate) fn expressions_mut(&mut self) -> impl Iterator<Item = &mut SExpr> {
        let lists = self.lists.values_mut().flat_map(|l| l.get_mut().derived.values_mut());
        let functions = self.functions.values_mut().map(|f| &mut f.get_mut().body);
        let items = self.items.iter_mut().flat_map(|i| {
            let i = i.get_mut();
            i.when.iter_mut().chain(i.points.iter_mut())
        });
        let score = self.score.iter_mut().map(|s| &mut s.get_mut().base);
        let overrides = self.overrides.iter_mut().map(|o| &mut o.get_mut().when);
        (self.derived.values_mut()).chain(lists).chain(functions).chain(items).chain(score).chain(overrides)
    }
}

/// A whole rule file: a rule set, or a scheme chaining rule sets.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) ruleset: Option<Spanned<Meta>>,
    pub(crate) scheme: Option<Spanned<SchemeMeta>>,
    pub(crate) steps: Vec<Spanned<Step>>,
    pub(crate) groups: IndexMap<SString, Group>,
    pub(crate) inputs: IndexMap<SString, Spanned<Input>>,
    pub(crate) lists: IndexMap<SString, Spanned<List>>,
    pub(crate) tables: IndexMap<SString, Spanned<Table>>,
    pub(crate) functions: IndexMap<SString, Spanned<Function>>,
    pub(crate) derived: IndexMap<SString, SExpr>,
    pub(crate) items: Vec<Spanned<Item>>,
    pub(crate) score_groups: IndexMap<SString, Spanned<ScoreGroup>>,
    pub(crate) score: Option<Spanned<Score>>,
    pub(crate) grades: Vec<Spanned<Grade>>,
    pub(crate) overrides: Vec<Spanned<Override>>,
    pub(crate) results: Option<Spanned<Results>>,
    pub(crate) tests: Vec<Spanned<Test>>,
}

/// Text people read: Chinese, optionally with English.
#[derive(Debug, Clone)]
pub(crate) enum Text {
    Plain(String),
    Translated { zh: String, en: Option<String> },
}

#[derive(Debug)]
pub(crate) struct Meta {
    pub(crate) id: SString,
    pub(crate) name: Text,
    pub(crate) version: SString,
    pub(crate) kind: Option<SString>,
    pub(crate) effective_from: Option<toml::Spanned<toml::value::Datetime>>,
    pub(crate) effective_to: Option<toml::Spanned<toml::value::Datetime>>,
    pub(crate) sources: Vec<String>,
    pub(crate) notes: Option<String>,
    pub(crate) include: Vec<SString>,
}

#[derive(Debug)]
pub(crate) struct SchemeMeta {
    pub(crate) id: SString,
    pub(crate) name: Text,
    pub(crate) version: SString,
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) notes: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Step {
    pub(crate) alias: SString,
    pub(crate) rules: SString,
}

#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) label: Text,
    pub(crate) help: Option<Text>,
}

/// An input or a list field: both are typed values with a label.
#[derive(Debug)]
pub(crate) struct Input {
    pub(crate) ty: SString,
    pub(crate) label: Option<Text>,
    pub(crate) help: Option<Text>,
    pub(crate) group: Option<SString>,
    pub(crate) min: Option<SValue>,
    pub(crate) max: Option<SValue>,
    pub(crate) allowed: Option<Spanned<Vec<SValue>>>,
    pub(crate) max_len: Option<Spanned<u32>>,
    pub(crate) options: Vec<Spanned<EnumOption>>,
    pub(crate) missing: Option<SValue>,
    pub(crate) from: Option<SString>,
}

#[derive(Debug)]
pub(crate) struct EnumOption {
    pub(crate) id: SString,
    pub(crate) label: Text,
}

#[derive(Debug)]
pub(crate) struct List {
    pub(crate) label: Option<Text>,
    pub(crate) help: Option<Text>,
    pub(crate) group: Option<SString>,
    pub(crate) max_records: Option<Spanned<u32>>,
    pub(crate) fields: IndexMap<SString, Spanned<Input>>,
    pub(crate) derived: IndexMap<SString, SExpr>,
}

#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) key: SString,
    pub(crate) columns: IndexMap<SString, SString>,
    /// Each row's cells by column (and `key`), each with its span.
    pub(crate) rows: Vec<Spanned<IndexMap<String, SValue>>>,
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Function {
    pub(crate) params: IndexMap<SString, SString>,
    pub(crate) returns: SString,
    pub(crate) body: SExpr,
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) id: SString,
    pub(crate) group: Option<SString>,
    pub(crate) label: Text,
    pub(crate) when: Option<SExpr>,
    pub(crate) points: Option<SExpr>,
    pub(crate) cap: Option<SValue>,
    pub(crate) min: Option<SValue>,
    pub(crate) max: Option<SValue>,
    pub(crate) cite: Option<String>,
    pub(crate) advice: Option<Text>,
    /// Whether the firm can remove the item by acting now (default true);
    /// `false` for what describes the past or the firm's nature.
    pub(crate) fixable: Option<bool>,
}

#[derive(Debug)]
pub(crate) struct ScoreGroup {
    pub(crate) label: Option<Text>,
    pub(crate) cap: Option<SValue>,
    pub(crate) min: Option<SValue>,
    pub(crate) max: Option<SValue>,
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Score {
    pub(crate) base: SExpr,
    pub(crate) min: Option<SValue>,
    pub(crate) max: Option<SValue>,
    pub(crate) round: Option<Spanned<Round>>,
}

#[derive(Debug)]
pub(crate) struct Round {
    pub(crate) places: Spanned<u32>,
    pub(crate) mode: SString,
    pub(crate) at: SString,
}

#[derive(Debug)]
pub(crate) struct Grade {
    pub(crate) id: SString,
    pub(crate) label: Text,
    pub(crate) color: Option<SString>,
    pub(crate) min: Option<SValue>,
    pub(crate) above: Option<SValue>,
    pub(crate) max: Option<SValue>,
    pub(crate) below: Option<SValue>,
    pub(crate) override_only: bool,
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Override {
    pub(crate) id: SString,
    pub(crate) when: SExpr,
    pub(crate) force: Option<SString>,
    pub(crate) ceiling: Option<SString>,
    pub(crate) floor: Option<SString>,
    pub(crate) down: Option<Spanned<u32>>,
    pub(crate) reason: Text,
    pub(crate) cite: Option<String>,
}

/// `[results]`: the derived values batch scoring writes beside the score
/// and grade, and the grades at which those columns are left blank.
#[derive(Debug)]
pub(crate) struct Results {
    pub(crate) columns: Vec<SString>,
    pub(crate) blank_when_grade: Vec<SString>,
    /// Column titles for people (a workbook's header), by column.
    pub(crate) labels: IndexMap<SString, Text>,
}

#[derive(Debug)]
pub(crate) struct Test {
    pub(crate) name: String,
    pub(crate) as_of: Option<toml::value::Datetime>,
    pub(crate) input: toml::Table,
    pub(crate) expect: Spanned<Expect>,
}

#[derive(Debug)]
pub(crate) struct Expect {
    pub(crate) grade: Option<String>,
    pub(crate) score: Option<toml::Value>,
    pub(crate) fired: Option<Vec<String>>,
    pub(crate) overrides: Option<Vec<String>>,
    pub(crate) values: Option<toml::Table>,
    pub(crate) missing: Option<Vec<String>>,
    pub(crate) error: Option<String>,
    pub(crate) needs: Option<Vec<String>>,
    pub(crate) unfixable: Option<Vec<String>>,
    pub(crate) steps: Option<toml::Table>,
}
