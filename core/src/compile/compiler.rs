//! The check stage's state while it walks one rule file: what is declared
//! so far (inputs, lists, tables, functions, derived values), how far each
//! derived value is lowered, what each reads, and the diagnostics found.
//! Each concern of the checker adds its methods in its own file (`lower`,
//! `whole`, `budget`, `bands`); `mod.rs` drives them.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, FileId, SourceMap, Span};
use crate::plan::{EnumDef, Field, ListDef, Names, Node, TableDef, Ty};
use crate::syntax::document::SExpr;

/// How far a derived value is lowered.
#[derive(Clone, Debug)]
pub(super) enum State {
    Pending,
    InProgress,
    Done(Ty),
}

/// What an expression reads.
#[derive(Default, Debug)]
pub(crate) struct Deps {
    pub(crate) inputs: BTreeSet<u32>,
    pub(crate) derived: BTreeSet<u32>,
    pub(crate) lists: BTreeSet<u32>,
    /// Lists whose per-record derived values are read inside an aggregate.
    pub(crate) derived_lists: BTreeSet<u32>,
}
/// The checker's state (see the module comment).
pub(crate) struct Compiler<'a> {
    pub(super) sources: &'a SourceMap,
    pub(super) file: FileId,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) enums: Vec<EnumDef>,
    /// The texts the rules hold as values, interned as they are read.
    pub(super) names: Names,
    pub(super) inputs: Vec<Field>,
    pub(super) input_index: HashMap<Arc<str>, u32>,
    pub(super) used_inputs: BTreeSet<u32>,
    pub(super) derived_src: Vec<(Arc<str>, FileId, &'a SExpr)>,
    pub(super) derived_state: Vec<State>,
    pub(super) derived_nodes: Vec<Option<(Node, Deps)>>,
    pub(super) derived_eval_order: Vec<u32>,
    pub(super) derived_index: HashMap<Arc<str>, u32>,
    pub(super) lists: Vec<ListDef>,
    pub(super) list_derived_src: Vec<Vec<&'a SExpr>>,
    pub(super) list_derived_state: Vec<Vec<State>>,
    /// Inputs each per-record value reads: itself, through the per-record
    /// values it uses and inside the aggregates it holds.
    pub(super) list_derived_inputs: Vec<Vec<BTreeSet<u32>>>,
    /// Lists aggregated inside each list's per-record values.
    pub(super) list_list_deps: Vec<BTreeSet<u32>>,
    pub(super) list_index: IndexMap<Arc<str>, u32>,
    pub(super) tables: Vec<TableDef>,
    pub(super) table_index: IndexMap<Arc<str>, u32>,
    pub(super) function_index: IndexMap<Arc<str>, u32>,
    pub(super) function_params: Vec<Vec<(Arc<str>, Ty)>>,
    pub(super) function_returns: Vec<Ty>,
    pub(super) function_calls: Vec<(u32, u32)>,
    /// For each function, which parameters and whether the result are declared `integer`.
    pub(super) function_whole: Vec<(Vec<bool>, bool)>,
    /// Whether each derived value, and each list's per-record value, is a whole number.
    pub(super) derived_whole: Vec<bool>,
    pub(super) list_derived_whole: Vec<Vec<bool>>,
    pub(super) defined: HashMap<Arc<str>, Span>,
    /// How many derived values are being lowered inside each other right now.
    pub(super) nesting: usize,
}
