//! The unit of parallel work: a chunk of firm rows in input order, each
//! with its list rows joined, or the reason it was rejected, with the text
//! of all their cells packed in one buffer.

use std::ops::Range;

use smallvec::SmallVec;

use crate::input::INLINE_LISTS;

use super::packed::{Packed, RowAt};
use super::reject::Reject;

/// A firm row, its key checked, with its list rows; all in its chunk's
/// [`Packed`] rows.
pub(crate) struct FirmRow {
    pub(crate) row: RowAt,
    /// The normalised key: a cell of its own.
    pub(crate) key: usize,
    /// Per list source, the range of the chunk's list rows with this key.
    pub(crate) lists: SmallVec<[Range<usize>; INLINE_LISTS]>,
}

/// A chunk of jobs, in input order, and the rows they read.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) jobs: Vec<Job>,
    pub(crate) rows: Packed,
}

impl Chunk {
    /// Empties it, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.jobs.clear();
        self.rows.clear();
    }
}

/// One unit of work, in input order: list rows rejected on the way, then a
/// firm row (or its rejection).
pub(crate) struct Job {
    pub(crate) pre: Vec<Reject>,
    pub(crate) firm: Option<Result<FirmRow, Reject>>,
    /// A firm rejected for too many list records: per list source, the
    /// lines of its rows, rejected with it (kept as lines only, so a
    /// million records cost 8 bytes each).
    pub(crate) overflow: Vec<(usize, Vec<u64>)>,
}
