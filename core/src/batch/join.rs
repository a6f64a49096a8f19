//! The sequential half of a run: reads firm rows, checks their keys (once
//! each, in file order), joins each firm's list rows to it, streamed from
//! sorted files or taken from lists grouped in memory, and cuts the result
//! into chunks of jobs for the parallel half.

use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::input::INLINE_LISTS;

use super::check::{key_of, keyless, out_of_order};
use super::chunk::{Chunk, FirmRow, Job};
use super::config::{BatchConfig, MAX_CHUNK_SIZE};
use super::error::BatchError;
use super::layout::{FirmLayout, ListLayout};
use super::packed::{Packed, RowAt};
use super::reject::Reject;
use super::rows::Input;
use super::store::{KeyMap, ListStore};
use super::stream::ListStream;

/// Reads firm rows and joins their list rows, sequentially.
pub(crate) struct Feeder {
    firms: Input,
    key_col: usize,
    key_name: String,
    uscc: bool,
    sorted: bool,
    streams: Vec<ListStream>,
    /// Each list grouped by key, its file and its key column's header.
    stores: Vec<(ListStore, Arc<str>, String)>,
    /// Lists to load before the first firm (grouped mode), with their key
    /// column and its header.
    to_load: Vec<(Input, usize, String)>,
    /// Load them each on a thread of its own.
    load_apart: bool,
    /// Rows read from each list loaded into `stores`.
    store_rows: Vec<u64>,
    n_lists: usize,
    /// Per list source: the most records one firm may have (the smallest
    /// `max_records` of the steps declaring the list), and the list's name.
    caps: Vec<usize>,
    list_names: Vec<String>,
    /// Grouped mode: each firm key read, and the line of its first row.
    seen: KeyMap<u64>,
    /// The largest firm key so far (empty before the first), and the line
    /// of its first row (sorted mode).
    last_key: String,
    last_key_line: u64,
    /// Grouped mode: whether the firm rows and every list's rows so far
    /// came in key order, so that a sorted run could have streamed them.
    in_key_order: bool,
    /// The key of the firm row being joined.
    key: String,
    /// Per list source, the lines of a firm's rows over the list's limit.
    overflow: Vec<Vec<u64>>,
    chunk_size: usize,
    finished: bool,
}

impl Feeder {
    /// A feeder of the firm file's rows, laid out as `firm`, with each list
    /// file's rows, laid out as its layout, and the most records one firm
    /// may have in it.
    pub(crate) fn new(
        firms: Input,
        firm: &FirmLayout,
        lists: Vec<(Input, &ListLayout, usize)>,
        cfg: &BatchConfig,
    ) -> Feeder {
        let uscc = cfg.key == "uscc";
        let mut feeder = Feeder {
            key_col: firm.key_col,
            key_name: firm.headers[firm.key_col].clone(),
            firms,
            uscc,
            sorted: cfg.sorted,
            streams: Vec::new(),
            stores: Vec::new(),
            to_load: Vec::new(),
            load_apart: cfg.threads != 1,
            store_rows: Vec::new(),
            n_lists: lists.len(),
            caps: lists.iter().map(|(_, _, cap)| *cap).collect(),
            list_names: lists.iter().map(|(_, l, _)| l.name.clone()).collect(),
            seen: KeyMap::default(),
            last_key: String::new(),
            last_key_line: 0,
            in_key_order: !cfg.sorted,
            key: String::new(),
            overflow: Vec::new(),
            chunk_size: cfg.chunk_size.clamp(1, MAX_CHUNK_SIZE),
            finished: false,
        };
        for (i, (rows, layout, _)) in lists.into_iter().enumerate() {
            let (key_col, key_name) = (layout.key_col, layout.headers[layout.key_col].clone());
            if cfg.sorted {
                feeder.streams.push(ListStream::new(i, rows, key_col, key_name, uscc));
            } else {
                feeder.to_load.push((rows, key_col, key_name));
            }
        }
        feeder
    }

    /// Whether a run that was not sorted met the firm rows and every list's
    /// rows in key order: sorted, it could have streamed them.
    pub(crate) fn in_key_order(&self) -> bool {
        self.in_key_order
    }

    /// The next chunk of jobs, read into `chunk` (an empty one, perhaps
    /// with its buffers from an earlier chunk); no jobs at the end.
    pub(crate) fn next_chunk(&mut self, mut chunk: Chunk) -> Result<Chunk, BatchError> {
        chunk.jobs.reserve(self.chunk_size);
        let jobs = &mut chunk.jobs;
        if !self.to_load.is_empty() {
            let mut pre = Vec::new();
            let to_load = std::mem::take(&mut self.to_load);
            for loaded in load_stores(to_load, self.uscc, self.load_apart) {
                let (store, file, key_name, rows_read, rejects) = loaded?;
                pre.extend(rejects);
                self.in_key_order &= store.in_key_order;
                self.stores.push((store, file, key_name));
                self.store_rows.push(rows_read);
            }
            jobs.push(Job { pre, firm: None, overflow: Vec::new() });
        }
        if self.finished {
            return Ok(chunk);
        }
        while jobs.len() < self.chunk_size {
            let Some(next) = self.firms.next(&mut chunk.rows)? else {
                self.finished = true;
                let mut pre = Vec::new();
                for s in &mut self.streams {
                    s.finish(&mut pre)?;
                }
                for (list, (store, file, key_name)) in std::mem::take(&mut self.stores).into_iter().enumerate() {
                    store.finish(list, &file, &key_name, &mut pre);
                }
                if !pre.is_empty() {
                    jobs.push(Job { pre, firm: None, overflow: Vec::new() });
                }
                break;
            };
            let job = self.join(next, &mut chunk.rows)?;
            jobs.push(job);
        }
        Ok(chunk)
    }

    /// Checks the key of the firm row just read into `rows` and joins its
    /// list rows into `rows` too.
    fn join(&mut self, row: RowAt, rows: &mut Packed) -> Result<Job, BatchError> {
        let reject = |r| Ok(Job { pre: Vec::new(), firm: Some(Err(r)), overflow: Vec::new() });
        let line = row.line;
        let cell = rows.cell(row, self.key_col);
        match key_of(cell, self.uscc, &self.firms.file, line, &self.key_name) {
            Ok(k) => {
                self.key.clear();
                self.key.push_str(&k);
            }
            Err(r) => return reject(keyless(r, row, self.firms.n_cols, None)),
        };
        let key = &*self.key;
        // The line of the first row with this key, if this is not it.
        let first = if self.sorted {
            if *key < *self.last_key {
                return Err(out_of_order(&self.firms.file, line, key, &self.last_key));
            }
            if *self.last_key == *key {
                Some(self.last_key_line)
            } else {
                self.last_key.clear();
                self.last_key.push_str(key);
                self.last_key_line = line;
                None
            }
        } else {
            // Followed only while it holds: no key copied per firm after.
            if self.in_key_order {
                if *key < *self.last_key {
                    self.in_key_order = false;
                } else {
                    self.last_key.clear();
                    self.last_key.push_str(key);
                }
            }
            match self.seen.entry(compact_str::CompactString::from(key)) {
                Entry::Occupied(first) => Some(*first.get()),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    None
                }
            }
        };
        if let Some(first) = first {
            let r = Reject::duplicate_key(&self.firms.file, line, &self.key_name, key, first);
            return reject(r);
        }
        let mut pre = Vec::new();
        let mut lists: SmallVec<[Range<usize>; INLINE_LISTS]> = SmallVec::new();
        self.overflow.resize_with(self.n_lists, Vec::new);
        let at = |rows: &Packed| rows.list_rows.len();
        for s in &mut self.streams {
            let (l, start) = (s.list, at(rows));
            s.take(key, self.caps[l], rows, &mut self.overflow[l], &mut pre)?;
            lists.push(start..at(rows));
        }
        for (l, (store, _, _)) in self.stores.iter_mut().enumerate() {
            let start = at(rows);
            store.take(key, self.caps[l], rows, &mut self.overflow[l]);
            lists.push(start..at(rows));
        }
        if let Some(l) = self.overflow.iter().position(|o| !o.is_empty()) {
            let n = lists[l].len() + self.overflow[l].len();
            let r = Reject::too_many_records(&self.firms.file, line, key, &self.list_names[l], n, self.caps[l]);
            let overflow = lists
                .iter()
                .zip(std::mem::take(&mut self.overflow))
                .enumerate()
                .filter(|(_, (taken, more))| !taken.is_empty() || !more.is_empty())
                .map(|(l, (taken, more))| (l, rows.list_rows(taken).iter().map(|r| r.line).chain(more).collect()))
                .collect();
            return Ok(Job { pre, firm: Some(Err(r)), overflow });
        }
        let key = rows.push_text(key);
        Ok(Job { pre, firm: Some(Ok(FirmRow { row, key, lists })), overflow: Vec::new() })
    }

    /// The rows read from each list file.
    pub(crate) fn list_rows_read(&self) -> Vec<u64> {
        if self.streams.is_empty() {
            self.store_rows.clone()
        } else {
            self.streams.iter().map(ListStream::rows_read).collect()
        }
    }
}

/// A list file grouped by key: the store, the file's name, its key
/// column's header, the rows read and the rows rejected.
type Loaded = (ListStore, Arc<str>, String, u64, Vec<Reject>);

/// Loads the list files of the grouped mode, in list order; each on a
/// thread of its own when `apart` (the native build), which on two cores
/// takes the time of the largest file instead of the sum. An error in one
/// list is reported after the lists before it, as when loaded in turn.
fn load_stores(to_load: Vec<(Input, usize, String)>, uscc: bool, apart: bool) -> Vec<Result<Loaded, BatchError>> {
    let load = |list: usize, (mut rows, key_col, key_name): (Input, usize, String)| {
        let mut rejects = Vec::new();
        let store = ListStore::load(list, &mut rows, key_col, &key_name, uscc, &mut rejects)?;
        Ok((store, rows.file.clone(), key_name, rows.rows_read, rejects))
    };
    #[cfg(feature = "parallel")]
    if apart && to_load.len() > 1 {
        return std::thread::scope(|scope| {
            let spawn = |(list, l)| {
                let thread = std::thread::Builder::new().name(format!("sg-load-{list}"));
                thread.spawn_scoped(scope, move || load(list, l))
            };
            let loading: Vec<_> = to_load.into_iter().enumerate().map(spawn).collect();
            let joined = |t: std::io::Result<std::thread::ScopedJoinHandle<'_, _>>| match t {
                Ok(t) => t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(e) => Err(BatchError::new("batch run", None, format!("cannot start a thread: {e}"))),
            };
            loading.into_iter().map(joined).collect()
        });
    }
    let _ = apart;
    to_load.into_iter().enumerate().map(|(list, l)| load(list, l)).collect()
}
