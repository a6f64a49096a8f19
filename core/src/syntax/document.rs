//! The rule file as written: TOML deserialized into plain structs with spans.
//!
//! Nothing here is checked beyond the TOML shape (unknown keys are errors).
//! Each expression keeps the value as written and, once `parse_document`
//! has run, its tree or why it does not parse ([`SExpr`]); the `compile`
//! stage checks the trees. Map order is the file's order, so question
//! groups and items keep the order their authors gave them.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
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

impl<'de> Deserialize<'de> for SExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SExpr, D::Error> {
        Ok(SExpr { value: SValue::deserialize(d)?, tree: None })
    }
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    pub(crate) ruleset: Option<Spanned<Meta>>,
    pub(crate) scheme: Option<Spanned<SchemeMeta>>,
    #[serde(default)]
    pub(crate) steps: Vec<Spanned<Step>>,
    #[serde(default)]
    pub(crate) groups: IndexMap<SString, Group>,
    #[serde(default)]
    pub(crate) inputs: IndexMap<SString, Spanned<Input>>,
    #[serde(default)]
    pub(crate) lists: IndexMap<SString, Spanned<List>>,
    #[serde(default)]
    pub(crate) tables: IndexMap<SString, Spanned<Table>>,
    #[serde(default)]
    pub(crate) functions: IndexMap<SString, Spanned<Function>>,
    #[serde(default)]
    pub(crate) derived: IndexMap<SString, SExpr>,
    #[serde(default)]
    pub(crate) items: Vec<Spanned<Item>>,
    #[serde(default)]
    pub(crate) score_groups: IndexMap<SString, Spanned<ScoreGroup>>,
    pub(crate) score: Option<Spanned<Score>>,
    #[serde(default)]
    pub(crate) grades: Vec<Spanned<Grade>>,
    #[serde(default)]
    pub(crate) overrides: Vec<Spanned<Override>>,
    #[serde(default)]
    pub(crate) results: Option<Spanned<Results>>,
    #[serde(default)]
    pub(crate) tests: Vec<Spanned<Test>>,
}

/// Text people read: Chinese, optionally with English.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Text {
    Plain(String),
    Translated {
        zh: String,
        #[serde(default)]
        en: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Meta {
    pub(crate) id: SString,
    pub(crate) name: Text,
    pub(crate) version: SString,
    #[serde(default)]
    pub(crate) kind: Option<SString>,
    #[serde(default)]
    pub(crate) effective_from: Option<toml::Spanned<toml::value::Datetime>>,
    #[serde(default)]
    pub(crate) effective_to: Option<toml::Spanned<toml::value::Datetime>>,
    #[serde(default)]
    pub(crate) sources: Vec<String>,
    #[serde(default)]
    pub(crate) notes: Option<String>,
    #[serde(default)]
    pub(crate) include: Vec<SString>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemeMeta {
    pub(crate) id: SString,
    pub(crate) name: Text,
    pub(crate) version: SString,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Step {
    #[serde(rename = "as")]
    pub(crate) alias: SString,
    pub(crate) rules: SString,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Group {
    pub(crate) label: Text,
    #[serde(default)]
    pub(crate) help: Option<Text>,
}

/// An input or a list field: both are typed values with a label.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Input {
    #[serde(rename = "type")]
    pub(crate) ty: SString,
    #[serde(default)]
    pub(crate) label: Option<Text>,
    #[serde(default)]
    pub(crate) help: Option<Text>,
    #[serde(default)]
    pub(crate) group: Option<SString>,
    #[serde(default)]
    pub(crate) min: Option<SValue>,
    #[serde(default)]
    pub(crate) max: Option<SValue>,
    #[serde(default)]
    pub(crate) allowed: Option<Spanned<Vec<SValue>>>,
    #[serde(default)]
    pub(crate) max_len: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) options: Vec<Spanned<EnumOption>>,
    #[serde(default)]
    pub(crate) missing: Option<SValue>,
    #[serde(default)]
    pub(crate) from: Option<SString>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EnumOption {
    pub(crate) id: SString,
    pub(crate) label: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct List {
    #[serde(default)]
    pub(crate) label: Option<Text>,
    #[serde(default)]
    pub(crate) help: Option<Text>,
    #[serde(default)]
    pub(crate) group: Option<SString>,
    #[serde(default)]
    pub(crate) max_records: Option<Spanned<u32>>,
    #[serde(default)]
    pub(crate) fields: IndexMap<SString, Spanned<Input>>,
    #[serde(default)]
    pub(crate) derived: IndexMap<SString, SExpr>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Table {
    pub(crate) key: SString,
    pub(crate) columns: IndexMap<SString, SString>,
    #[serde(default)]
    /// Each row's cells by column (and `key`), each with its span.
    pub(crate) rows: Vec<Spanned<IndexMap<String, SValue>>>,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Function {
    #[serde(default)]
    pub(crate) params: IndexMap<SString, SString>,
    pub(crate) returns: SString,
    pub(crate) body: SExpr,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Item {
    pub(crate) id: SString,
    #[serde(default)]
    pub(crate) group: Option<SString>,
    pub(crate) label: Text,
    #[serde(default)]
    pub(crate) when: Option<SExpr>,
    #[serde(default)]
    pub(crate) points: Option<SExpr>,
    #[serde(default)]
    pub(crate) cap: Option<SValue>,
    #[serde(default)]
    pub(crate) min: Option<SValue>,
    #[serde(default)]
    pub(crate) max: Option<SValue>,
    #[serde(default)]
    pub(crate) cite: Option<String>,
    #[serde(default)]
    pub(crate) advice: Option<Text>,
    /// Whether the firm can remove the item by acting now (default true);
    /// `false` for what describes the past or the firm's nature.
    #[serde(default)]
    pub(crate) fixable: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScoreGroup {
    #[serde(default)]
    pub(crate) label: Option<Text>,
    #[serde(default)]
    pub(crate) cap: Option<SValue>,
    #[serde(default)]
    pub(crate) min: Option<SValue>,
    #[serde(default)]
    pub(crate) max: Option<SValue>,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Score {
    pub(crate) base: SExpr,
    #[serde(default)]
    pub(crate) min: Option<SValue>,
    #[serde(default)]
    pub(crate) max: Option<SValue>,
    #[serde(default)]
    pub(crate) round: Option<Spanned<Round>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Round {
    pub(crate) places: Spanned<u32>,
    pub(crate) mode: SString,
    pub(crate) at: SString,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Grade {
    pub(crate) id: SString,
    pub(crate) label: Text,
    #[serde(default)]
    pub(crate) color: Option<SString>,
    #[serde(default)]
    pub(crate) min: Option<SValue>,
    #[serde(default)]
    pub(crate) above: Option<SValue>,
    #[serde(default)]
    pub(crate) max: Option<SValue>,
    #[serde(default)]
    pub(crate) below: Option<SValue>,
    #[serde(default)]
    pub(crate) override_only: bool,
    #[serde(default)]
    #[expect(dead_code, reason = "documentation for readers of the rule file; evaluation does not need it")]
    pub(crate) cite: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Override {
    pub(crate) id: SString,
    pub(crate) when: SExpr,
    #[serde(default)]
    pub(crate) force: Option<SString>,
    #[serde(default)]
    pub(crate) ceiling: Option<SString>,
    #[serde(default)]
    pub(crate) floor: Option<SString>,
    #[serde(default)]
    pub(crate) down: Option<Spanned<u32>>,
    pub(crate) reason: Text,
    #[serde(default)]
    pub(crate) cite: Option<String>,
}

/// `[results]`: the derived values batch scoring writes beside the score
/// and grade, and the grades at which those columns are left blank.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Results {
    pub(crate) columns: Vec<SString>,
    #[serde(default)]
    pub(crate) blank_when_grade: Vec<SString>,
    /// Column titles for people (a workbook's header), by column.
    #[serde(default)]
    pub(crate) labels: IndexMap<SString, Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Test {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) as_of: Option<toml::value::Datetime>,
    #[serde(default)]
    pub(crate) input: toml::Table,
    pub(crate) expect: Spanned<Expect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    #[serde(default)]
    pub(crate) grade: Option<String>,
    #[serde(default)]
    pub(crate) score: Option<toml::Value>,
    #[serde(default)]
    pub(crate) fired: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) overrides: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) values: Option<toml::Table>,
    #[serde(default)]
    pub(crate) missing: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) error: Option<String>,
    #[serde(default)]
    pub(crate) needs: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) unfixable: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) steps: Option<toml::Table>,
}
