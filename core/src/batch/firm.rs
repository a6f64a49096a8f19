//! The per-firm work, run in parallel: cells to values, the steps evaluated
//! in order (later steps reading earlier results), the output row, and
//! the rejects of a firm that cannot be scored, with its list rows.
//!
//! Everything here depends on one firm's rows only, so the result is the
//! same whatever thread or chunk it runs in, and whichever reader joined
//! the rows: the CSV pipeline and [`Scorer`](super::Scorer) both score here.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::eval::{self, Chain, Outcome, Source, StepFailure};
use crate::input::{self, Firm, RecordList, INLINE_LISTS};
use crate::plan::Plan;
use crate::value::Value;

use super::check::field_count_problem;
use super::chunk::Job;
use super::config::{BatchConfig, OutputFormat};
use super::error::BatchError;
use super::layout::{FirmLayout, ListLayout};
use super::packed::{Packed, RowAt};
use super::reject::{Reject, RejectReason};
use super::result::StepResult;
use super::step::Step;
use super::write;

/// One side of a run: the steps and the as-of date (a compare run has two).
pub(crate) struct Side {
    pub(crate) steps: Vec<Step>,
    /// The steps ready to run.
    chain: Chain,
    pub(crate) as_of: NaiveDate,
    /// Per step, per list of its plan: the list source that fills it.
    step_lists: Vec<Vec<Option<usize>>>,
    /// Per list source: how the names its records were read with read in
    /// this side's rules, when they number texts differently (the two
    /// rule versions of a compare run); `None` when they are the same table.
    renames: Vec<Option<Box<[Value]>>>,
}

impl Side {
    /// The records of each list source as this side's rules read them.
    fn renamed<'p>(&self, parsed: &'p [RecordList]) -> Cow<'p, [RecordList]> {
        if self.renames.iter().all(Option::is_none) {
            return Cow::Borrowed(parsed);
        }
        let renamed = parsed.iter().zip(&self.renames).map(|(recs, rename)| match rename {
            None => recs.clone(),
            Some(table) => {
                let value = |v: &Value| match v {
                    Value::Name(i) => table[*i as usize].clone(),
                    other => other.clone(),
                };
                recs.iter().map(|r| r.iter().map(value).collect()).collect()
            }
        });
        Cow::Owned(renamed.collect())
    }
}

/// Everything the per-firm work reads; shared by every thread.
pub(crate) struct Ctx {
    pub(crate) sides: Vec<Side>,
    pub(crate) firm: FirmLayout,
    pub(crate) lists: Vec<ListLayout>,
    pub(crate) explain: bool,
    pub(crate) format: OutputFormat,
    /// Per step of side 0: the derived values its rules declare as result
    /// columns, with their index in the plan's derived values.
    pub(crate) values: Vec<Vec<(String, usize)>>,
    /// Columns counted by in the summary.
    pub(crate) breakdown: Vec<usize>,
    /// Compare runs: (alias, old step, new step) pairs.
    pub(crate) pairs: Vec<(String, usize, usize)>,
    /// An empty list, shared by every firm without records in a list (an
    /// `Arc` of no records is still an allocation).
    no_records: RecordList,
}

/// What one job gave, besides its result row.
#[derive(Default)]
pub(crate) struct Done {
    pub(crate) rejects: Vec<Reject>,
    pub(crate) scored: Option<Scored>,
}

thread_local! {
    /// Each thread's buffers for reading firms, kept from firm to firm.
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// What a thread reuses from firm to firm: per side, per step, the firm as
/// that step reads it. Its buffers are refilled, not allocated anew.
#[derive(Default)]
struct Scratch {
    firms: Vec<Vec<Firm>>,
}

impl Scratch {
    /// A firm per step of each side (its slots hold an earlier firm's values).
    fn firms(&mut self, sides: &[Side]) -> &mut [Vec<Firm>] {
        let empty = || Firm { inputs: Vec::new(), lists: SmallVec::new(), missing: Vec::new() };
        self.firms.resize_with(sides.len(), Vec::new);
        for (firms, side) in self.firms.iter_mut().zip(sides) {
            firms.resize_with(side.steps.len(), empty);
        }
        &mut self.firms
    }

    /// Lets go of the list records the firms share.
    fn release(&mut self) {
        self.firms.iter_mut().flatten().for_each(|f| f.lists.clear());
    }
}

/// A scored firm, for the summary.
#[derive(Clone)]
pub(crate) struct Scored {
    /// Per side, per step: the grade index.
    pub(crate) grades: SmallVec<[SmallVec<[u16; 8]>; 2]>,
    /// (side, step, item index) of every item that fired.
    pub(crate) fired: Vec<(u8, u32, u32)>,
    /// The breakdown columns' values.
    pub(crate) by: Vec<Box<str>>,
    /// Per list source: the records attached.
    pub(crate) attached: SmallVec<[u32; INLINE_LISTS]>,
}

/// A firm to score: its row, its key (read and normalised), and per list
/// source its list rows, all in `rows`.
#[derive(Clone, Copy)]
pub(crate) struct FirmCells<'a> {
    pub(crate) row: RowAt,
    pub(crate) key: &'a str,
    pub(crate) lists: &'a [&'a [RowAt]],
    pub(crate) rows: &'a Packed,
}

/// A problem with one cell.
struct CellError {
    col: Option<usize>,
    reason: RejectReason,
    message: String,
}

/// Pairs the steps of two sides by alias (a lone rule set pairs with a lone rule set).
pub(crate) fn pairs(old: &[Step], new: &[Step]) -> Vec<(String, usize, usize)> {
    if let ([o], [n]) = (old, new) {
        let alias = if o.alias == n.alias { o.alias.clone() } else { String::new() };
        return vec![(alias, 0, 0)];
    }
    old.iter()
        .enumerate()
        .filter_map(|(i, o)| new.iter().position(|n| n.alias == o.alias).map(|j| (o.alias.clone(), i, j)))
        .collect()
}

/// The bytes first set aside for a firm's output row.
pub(crate) const OUT_ROW_BYTES: usize = 256;

impl Ctx {
    pub(crate) fn new(
        sides: Vec<(Vec<Step>, NaiveDate)>,
        cfg: &BatchConfig,
        firm: FirmLayout,
        lists: Vec<ListLayout>,
    ) -> Ctx {
        let pairs = if sides.len() == 2 { pairs(&sides[0].0, &sides[1].0) } else { Vec::new() };
        let sides: Vec<Side> = sides
            .into_iter()
            .map(|(steps, as_of)| {
                let step_lists = steps
                    .iter()
                    .map(|s| s.rules.plan.lists.iter().map(|l| lists.iter().position(|x| *x.name == *l.name)).collect())
                    .collect();
                let chain = Chain::new(steps.iter().map(|s| (s.rules.program.clone(), s.fills.clone())));
                // The steps of a side share one table of names.
                let names = steps.first().map(|s| &s.rules.plan.names);
                let renames = (lists.iter())
                    .map(|l| match names {
                        Some(names) if !Arc::ptr_eq(names, &l.plan.names) => Some(l.plan.names.renumbered(names)),
                        _ => None,
                    })
                    .collect();
                Side { steps, chain, as_of, step_lists, renames }
            })
            .collect();
        let values = sides[0]
            .steps
            .iter()
            .map(|s| {
                let plan = &s.rules.plan;
                let value = |i: u32| (plan.derived[i as usize].name.to_string(), i as usize);
                plan.results.values.iter().map(|&i| value(i)).collect()
            })
            .collect();
        let breakdown = cfg.breakdown.iter().filter_map(|b| firm.headers.iter().position(|h| h == b)).collect();
        Ctx {
            sides,
            firm,
            lists,
            explain: cfg.explain,
            format: cfg.format,
            values,
            breakdown,
            pairs,
            no_records: Arc::from(Vec::new()),
        }
    }

    fn prefix(alias: &str) -> String {
        if alias.is_empty() {
            String::new()
        } else {
            format!("{alias}_")
        }
    }

    /// The results written after the key and the carried columns, as
    /// (step alias, name): in CSV the column `alias_name` (`name` for a
    /// step with no alias), in JSON lines the field `name` of the step's
    /// object `alias` (at the top for no alias).
    fn result_columns(&self) -> Vec<(&str, &str)> {
        let mut cols = Vec::new();
        if self.pairs.is_empty() {
            for (s, step) in self.sides[0].steps.iter().enumerate() {
                let alias = step.alias.as_str();
                cols.push((alias, "score"));
                cols.push((alias, "grade"));
                cols.extend(self.values[s].iter().map(|(v, _)| (alias, v.as_str())));
                if self.explain {
                    cols.push((alias, "items"));
                    cols.push((alias, "overrides"));
                }
            }
        } else {
            for (alias, _, _) in &self.pairs {
                for c in ["old_grade", "new_grade", "old_score", "new_score", "changes"] {
                    cols.push((alias.as_str(), c));
                }
            }
        }
        cols
    }

    /// Refuses a carried column (or the key column) named like a result: in
    /// CSV it would stand beside a column of the same name, in JSON lines
    /// replace a field (a step's whole results, for a step's alias) or be
    /// replaced by it.
    pub(crate) fn check_carried(&self) -> Result<(), BatchError> {
        let mut written: HashMap<String, String> = HashMap::new();
        for (alias, name) in self.result_columns() {
            let (top, what) = match self.format {
                OutputFormat::Csv | OutputFormat::Cells if alias.is_empty() => {
                    (name.to_string(), format!("a column `{name}`"))
                }
                OutputFormat::Csv | OutputFormat::Cells => {
                    let column = format!("{}{name}", Self::prefix(alias));
                    let what = format!("a column `{column}` (step `{alias}`'s `{name}`)");
                    (column, what)
                }
                OutputFormat::JsonLines if alias.is_empty() => (name.to_string(), format!("a field `{name}`")),
                OutputFormat::JsonLines => {
                    (alias.to_string(), format!("a field `{alias}` holding the results of step `{alias}`"))
                }
            };
            written.entry(top).or_insert(what);
        }
        let key = ("key column", "rename the column", &self.firm.key_name);
        let carried = self
            .firm
            .carry
            .iter()
            .map(|&c| ("carried column", "rename the column, or do not carry it", &self.firm.headers[c]));
        for (role, advice, name) in std::iter::once(key).chain(carried) {
            if let Some(what) = written.get(name) {
                return Err(BatchError::new(
                    &self.firm.file,
                    Some(self.firm.header_line),
                    format!("{role} `{name}`: the results have {what}; {advice}"),
                ));
            }
        }
        Ok(())
    }

    /// The results' column names, in order: the key, the carried columns,
    /// then each step's columns (prefixed with its alias in a scheme).
    pub(crate) fn column_names(&self) -> Vec<String> {
        let mut cols: Vec<String> = vec![self.firm.key_name.clone()];
        cols.extend(self.firm.carry.iter().map(|&c| self.firm.headers[c].clone()));
        cols.extend(self.result_columns().into_iter().map(|(alias, name)| format!("{}{name}", Self::prefix(alias))));
        cols
    }

    /// The header: a CSV line, or the names as cells; nothing for JSON lines.
    pub(crate) fn write_header(&self, buf: &mut Vec<u8>) {
        match self.format {
            OutputFormat::JsonLines => {}
            OutputFormat::Csv => {
                for c in &self.column_names() {
                    write::csv_field(buf, c);
                }
                write::end_row(buf);
            }
            OutputFormat::Cells => {
                for c in &self.column_names() {
                    write::cell(buf, c);
                }
            }
        }
    }

    /// Does one job.
    /// Does one job, its result row (if scored) appended to `out`.
    pub(crate) fn run(&self, job: &Job, rows: &Packed, out: &mut Vec<u8>) -> Done {
        match &job.firm {
            None => Done::default(),
            Some(Err(r)) => Done { rejects: vec![r.clone()], ..Done::default() },
            Some(Ok(firm)) => {
                let lists: SmallVec<[&[RowAt]; INLINE_LISTS]> = firm.lists.iter().map(|l| rows.list_rows(l)).collect();
                self.score_row(FirmCells { row: firm.row, key: rows.text(firm.key), lists: &lists, rows }, None, out)
            }
        }
    }

    /// Scores a firm whose key is read and whose list rows are within
    /// their limits, its result row appended to `out`; with `detail`, also
    /// gives each step's result (side 0).
    pub(crate) fn score_row(
        &self,
        firm: FirmCells<'_>,
        detail: Option<&mut Vec<StepResult>>,
        out: &mut Vec<u8>,
    ) -> Done {
        SCRATCH.with(|cell| {
            // Taken, not borrowed: were it ever in use already, this firm
            // would start from empty buffers rather than panic.
            let mut scratch = cell.take();
            let done = self.score_in(&mut scratch, firm, detail, out);
            scratch.release();
            cell.replace(scratch);
            done
        })
    }

    /// [`Ctx::score_row`], reading the firm into this thread's buffers.
    fn score_in(
        &self,
        scratch: &mut Scratch,
        firm: FirmCells<'_>,
        detail: Option<&mut Vec<StepResult>>,
        out: &mut Vec<u8>,
    ) -> Done {
        let FirmCells { row, key, lists, rows } = firm;
        let mut done = Done::default();
        // The row's text at once; its cells one by one only to name the first with a NUL.
        if write::holds_nul(rows.row_text(row)) {
            if let Some(col) = (0..self.firm.headers.len()).find(|&c| write::holds_nul(rows.cell(row, c))) {
                let message = write::NUL_IN_CELL.into();
                let err = CellError { col: Some(col), reason: RejectReason::BadValue, message };
                return self.reject_firm(firm, vec![err], done);
            }
        }
        // The list rows, parsed once for every step.
        let mut parsed: SmallVec<[RecordList; INLINE_LISTS]> = SmallVec::with_capacity(lists.len());
        let mut bad_list = None;
        for (l, list_rows) in lists.iter().enumerate() {
            let mut recs = Vec::with_capacity(list_rows.len());
            for &r in *list_rows {
                match self.list_record(l, r, rows) {
                    Ok(rec) => recs.push(rec),
                    Err(errs) => {
                        let lay = &self.lists[l];
                        let rej = self.reject_of(&lay.file, r.line, &lay.headers, key, errs).in_list(l);
                        bad_list.get_or_insert((l, r.line));
                        done.rejects.push(rej);
                    }
                }
            }
            parsed.push(if recs.is_empty() { self.no_records.clone() } else { recs.into() });
        }
        // A row whose field count is wrong is rejected as a bad value is: with its list rows.
        if let Some(message) = field_count_problem(row, self.firm.headers.len()) {
            let err = CellError { col: None, reason: RejectReason::FieldCount, message };
            return self.reject_firm(firm, vec![err], done);
        }
        if let Some((l, line)) = bad_list {
            let lay = &self.lists[l];
            let message = format!("its `{}` row at {} line {line} is rejected", lay.name, lay.file);
            let err = CellError { col: None, reason: RejectReason::BadListRecord, message };
            return self.reject_firm(firm, vec![err], done);
        }
        // Every step's inputs, on every side; all problems reported together.
        let mut errors: Vec<CellError> = Vec::new();
        let firms = scratch.firms(&self.sides);
        for ((si, side), side_firms) in self.sides.iter().enumerate().zip(firms.iter_mut()) {
            let parsed = side.renamed(&parsed);
            for ((s, step), step_firm) in side.steps.iter().enumerate().zip(side_firms.iter_mut()) {
                self.step_firm(si, s, step, row, rows, &parsed, step_firm, &mut errors);
            }
        }
        if !errors.is_empty() {
            return self.reject_firm(firm, errors, done);
        }
        let mut results: SmallVec<[Vec<Outcome>; 2]> = SmallVec::with_capacity(self.sides.len());
        for (side, side_firms) in self.sides.iter().zip(firms.iter_mut()) {
            match evaluate_side(side, side_firms) {
                Ok(r) => results.push(r),
                Err(message) => {
                    let err = CellError { col: None, reason: RejectReason::EvalError, message };
                    return self.reject_firm(firm, vec![err], done);
                }
            }
        }
        self.format_row(firm, &results, out);
        if let Some(detail) = detail {
            let steps = self.sides[0].steps.iter().zip(&results[0]).enumerate();
            detail.extend(steps.map(|(s, (step, a))| self.step_result(s, step, a)));
        }
        let grades = self
            .sides
            .iter()
            .zip(&results)
            .map(|(side, res)| side.steps.iter().zip(res).map(|(_, a)| a.grade as u16).collect())
            .collect();
        let mut fired = Vec::new();
        for (side, res) in results.iter().enumerate() {
            for (step, a) in res.iter().enumerate() {
                let items = a.fired.iter().filter_map(|f| match f.source {
                    Source::Item(i) => Some((side as u8, step as u32, i)),
                    Source::Penalty(_) => None,
                });
                fired.extend(items);
            }
        }
        let by = self.breakdown.iter().map(|&c| Box::from(input::trim(rows.cell(row, c)))).collect();
        let attached = lists.iter().map(|l| l.len() as u32).collect();
        done.scored = Some(Scored { grades, fired, by, attached });
        done
    }

    fn list_record(&self, l: usize, r: RowAt, rows: &Packed) -> Result<Box<[Value]>, Vec<CellError>> {
        let lay = &self.lists[l];
        let plan = &lay.plan;
        let def = &plan.lists[lay.list_idx];
        if let Some(message) = field_count_problem(r, lay.headers.len()) {
            return Err(vec![CellError { col: None, reason: RejectReason::FieldCount, message }]);
        }
        let mut errors = Vec::new();
        let mut rec = Vec::with_capacity(def.fields.len());
        let nul_in_row = write::holds_nul(rows.row_text(r));
        for (field, col) in def.fields.iter().zip(&lay.fields) {
            let cell = col.map_or("", |c| rows.cell(r, c));
            let t = input::trim(cell);
            // Written in place (see `input::read_cell`).
            rec.push(Value::Bool(false));
            let slot = rec.last_mut().expect("just pushed");
            if nul_in_row && write::holds_nul(cell) {
                errors.push(CellError {
                    col: *col,
                    reason: RejectReason::BadValue,
                    message: write::NUL_IN_CELL.into(),
                });
            } else if !t.is_empty() {
                if let Err(problem) = input::read_cell(cell, t, field, plan.texts(), slot) {
                    errors.push(CellError { col: *col, reason: RejectReason::BadValue, message: problem.en() });
                }
            } else {
                match input::record_missing(field, &field.name, &mut Vec::new()) {
                    Some(v) => *slot = v,
                    None => {
                        let message = "required, but missing".to_string();
                        errors.push(CellError { col: *col, reason: RejectReason::MissingRequired, message });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(rec.into_boxed_slice())
        } else {
            Err(errors)
        }
    }

    /// Reads step `s` of side `si`'s inputs and lists into `firm`, every
    /// slot written anew (it holds the previous firm's values).
    #[allow(clippy::too_many_arguments)] // The step, the firm row in its chunk, what goes in and out.
    fn step_firm(
        &self,
        si: usize,
        s: usize,
        step: &Step,
        row: RowAt,
        rows: &Packed,
        parsed: &[RecordList],
        firm: &mut Firm,
        errors: &mut Vec<CellError>,
    ) {
        let plan = &step.rules.plan;
        let cols = &self.firm.inputs[si][s];
        // Each value is written where it stays, not built aside and copied
        // (a copy that would wait on the value's pieces just stored).
        firm.inputs.resize(plan.inputs.len(), None);
        firm.missing.clear();
        firm.lists.clear();
        for (i, ((field, col), slot)) in plan.inputs.iter().zip(cols).zip(&mut firm.inputs).enumerate() {
            if step.fills_input(i) {
                *slot = Some(Value::Bool(false));
                continue;
            }
            let cell = col.map_or("", |c| rows.cell(row, c));
            let t = input::trim(cell);
            match (!t.is_empty()).then_some(t) {
                Some(t) => {
                    let value = slot.insert(Value::Bool(false));
                    if let Err(problem) = input::read_cell(cell, t, field, plan.texts(), value) {
                        *slot = None;
                        let message = problem.en();
                        push_unique(errors, CellError { col: *col, reason: RejectReason::BadValue, message });
                    }
                }
                None => {
                    let mut errs = Vec::new();
                    *slot = input::resolve_missing(field, &field.name, i as u32, &mut firm.missing, &mut errs);
                    if !errs.is_empty() {
                        let message = "required, but missing".to_string();
                        push_unique(errors, CellError { col: *col, reason: RejectReason::MissingRequired, message });
                    }
                }
            }
        }
        for (def, src) in plan.lists.iter().zip(&self.sides[si].step_lists[s]) {
            let recs: RecordList = src.map_or_else(|| self.no_records.clone(), |l| Arc::clone(&parsed[l]));
            if recs.len() > def.max_records as usize {
                let message = format!(
                    "{} `{}` records, more than the limit of {} for this list",
                    recs.len(),
                    def.name,
                    def.max_records
                );
                push_unique(errors, CellError { col: None, reason: RejectReason::TooManyRecords, message });
            }
            firm.lists.push(recs);
        }
    }

    fn reject_of(&self, file: &str, line: u64, headers: &[String], key: &str, errs: Vec<CellError>) -> Reject {
        let col_name = |c: Option<usize>| c.and_then(|c| headers.get(c)).cloned().unwrap_or_default();
        let first = &errs[0];
        let mut message = first.message.clone();
        for e in &errs[1..] {
            let name = col_name(e.col);
            if name.is_empty() {
                message.push_str(&format!("; also: {}", e.message));
            } else {
                message.push_str(&format!("; also `{name}`: {}", e.message));
            }
        }
        Reject {
            file: Arc::from(file),
            list: None,
            line,
            column: col_name(first.col),
            key: key.to_string(),
            reason: first.reason,
            message,
        }
    }

    /// Rejects the firm row, and every good list row it had with it.
    fn reject_firm(&self, firm: FirmCells<'_>, errs: Vec<CellError>, mut done: Done) -> Done {
        let FirmCells { row, key, lists, .. } = firm;
        let r = self.reject_of(&self.firm.file, row.line, &self.firm.headers, key, errs);
        let already: Vec<(usize, u64)> = done.rejects.iter().filter_map(|r| r.list.map(|l| (l, r.line))).collect();
        done.rejects.insert(0, r);
        for (l, list_rows) in lists.iter().enumerate() {
            let file: Arc<str> = Arc::from(self.lists[l].file.as_str());
            for lr in list_rows.iter().filter(|lr| !already.contains(&(l, lr.line))) {
                done.rejects.push(Reject::firm_rejected(&file, l, lr.line, key, &self.firm.file, row.line));
            }
        }
        done
    }

    fn format_row(&self, firm: FirmCells<'_>, results: &[Vec<Outcome>], out: &mut Vec<u8>) {
        let FirmCells { row, key, rows, .. } = firm;
        let carried: Vec<(&str, &str)> =
            self.firm.carry.iter().map(|&c| (self.firm.headers[c].as_str(), rows.cell(row, c))).collect();
        let key_name = &self.firm.key_name;
        if self.pairs.is_empty() {
            let cols = self.score_columns(&results[0]);
            write::row(out, self.format, key_name, key, &carried, &cols);
        } else {
            let moved = self.pairs.iter().any(|(_, o, n)| {
                let (old, new) = (&self.sides[0].steps[*o], &self.sides[1].steps[*n]);
                old.rules.plan.grades[results[0][*o].grade].id != new.rules.plan.grades[results[1][*n].grade].id
            });
            if moved {
                let cols = self.compare_columns(&results[0], &results[1]);
                write::row(out, self.format, key_name, key, &carried, &cols);
            }
        }
    }

    /// (step alias, column, value) for a scored firm.
    fn score_columns<'s>(&'s self, res: &[Outcome]) -> Vec<(&'s str, &'s str, write::Cell<'s>)> {
        let mut cols = Vec::new();
        for (s, (step, a)) in self.sides[0].steps.iter().zip(res).enumerate() {
            let alias = &step.alias;
            let plan = &step.rules.plan;
            cols.push((alias.as_str(), "score", write::Cell::Num(a.score)));
            cols.push((alias.as_str(), "grade", write::Cell::Text(Cow::Borrowed(&plan.grades[a.grade].id))));
            for (name, i) in &self.values[s] {
                cols.push((alias.as_str(), name.as_str(), write::Cell::Text(value_text(plan, a, *i))));
            }
            if self.explain {
                cols.push((alias.as_str(), "items", write::Cell::Items(fired_points(plan, a))));
                cols.push((alias.as_str(), "overrides", write::Cell::List(applied(plan, a))));
            }
        }
        cols
    }

    /// Step `s`'s result, as [`Ctx::score_columns`] writes it.
    fn step_result(&self, s: usize, step: &Step, a: &Outcome) -> StepResult {
        let plan = &step.rules.plan;
        StepResult {
            alias: step.alias.clone(),
            score: a.score.normalize(),
            grade: plan.grades[a.grade].id.to_string(),
            columns: self.values[s]
                .iter()
                .map(|(name, i)| (name.clone(), value_text(plan, a, *i).into_owned()))
                .collect(),
            items: self.explain.then(|| fired_points(plan, a)),
            overrides: self.explain.then(|| applied(plan, a)),
        }
    }

    fn compare_columns<'s>(&'s self, old: &[Outcome], new: &[Outcome]) -> Vec<(&'s str, &'s str, write::Cell<'s>)> {
        let mut cols = Vec::new();
        for (alias, o, n) in &self.pairs {
            let (a, b) = (&old[*o], &new[*n]);
            let (pa, pb) = (&self.sides[0].steps[*o].rules.plan, &self.sides[1].steps[*n].rules.plan);
            cols.push((alias.as_str(), "old_grade", write::Cell::Text(Cow::Borrowed(&pa.grades[a.grade].id))));
            cols.push((alias.as_str(), "new_grade", write::Cell::Text(Cow::Borrowed(&pb.grades[b.grade].id))));
            cols.push((alias.as_str(), "old_score", write::Cell::Num(a.score)));
            cols.push((alias.as_str(), "new_score", write::Cell::Num(b.score)));
            let (items_a, items_b) = (fired_points(pa, a), fired_points(pb, b));
            let mut changes = Vec::new();
            for (id, points) in &items_a {
                let now = items_b.iter().find(|(x, _)| x == id).map(|(_, p)| *p);
                if now != Some(*points) {
                    changes
                        .push(format!("{id}: {points} → {}", now.map_or_else(|| "—".to_string(), |p| p.to_string())));
                }
            }
            for (id, points) in items_b.iter().filter(|(x, _)| !items_a.iter().any(|(y, _)| y == x)) {
                changes.push(format!("{id}: — → {points}"));
            }
            let ov_a: Vec<&str> = a.applied.iter().map(|&i| &*pa.overrides[i].id).collect();
            let ov_b: Vec<&str> = b.applied.iter().map(|&i| &*pb.overrides[i].id).collect();
            for ov in &ov_a {
                if !ov_b.contains(ov) {
                    changes.push(format!("override {ov}: applied → —"));
                }
            }
            for ov in ov_b.iter().filter(|x| !ov_a.contains(x)) {
                changes.push(format!("override {ov}: — → applied"));
            }
            cols.push((alias.as_str(), "changes", write::Cell::List(changes)));
        }
        cols
    }
}

fn push_unique(errors: &mut Vec<CellError>, e: CellError) {
    if !errors.iter().any(|x| x.col == e.col && x.message == e.message) {
        errors.push(e);
    }
}

/// Evaluates the steps in order, filling `from` inputs with earlier results.
fn evaluate_side(side: &Side, firms: &mut [Firm]) -> Result<Vec<Outcome>, String> {
    side.chain.run(firms, side.as_of).map_err(|failure| match failure {
        StepFailure::Fill { step, input, problem } => {
            let step = &side.steps[step];
            format!("{}.{}: {}", step.alias, step.rules.plan.inputs[input as usize].name, problem.en())
        }
        StepFailure::Eval { step, error } if side.steps[step].alias.is_empty() => error.to_string(),
        StepFailure::Eval { step, error } => format!("{}: {error}", side.steps[step].alias),
    })
}

/// The fired items of an outcome: (id, points).
fn fired_points(plan: &Plan, o: &Outcome) -> Vec<(String, Decimal)> {
    o.fired
        .iter()
        .map(|f| {
            let id = match f.source {
                Source::Item(i) => plan.items[i as usize].id.to_string(),
                Source::Penalty(i) => eval::penalty_item_id(&plan.inputs[i as usize].name),
            };
            (id, f.points.normalize())
        })
        .collect()
}

/// The ids of the overrides an outcome applied.
fn applied(plan: &Plan, o: &Outcome) -> Vec<String> {
    o.applied.iter().map(|&i| plan.overrides[i].id.to_string()).collect()
}

/// The text of derived value `i` as a result column: blank when it is not
/// applicable, or when the grade is one the rules blank the columns for.
fn value_text(plan: &Plan, o: &Outcome, i: usize) -> Cow<'static, str> {
    match &o.derived[i] {
        Some(v) if !plan.results.blank_for(o.grade) => Cow::Owned(plan.names.show(v).to_string()),
        _ => Cow::Borrowed(""),
    }
}
