//! The accounting of a run: rows in, scored, attached and rejected per file;
//! grade counts per step; the items fired most; rejects by reason; grade
//! counts by a carried column (sector, region); migration matrices for a
//! compare run. A batch run counts each firm as it writes it; a reader that
//! scores firm by firm counts each [`Scoring`] the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::plan::Plan;

use super::firm::{Ctx, Scored};
use super::reject::{Reject, RejectReason};
use super::scorer::{Scorer, Scoring};

/// Distinct values counted per breakdown column; the rest go under `(other)`.
const MAX_BREAKDOWN_VALUES: usize = 500;

/// What a run read, scored and rejected.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The firm file: `used` is the firms scored.
    pub firms: FileCount,
    /// Each list file: `used` is the records attached to scored firms.
    pub lists: Vec<FileCount>,
    /// Each step (of the old side, for a compare run).
    pub steps: Vec<StepSummary>,
    /// Each step of the new side of a compare run; empty otherwise.
    pub new_steps: Vec<StepSummary>,
    /// Compare runs: per paired step, how many firms moved from each grade to each.
    pub migrations: Vec<Migration>,
    /// Rejected rows by reason code.
    pub rejects: BTreeMap<String, u64>,
    /// Grade counts by carried column.
    pub breakdown: Vec<Breakdown>,
    /// Lists the rules read that no file was given for: every firm was
    /// scored as having no such records.
    pub lists_not_given: Vec<String>,
    /// A run without `sorted` whose firm file and list files were all in
    /// key order: with `sorted` they would have streamed in flat memory.
    pub could_stream: bool,
    #[serde(skip)]
    acc: Acc,
}

/// Rows read, used and rejected, for one file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileCount {
    /// The file.
    pub file: String,
    /// The list it fills; `None` for the firm file.
    pub list: Option<String>,
    /// Data rows read (the header not counted).
    pub rows: u64,
    /// Rows scored (firms) or attached to a scored firm (lists).
    pub used: u64,
    /// Rows written to the rejects file.
    pub rejected: u64,
    /// Columns read by nothing (neither the key, an input or list field,
    /// nor carried), in header order; left out of the JSON when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_columns: Vec<String>,
    /// The encoding the file was read in (`UTF-8`, `GB18030`), set by the
    /// caller that decoded it; left out of the JSON when not set.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub encoding: String,
}

impl FileCount {
    /// Whether rows = used + rejected.
    pub fn balanced(&self) -> bool {
        self.rows == self.used + self.rejected
    }
}

/// One step's results.
#[derive(Clone, Debug, Serialize)]
pub struct StepSummary {
    /// Scheme alias; empty for a single rule set.
    pub alias: String,
    /// Rule set id.
    pub ruleset: String,
    /// Rule set version.
    pub version: String,
    /// Firms per grade, best grade first.
    pub grades: Vec<GradeCount>,
    /// Items fired, most frequent first.
    pub items: Vec<ItemCount>,
}

/// Firms with one grade.
#[derive(Clone, Debug, Serialize)]
pub struct GradeCount {
    /// Grade id.
    pub id: String,
    /// Grade label.
    pub label: String,
    /// Grade colour, when the rule set has one.
    pub color: Option<String>,
    /// Firms.
    pub count: u64,
}

/// Firms for which one item fired.
#[derive(Clone, Debug, Serialize)]
pub struct ItemCount {
    /// Item id.
    pub id: String,
    /// Item label.
    pub label: String,
    /// Firms.
    pub count: u64,
}

/// A grade-migration matrix.
#[derive(Clone, Debug, Serialize)]
pub struct Migration {
    /// The step alias (empty for single rule sets).
    pub alias: String,
    /// Old grades (rows), best first.
    pub from: Vec<String>,
    /// New grades (columns), best first.
    pub to: Vec<String>,
    /// `counts[i][j]`: firms from old grade `i` to new grade `j`.
    pub counts: Vec<Vec<u64>>,
    /// Firms whose grade changed.
    pub moved: u64,
}

/// Grade counts by the values of one carried column, for one step.
#[derive(Clone, Debug, Serialize)]
pub struct Breakdown {
    /// The column.
    pub column: String,
    /// The step alias.
    pub alias: String,
    /// Grade ids, best first.
    pub grades: Vec<String>,
    /// (value, firms per grade), values sorted.
    pub rows: Vec<(String, Vec<u64>)>,
}

/// The counts, and what the summary is built from at the end.
#[derive(Clone, Default)]
struct Acc {
    /// Per side, per step, per grade.
    grades: Vec<Vec<Vec<u64>>>,
    /// Per side, per step, per item.
    items: Vec<Vec<Vec<u64>>>,
    /// Per pair, old × new grade.
    matrix: Vec<Vec<Vec<u64>>>,
    /// Per breakdown column: value → per step (side 0) → per grade.
    by: Vec<BTreeMap<Box<str>, Vec<Vec<u64>>>>,
    /// Per side, per step: the alias and the plan.
    steps: Vec<Vec<(String, Arc<Plan>)>>,
    /// Compare runs: (alias, old step, new step) pairs.
    pairs: Vec<(String, usize, usize)>,
    /// The breakdown columns.
    by_columns: Vec<String>,
}

impl std::fmt::Debug for Acc {
    /// Only its name: the plans it holds would fill pages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acc").finish_non_exhaustive()
    }
}

impl Summary {
    /// The accounting of the firms a [`Scorer`] scores: every count zero.
    /// Count each [`Scoring`] with [`Summary::count`], then
    /// [`Summary::finish`].
    pub fn new(scorer: &Scorer) -> Summary {
        Summary::start(&scorer.ctx)
    }

    pub(crate) fn start(ctx: &Ctx) -> Summary {
        let zeros = |f: &dyn Fn(&crate::plan::Plan) -> usize| -> Vec<Vec<Vec<u64>>> {
            ctx.sides.iter().map(|s| s.steps.iter().map(|st| vec![0; f(&st.rules.plan)]).collect()).collect()
        };
        let matrix = ctx
            .pairs
            .iter()
            .map(|(_, o, n)| {
                let rows = ctx.sides[0].steps[*o].rules.plan.grades.len();
                let cols = ctx.sides[1].steps[*n].rules.plan.grades.len();
                vec![vec![0; cols]; rows]
            })
            .collect();
        Summary {
            firms: FileCount {
                file: ctx.firm.file.clone(),
                ignored_columns: ctx.firm.ignored.iter().map(|&c| ctx.firm.headers[c].clone()).collect(),
                ..FileCount::default()
            },
            lists: ctx
                .lists
                .iter()
                .map(|l| FileCount {
                    file: l.file.clone(),
                    list: Some(l.name.clone()),
                    ignored_columns: l.ignored.iter().map(|&c| l.headers[c].clone()).collect(),
                    ..FileCount::default()
                })
                .collect(),
            steps: Vec::new(),
            new_steps: Vec::new(),
            migrations: Vec::new(),
            rejects: BTreeMap::new(),
            breakdown: Vec::new(),
            lists_not_given: {
                let mut names: Vec<String> = Vec::new();
                let declared = ctx.sides.iter().flat_map(|s| &s.steps).flat_map(|st| &st.rules.plan.lists);
                for d in declared {
                    if !ctx.lists.iter().any(|l| *l.name == *d.name) && !names.iter().any(|n| *n == *d.name) {
                        names.push(d.name.to_string());
                    }
                }
                names
            },
            could_stream: false,
            acc: Acc {
                grades: zeros(&|p| p.grades.len()),
                items: zeros(&|p| p.items.len()),
                matrix,
                by: vec![BTreeMap::new(); ctx.breakdown.len()],
                steps: ctx
                    .sides
                    .iter()
                    .map(|s| s.steps.iter().map(|st| (st.alias.clone(), st.rules.plan.clone())).collect())
                    .collect(),
                pairs: ctx.pairs.clone(),
                by_columns: ctx.breakdown.iter().map(|&c| ctx.firm.headers[c].clone()).collect(),
            },
        }
    }

    /// Counts one firm scored by a [`Scorer`]: its row and its records
    /// read, and each scored, attached or rejected.
    pub fn count(&mut self, scoring: &Scoring) {
        self.firms.rows += 1;
        for (list, n) in self.lists.iter_mut().zip(&scoring.given) {
            list.rows += n;
        }
        if let Err(rejects) = scoring.result() {
            for r in rejects {
                self.count_reject(r);
            }
        }
        if let Some(s) = &scoring.scored {
            self.count_scored(s.clone());
        }
    }

    pub(crate) fn count_reject(&mut self, r: &Reject) {
        match r.list {
            None => self.firms.rejected += 1,
            Some(l) => self.lists[l].rejected += 1,
        }
        *self.rejects.entry(r.reason.code().to_string()).or_default() += 1;
    }

    /// Counts a scored firm (its rows read are counted apart).
    pub(crate) fn count_scored(&mut self, s: Scored) {
        let acc = &mut self.acc;
        self.firms.used += 1;
        for (l, n) in s.attached.iter().enumerate() {
            self.lists[l].used += u64::from(*n);
        }
        for (side, grades) in s.grades.iter().enumerate() {
            for (step, g) in grades.iter().enumerate() {
                acc.grades[side][step][*g as usize] += 1;
            }
        }
        for &(side, step, i) in &s.fired {
            acc.items[usize::from(side)][step as usize][i as usize] += 1;
        }
        for (p, (_, o, n)) in acc.pairs.iter().enumerate() {
            let (a, b) = (s.grades[0][*o] as usize, s.grades[1][*n] as usize);
            acc.matrix[p][a][b] += 1;
        }
        let steps = &acc.steps[0];
        for (c, v) in s.by.into_iter().enumerate() {
            let map = &mut acc.by[c];
            let key = if map.len() >= MAX_BREAKDOWN_VALUES && !map.contains_key(&v) { Box::from("(other)") } else { v };
            let per_step =
                map.entry(key).or_insert_with(|| steps.iter().map(|(_, plan)| vec![0; plan.grades.len()]).collect());
            for (step, g) in s.grades[0].iter().enumerate() {
                per_step[step][*g as usize] += 1;
            }
        }
    }

    /// Fills in the steps' grade and item counts, the migrations and the
    /// breakdowns from the counts so far; call it after the last count.
    pub fn finish(&mut self) {
        let acc = &self.acc;
        let steps_of = |side: usize| -> Vec<StepSummary> {
            acc.steps[side]
                .iter()
                .enumerate()
                .map(|(s, (alias, plan))| {
                    let grades = plan
                        .grades
                        .iter()
                        .zip(&acc.grades[side][s])
                        .map(|(g, n)| GradeCount {
                            id: g.id.to_string(),
                            label: g.label.zh.to_string(),
                            color: g.color.as_deref().map(str::to_string),
                            count: *n,
                        })
                        .collect();
                    let mut items: Vec<ItemCount> = plan
                        .items
                        .iter()
                        .zip(&acc.items[side][s])
                        .filter(|(_, n)| **n > 0)
                        .map(|(it, n)| ItemCount { id: it.id.to_string(), label: it.label.zh.to_string(), count: *n })
                        .collect();
                    items.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.id.cmp(&b.id)));
                    StepSummary {
                        alias: alias.clone(),
                        ruleset: plan.meta.id.clone(),
                        version: plan.meta.version.clone(),
                        grades,
                        items,
                    }
                })
                .collect()
        };
        self.steps = steps_of(0);
        if acc.steps.len() > 1 {
            self.new_steps = steps_of(1);
        }
        let grade_ids = |plan: &Plan| -> Vec<String> { plan.grades.iter().map(|g| g.id.to_string()).collect() };
        self.migrations = acc
            .pairs
            .iter()
            .zip(&acc.matrix)
            .map(|((alias, o, n), counts)| {
                let from = grade_ids(&acc.steps[0][*o].1);
                let to = grade_ids(&acc.steps[1][*n].1);
                let mut moved = 0;
                for (i, r) in counts.iter().enumerate() {
                    for (j, n) in r.iter().enumerate() {
                        if from.get(i) != to.get(j) {
                            moved += n;
                        }
                    }
                }
                Migration { alias: alias.clone(), from, to, counts: counts.clone(), moved }
            })
            .collect();
        self.breakdown = acc
            .by_columns
            .iter()
            .zip(&acc.by)
            .flat_map(|(column, map)| {
                acc.steps[0].iter().enumerate().map(move |(s, (alias, plan))| Breakdown {
                    column: column.clone(),
                    alias: alias.clone(),
                    grades: grade_ids(plan),
                    rows: map.iter().map(|(v, per_step)| (v.to_string(), per_step[s].clone())).collect(),
                })
            })
            .collect();
    }

    /// Whether every file balances: rows = used + rejected.
    pub fn balanced(&self) -> bool {
        self.firms.balanced() && self.lists.iter().all(FileCount::balanced)
    }

    /// Rows rejected, firm and list rows together.
    pub fn rejected(&self) -> u64 {
        self.firms.rejected + self.lists.iter().map(|l| l.rejected).sum::<u64>()
    }

    /// Rejected rows for one reason.
    pub fn rejected_for(&self, reason: RejectReason) -> u64 {
        self.rejects.get(reason.code()).copied().unwrap_or(0)
    }
}
