//! The grouped join's list side: every record of a list source kept,
//! compactly encoded, in a map from key to records until its firm comes
//! by; what is left at the end has no firm.

use std::collections::HashMap;
use std::sync::Arc;

use compact_str::CompactString;
use smallvec::SmallVec;

use super::check::{field_count_problem, key_of, keyless, no_firm};
use super::error::BatchError;
use super::packed::{Packed, RowAt};
use super::reject::Reject;
use super::rows::Input;

/// A map keyed by firm key. Short keys (a USCC's 18 characters) are held
/// inline and hashed with foldhash (seeded per run): with a million
/// shuffled keys, SipHash and a separate allocation per key to compare
/// against were two cache misses per lookup.
pub(crate) type KeyMap<V> = HashMap<CompactString, V, foldhash::fast::RandomState>;

/// Every record of one list file, grouped by key in memory.
///
/// Records are appended in file order to an [`Arena`], each starting with
/// the address of the record before it with the same key (plus one; 0 for
/// a key's first), and the map holds each key's latest record: adding a
/// record touches only the map's entry and the arena's end, and nothing
/// is moved or reallocated as a key gains records. A record is then, as
/// LEB128 varints (one to three bytes each, mostly one): its line; twice
/// the number of cells kept, plus one for a row that runs over line ends
/// (in quoted fields) or has a field count of its own, which the lines it
/// runs over and its field count follow; and each cell's length, followed
/// by its bytes. The key cell, when it is
/// written as the key, is stored as empty (a key is never empty) and
/// restored from the map.
pub(crate) struct ListStore {
    latest: KeyMap<u64>,
    arena: Arena,
    key_col: usize,
    /// The header's field count.
    n_cols: usize,
    /// Whether the good keys came in ascending order, as a sorted run needs.
    pub(crate) in_key_order: bool,
}

impl ListStore {
    /// Reads a whole list file.
    pub(crate) fn load(
        list: usize,
        rows: &mut Input,
        key_col: usize,
        key_name: &str,
        uscc: bool,
        rejects: &mut Vec<Reject>,
    ) -> Result<ListStore, BatchError> {
        let mut store = ListStore {
            latest: KeyMap::default(),
            arena: Arena::default(),
            key_col,
            n_cols: rows.n_cols,
            in_key_order: true,
        };
        let mut read = Packed::default();
        let mut encoded = Vec::new();
        // The key of the last row with a good key; empty before the first.
        // A row with a bad key in between leaves it, as `ListStream` does.
        let mut last_key = String::new();
        loop {
            read.clear();
            let Some(row) = rows.next(&mut read)? else { break };
            let cell = read.cell(row, key_col);
            // A firm's records often follow each other: the key of the row
            // before was checked then (sound while `key_of` gives back a
            // key it has normalised unchanged: trimmed, upper case).
            if last_key.is_empty() || crate::input::trim(cell) != last_key {
                match key_of(cell, uscc, &rows.file, row.line, key_name) {
                    Err(r) => {
                        rejects.push(keyless(r, row, rows.n_cols, Some(list)));
                        continue;
                    }
                    Ok(key) => {
                        store.in_key_order &= *key >= *last_key;
                        last_key = key.into_owned();
                    }
                }
            }
            let key = last_key.as_str();
            let latest = store.latest.entry(CompactString::from(key)).or_insert(NO_RECORD);
            encoded.clear();
            put_varint(&mut encoded, if *latest == NO_RECORD { 0 } else { *latest + 1 });
            put_varint(&mut encoded, row.line);
            let unusual = row.more_lines != 0 || row.fields as usize != row.len;
            put_varint(&mut encoded, (row.len as u64) << 1 | u64::from(unusual));
            if unusual {
                put_varint(&mut encoded, u64::from(row.more_lines));
                put_varint(&mut encoded, u64::from(row.fields));
            }
            for i in 0..row.len {
                let f = read.cell(row, i);
                let f = if i == key_col && f == key { "" } else { f };
                put_varint(&mut encoded, f.len() as u64);
                encoded.extend_from_slice(f.as_bytes());
            }
            *latest = store.arena.push(&encoded);
        }
        Ok(store)
    }

    /// Takes the records of `key`: at most `cap` into `packed`'s list
    /// rows, the lines of the rest into `overflow`.
    pub(crate) fn take(&mut self, key: &str, cap: usize, packed: &mut Packed, overflow: &mut Vec<u64>) {
        let Some(latest) = self.latest.remove(key) else { return };
        let chain = self.chain(latest);
        for (i, &at) in chain.iter().rev().enumerate() {
            let record = self.arena.at(at);
            if i < cap {
                decode(record, (self.key_col, key), packed);
            } else {
                overflow.push(take_head(&mut &*record).line);
            }
        }
    }

    /// The addresses of a key's records from its latest, newest first.
    fn chain(&self, latest: u64) -> SmallVec<[u64; 8]> {
        let mut chain = SmallVec::new();
        let mut at = latest;
        loop {
            chain.push(at);
            match take_varint(&mut self.arena.at(at)) {
                0 => return chain,
                prev => at = prev - 1,
            }
        }
    }

    /// Every record left: they have no firm. Sorted by line.
    pub(crate) fn finish(self, list: usize, file: &Arc<str>, key_name: &str, rejects: &mut Vec<Reject>) {
        let mut left: Vec<Reject> = Vec::new();
        for (key, &latest) in &self.latest {
            for at in self.chain(latest) {
                let head = take_head(&mut self.arena.at(at));
                let problem = field_count_problem(head, self.n_cols);
                left.push(no_firm(file, list, head.line, key_name, key, problem));
            }
        }
        left.sort_unstable_by_key(|r| r.line);
        rejects.extend(left);
    }
}

/// The map value of a key with no record yet (never an address: an
/// arena would need 2^42 blocks).
const NO_RECORD: u64 = u64::MAX;

/// Bytes kept in blocks that never move, so growing costs no copy and no
/// page is touched twice. An address is `block << BLOCK_BITS | offset`.
#[derive(Default)]
pub(super) struct Arena {
    blocks: Vec<Vec<u8>>,
}

/// A block holds 4 MiB; a longer record gets a block of its own.
const BLOCK_BITS: u32 = 22;

impl Arena {
    /// Appends `bytes` and returns their address.
    pub(super) fn push(&mut self, bytes: &[u8]) -> u64 {
        let fits =
            self.blocks.last().is_some_and(|b| b.capacity() - b.len() >= bytes.len() && b.len() < 1 << BLOCK_BITS);
        if !fits {
            self.blocks.push(Vec::with_capacity(bytes.len().max(1 << BLOCK_BITS)));
        }
        let n = self.blocks.len() - 1;
        let block = &mut self.blocks[n];
        let offset = block.len();
        block.extend_from_slice(bytes);
        (n as u64) << BLOCK_BITS | offset as u64
    }

    /// The bytes from `at` to the end of its block.
    pub(super) fn at(&self, at: u64) -> &[u8] {
        let block = usize::try_from(at >> BLOCK_BITS).ok().and_then(|b| self.blocks.get(b));
        let offset = (at & ((1 << BLOCK_BITS) - 1)) as usize;
        block.and_then(|b| b.get(offset..)).unwrap_or_default()
    }
}

/// Appends `n` as a LEB128 varint: seven bits a byte, low bits first.
pub(crate) fn put_varint(buf: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        buf.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// Takes a varint written by [`put_varint`] off the front of `buf`.
pub(crate) fn take_varint(buf: &mut &[u8]) -> u64 {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let Some((&b, rest)) = buf.split_first() else { break };
        *buf = rest;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
    }
    n
}

/// Takes the head of a record written by [`ListStore::load`] off the
/// front of `buf`: its lines and field count, as a row with no cells.
fn take_head(buf: &mut &[u8]) -> RowAt {
    let _previous = take_varint(buf);
    let line = take_varint(buf);
    let len_and_unusual = take_varint(buf);
    let len = len_and_unusual >> 1;
    let (more_lines, fields) = if len_and_unusual & 1 == 1 {
        let more_lines = take_varint(buf);
        (more_lines, take_varint(buf))
    } else {
        (0, len)
    };
    let u32_of = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    RowAt {
        line,
        more_lines: u32_of(more_lines),
        fields: u32_of(fields),
        first: 0,
        len: usize::try_from(len).unwrap_or(0),
    }
}

/// Decodes one record written by [`ListStore::load`] into `packed`'s list
/// rows. `key` is the key column and the key, for the cell stored empty.
fn decode(mut buf: &[u8], key: (usize, &str), packed: &mut Packed) {
    fn take<'a>(buf: &mut &'a [u8], n: u64) -> &'a [u8] {
        let (head, tail) = buf.split_at(usize::try_from(n).unwrap_or(usize::MAX).min(buf.len()));
        *buf = tail;
        head
    }
    let head = take_head(&mut buf);
    let first = packed.cells();
    for i in 0..head.len {
        let len = take_varint(&mut buf);
        // The bytes were UTF-8 cells when stored.
        match std::str::from_utf8(take(&mut buf, len)).unwrap_or_default() {
            "" if i == key.0 => packed.push_text(key.1),
            cell => packed.push_text(cell),
        };
    }
    packed.list_rows.push(RowAt { first, ..head });
}
