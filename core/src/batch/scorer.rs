//! Scoring one firm at a time: [`Scorer`], built once from the rules, a
//! configuration and the headers of the firm source and each list source,
//! scores a firm's cells and its list records ([`FirmRows`]) into its
//! result or its rejects ([`Scoring`]), as a batch run would.
//!
//! The checks are a run's: the key is read and normalised, a list with
//! more records than it allows rejects the firm with them, and a bad cell
//! in the firm's row or any record rejects the firm with every record, for
//! the same reasons and with the same messages. A key met twice needs the
//! firms before it: [`SeenKeys`] holds them, in the reader's order, and
//! rejects a repeat as a run does. A batch run builds one `Scorer` and
//! scores its joined rows through it.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::NaiveDate;
use compact_str::CompactString;
use smallvec::SmallVec;

use crate::input::INLINE_LISTS;
use crate::rules::Rules;

use super::check::{key_of, keyless};
use super::columns::{ColumnUse, InputKind};
use super::config::{BatchConfig, OutputFormat};
use super::error::BatchError;
use super::firm::{Ctx, Done, FirmCells, Scored, OUT_ROW_BYTES};
use super::layout::{self, ListLayout};
use super::packed::{Packed, RowAt};
use super::reject::{Reject, REJECTS_HEADER};
use super::result::FirmResult;
use super::rows::Header;
use super::step::{self, Step};
use super::store::KeyMap;

/// Scores firms, one at a time, as a batch run does; see the module
/// documentation. `Send + Sync`: threads may share one.
pub struct Scorer {
    pub(crate) ctx: Ctx,
    /// Per list source: the most records one firm may have (the smallest
    /// `max_records` of the steps declaring the list).
    pub(crate) caps: Vec<usize>,
    /// Per list source: its name in messages.
    pub(crate) list_files: Vec<Arc<str>>,
    firm_file: Arc<str>,
    uscc: bool,
    bom: bool,
    /// The rejects as CSV rows or JSON lines.
    pub(crate) rejects_format: OutputFormat,
}

impl Scorer {
    /// A scorer for `rules` (a rule set or a scheme) of firms whose
    /// source has the header `firms`, with one list source per entry of
    /// `lists`: the list's name in the rules and the source's header. A
    /// header that does not fit the rules is the [`BatchError`] a run
    /// would stop with.
    pub fn new(
        rules: &Rules,
        cfg: &BatchConfig,
        firms: &Header,
        lists: &[(&str, &Header)],
    ) -> Result<Scorer, BatchError> {
        Scorer::build(&[(rules, cfg.as_of)], cfg, firms, lists)
    }

    /// A scorer of one side (a run) or two (a compare run, old then new).
    pub(crate) fn build(
        rules: &[(&Rules, NaiveDate)],
        cfg: &BatchConfig,
        firms: &Header,
        lists: &[(&str, &Header)],
    ) -> Result<Scorer, BatchError> {
        let sides: Vec<(Vec<Step>, NaiveDate)> = rules.iter().map(|(r, as_of)| (step::steps_of(r), *as_of)).collect();
        let steps: Vec<Vec<Step>> = sides.iter().map(|(s, _)| s.clone()).collect();
        let firm_layout = layout::firm_layout(firms.clone(), cfg, &steps)?;
        layout::check_breakdown(&firm_layout, cfg)?;
        let mut list_layouts: Vec<ListLayout> = Vec::new();
        for (list, header) in lists {
            if list_layouts.iter().any(|l| l.name == *list) {
                return Err(BatchError::new(&header.file, None, format!("list `{list}` is given twice")));
            }
            list_layouts.push(layout::list_layout(list, (*header).clone(), cfg, &steps)?);
        }
        for c in &cfg.ignore {
            let mut all = std::iter::once(firms).chain(lists.iter().map(|(_, h)| *h)).flat_map(|h| &h.names);
            if !all.any(|h| h == c) {
                let files: Vec<&str> = std::iter::once(firm_layout.file.as_str())
                    .chain(list_layouts.iter().map(|l| l.file.as_str()))
                    .collect();
                return Err(BatchError::new(
                    "",
                    None,
                    format!("no file has the column `{c}` to ignore (files: {})", files.join(", ")),
                ));
            }
        }
        let caps = list_layouts
            .iter()
            .map(|l| {
                let declared =
                    steps.iter().flatten().flat_map(|st| st.rules.plan.lists.iter().filter(|d| *d.name == *l.name));
                declared.map(|d| d.max_records as usize).min().unwrap_or(usize::MAX)
            })
            .collect();
        let list_files = list_layouts.iter().map(|l| Arc::from(l.file.as_str())).collect();
        let firm_file = Arc::from(firm_layout.file.as_str());
        let ctx = Ctx::new(sides, cfg, firm_layout, list_layouts);
        ctx.check_carried()?;
        let (uscc, bom, rejects_format) = (cfg.key == "uscc", cfg.bom, cfg.rejects_format);
        Ok(Scorer { ctx, caps, list_files, firm_file, uscc, bom, rejects_format })
    }

    /// The results' header: for CSV the header line (after a BOM when the
    /// configuration asks for one), for cells the names as cells; nothing
    /// for JSON lines.
    pub fn header(&self) -> Vec<u8> {
        let mut header = Vec::new();
        if self.bom && self.ctx.format == OutputFormat::Csv {
            header.extend_from_slice("\u{FEFF}".as_bytes());
        }
        self.ctx.write_header(&mut header);
        header
    }

    /// The results' column names, in order (the CSV header's).
    pub fn columns(&self) -> Vec<String> {
        self.ctx.column_names()
    }

    /// How each column of the firm source is used, in header order.
    pub fn firm_columns(&self) -> Vec<ColumnUse> {
        firm_columns(&self.ctx)
    }

    /// How each column of list source `list` (its index among the lists
    /// the scorer was built with) is used; `None` past the last.
    pub fn list_columns(&self, list: usize) -> Option<Vec<ColumnUse>> {
        (list < self.ctx.lists.len()).then(|| list_columns(&self.ctx, list))
    }

    /// The rejects file's header line (after a BOM when the configuration
    /// asks for one), nothing for JSON lines or cells; [`Reject::write`] writes its
    /// rows.
    pub fn rejects_header(&self) -> Vec<u8> {
        if self.rejects_format != OutputFormat::Csv {
            return Vec::new();
        }
        let bom = if self.bom { "\u{FEFF}" } else { "" };
        format!("{bom}{REJECTS_HEADER}").into_bytes()
    }

    /// Scores one firm: its result, or why it and its records are rejected.
    ///
    /// # Panics
    ///
    /// When a record is of a list the scorer was not given (an index past
    /// the end of its `lists`).
    pub fn score(&self, firm: &FirmRows) -> Scoring {
        let ctx = &self.ctx;
        let lists = self.lists(firm);
        let (row, rows) = (firm.row, &firm.cells);
        let key = match self.key(firm) {
            Ok(key) => key,
            Err(r) => return self.rejected(keyless(r, row, ctx.firm.headers.len(), None), &lists),
        };
        if let Some((l, (records, &cap))) =
            lists.iter().zip(&self.caps).enumerate().find(|(_, (r, &cap))| r.len() > cap)
        {
            let r = Reject::too_many_records(&self.firm_file, row.line, &key, &ctx.lists[l].name, records.len(), cap);
            return self.rejected(r, &lists);
        }
        let mut steps = Vec::new();
        let mut out = Vec::with_capacity(OUT_ROW_BYTES);
        let done: Done = ctx.score_row(FirmCells { row, key: &key, lists: &lists, rows }, Some(&mut steps), &mut out);
        let given = given(&lists);
        match done.scored {
            Some(scored) => {
                let result = FirmResult { key: key.into_owned(), steps, row: out };
                Scoring { result: Ok(result), scored: Some(scored), given }
            }
            None => Scoring { result: Err(done.rejects), scored: None, given },
        }
    }

    /// A firm's key, read and normalised, or why it cannot be.
    fn key<'f>(&self, firm: &'f FirmRows) -> Result<Cow<'f, str>, Reject> {
        let (col, line) = (self.ctx.firm.key_col, firm.row.line);
        key_of(firm.cells.cell(firm.row, col), self.uscc, &self.firm_file, line, &self.ctx.firm.headers[col])
    }

    /// A firm's records, per list source.
    fn lists<'f>(&self, firm: &'f FirmRows) -> SmallVec<[&'f [RowAt]; INLINE_LISTS]> {
        let n = self.ctx.lists.len();
        assert!(firm.lists.len() <= n, "a record of list source {}, of {n}", firm.lists.len() - 1);
        (0..n).map(|l| firm.lists.get(l).map_or(&[][..], Vec::as_slice)).collect()
    }

    /// A firm rejected before its cells are read (for its key, or too many
    /// records), and each of its records with it.
    fn rejected(&self, firm: Reject, lists: &[&[RowAt]]) -> Scoring {
        let mut rejects = Vec::with_capacity(1 + lists.iter().map(|l| l.len()).sum::<usize>());
        for (l, records) in lists.iter().enumerate() {
            let file = &self.list_files[l];
            let with = |r: &RowAt| Reject::firm_rejected(file, l, r.line, &firm.key, &firm.file, firm.line);
            rejects.extend(records.iter().map(with));
        }
        rejects.insert(0, firm);
        Scoring { result: Err(rejects), scored: None, given: given(lists) }
    }
}

/// The firm keys a reader scoring firm by firm has met, in its order: a
/// firm whose key an earlier one had is rejected (`duplicate_key`), with
/// its records, as a run rejects a firm row whose key an earlier row had.
#[derive(Default)]
pub struct SeenKeys {
    /// Each key, and the line of its first firm.
    first: KeyMap<u64>,
}

impl SeenKeys {
    /// No keys met yet.
    pub fn new() -> SeenKeys {
        SeenKeys::default()
    }

    /// Notes `firm`'s key. `None` when no firm before had it (or it cannot
    /// be read, which [`Scorer::score`] rejects): score the firm. Else the
    /// firm's rejects, to write and count instead of scoring it.
    ///
    /// # Panics
    ///
    /// As [`Scorer::score`].
    pub fn check(&mut self, scorer: &Scorer, firm: &FirmRows) -> Option<Scoring> {
        let key = scorer.key(firm).ok()?;
        match self.first.entry(CompactString::from(&*key)) {
            Entry::Occupied(first) => {
                let (file, column) = (&scorer.firm_file, &scorer.ctx.firm.headers[scorer.ctx.firm.key_col]);
                let r = Reject::duplicate_key(file, firm.row.line, column, &key, *first.get());
                Some(scorer.rejected(r, &scorer.lists(firm)))
            }
            Entry::Vacant(slot) => {
                slot.insert(firm.row.line);
                None
            }
        }
    }
}

/// The use of each column of the firm source, in header order.
fn firm_columns(ctx: &Ctx) -> Vec<ColumnUse> {
    let firm = &ctx.firm;
    let mut uses = vec![ColumnUse::Ignored; firm.headers.len()];
    for &c in &firm.carry {
        uses[c] = ColumnUse::Carried;
    }
    for (side, per_step) in ctx.sides.iter().zip(&firm.inputs) {
        for (step, columns) in side.steps.iter().zip(per_step) {
            for (input, column) in step.rules.plan.inputs.iter().zip(columns) {
                if let Some(c) = *column {
                    uses[c] = ColumnUse::Input { name: input.name.to_string(), kind: InputKind::of(&input.vtype) };
                }
            }
        }
    }
    uses[firm.key_col] = ColumnUse::Key;
    uses
}

/// The use of each column of list source `list`, in header order.
fn list_columns(ctx: &Ctx, list: usize) -> Vec<ColumnUse> {
    let layout = &ctx.lists[list];
    let mut uses = vec![ColumnUse::Ignored; layout.headers.len()];
    let fields = &layout.plan.lists[layout.list_idx].fields;
    for (field, column) in fields.iter().zip(&layout.fields) {
        if let Some(c) = *column {
            uses[c] = ColumnUse::Input { name: field.name.to_string(), kind: InputKind::of(&field.vtype) };
        }
    }
    uses[layout.key_col] = ColumnUse::Key;
    uses
}

/// The records given per list source.
fn given(lists: &[&[RowAt]]) -> SmallVec<[u64; INLINE_LISTS]> {
    lists.iter().map(|l| l.len() as u64).collect()
}

/// One firm's row and its list records, to score with [`Scorer::score`]:
/// cells in the order of the headers the scorer was built with.
pub struct FirmRows {
    cells: Packed,
    row: RowAt,
    /// Per list source, the records given.
    lists: SmallVec<[Vec<RowAt>; INLINE_LISTS]>,
}

impl FirmRows {
    /// A firm's row, on `line` of the firm source.
    pub fn new<'c>(line: u64, cells: impl IntoIterator<Item = &'c str>) -> FirmRows {
        let mut packed = Packed::default();
        let row = push_row(&mut packed, line, cells);
        FirmRows { cells: packed, row, lists: SmallVec::new() }
    }

    /// Adds a record of list source `list` (its index among the lists the
    /// scorer was built with), on `line` of that source. A firm's records
    /// of one list are kept in the order given.
    pub fn record<'c>(&mut self, list: usize, line: u64, cells: impl IntoIterator<Item = &'c str>) {
        if self.lists.len() <= list {
            self.lists.resize_with(list + 1, Vec::new);
        }
        let row = push_row(&mut self.cells, line, cells);
        self.lists[list].push(row);
    }
}

/// Pushes a row's cells.
fn push_row<'c>(packed: &mut Packed, line: u64, cells: impl IntoIterator<Item = &'c str>) -> RowAt {
    let first = packed.cells();
    for c in cells {
        packed.push_text(c);
    }
    let len = packed.cells() - first;
    RowAt { line, more_lines: 0, fields: u32::try_from(len).unwrap_or(u32::MAX), first, len }
}

/// What scoring one firm gave; count it in a [`Summary`](super::Summary)
/// with [`Summary::count`](super::Summary::count).
pub struct Scoring {
    result: Result<FirmResult, Vec<Reject>>,
    /// The scored firm, for the summary.
    pub(crate) scored: Option<Scored>,
    /// Per list source: the records given.
    pub(crate) given: SmallVec<[u64; INLINE_LISTS]>,
}

impl Scoring {
    /// The firm's result, or its rejects: the firm row first, then its
    /// records, each rejected with it.
    pub fn result(&self) -> Result<&FirmResult, &[Reject]> {
        self.result.as_ref().map_err(Vec::as_slice)
    }

    /// The same, owned.
    pub fn into_result(self) -> Result<FirmResult, Vec<Reject>> {
        self.result
    }
}
