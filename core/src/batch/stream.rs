//! The sorted join's list side: a list source read in step with the
//! sorted firm source, one row ahead, so memory stays flat. A row whose
//! key cannot be read is rejected alone; a row whose key is smaller than
//! the firm's being joined has no firm; a key smaller than the one before
//! stops the run.

use super::check::{self, field_count_problem, key_of, keyless, out_of_order};
use super::error::BatchError;
use super::packed::{Packed, RowAt};
use super::reject::Reject;
use super::rows::Input;

/// A sorted list file, read in step with the sorted firm file.
pub(crate) struct ListStream {
    pub(crate) list: usize,
    rows: Input,
    key_col: usize,
    key_name: String,
    uscc: bool,
    /// The row read ahead, the next with a good key, if there is one.
    ahead: Packed,
    peeked: Option<RowAt>,
    /// The key of the last row with a good key (the peeked row's, when
    /// there is one; empty before the first): the largest so far.
    last_key: String,
    done: bool,
}

impl ListStream {
    pub(crate) fn new(list: usize, rows: Input, key_col: usize, key_name: String, uscc: bool) -> ListStream {
        ListStream {
            list,
            rows,
            key_col,
            key_name,
            uscc,
            ahead: Packed::default(),
            peeked: None,
            last_key: String::new(),
            done: false,
        }
    }

    pub(crate) fn rows_read(&self) -> u64 {
        self.rows.rows_read
    }

    /// Fills `peeked`, sending rows with bad keys to `rejects`.
    fn fill(&mut self, rejects: &mut Vec<Reject>) -> Result<(), BatchError> {
        while self.peeked.is_none() && !self.done {
            self.ahead.clear();
            let Some(row) = self.rows.next(&mut self.ahead)? else {
                self.done = true;
                break;
            };
            let line = row.line;
            let cell = self.ahead.cell(row, self.key_col);
            if !self.last_key.is_empty() && crate::input::trim(cell) == self.last_key {
                // The key of the row before, checked then: the usual case, a
                // firm's next record. (Sound while `key_of` gives a key it
                // has normalised back unchanged: trimmed, upper case.)
                self.peeked = Some(row);
                continue;
            }
            match key_of(cell, self.uscc, &self.rows.file, line, &self.key_name) {
                Err(r) => rejects.push(keyless(r, row, self.rows.n_cols, Some(self.list))),
                Ok(key) => {
                    if *key < *self.last_key {
                        return Err(out_of_order(&self.rows.file, line, &key, &self.last_key));
                    }
                    if *key != *self.last_key {
                        self.last_key.clear();
                        self.last_key.push_str(&key);
                    }
                    self.peeked = Some(row);
                }
            }
        }
        Ok(())
    }

    /// Takes the rows for `key`, at most `cap` of them into `packed`'s list
    /// rows and the lines of the rest into `overflow`; rows with smaller
    /// keys have no firm.
    pub(crate) fn take(
        &mut self,
        key: &str,
        cap: usize,
        packed: &mut Packed,
        overflow: &mut Vec<u64>,
        rejects: &mut Vec<Reject>,
    ) -> Result<(), BatchError> {
        let start = packed.list_rows.len();
        loop {
            self.fill(rejects)?;
            let Some(row) = self.peeked else { return Ok(()) };
            match (*self.last_key).cmp(key) {
                std::cmp::Ordering::Greater => return Ok(()),
                std::cmp::Ordering::Equal => {
                    self.peeked = None;
                    if packed.list_rows.len() - start < cap {
                        let row = packed.push_copy(&self.ahead, row);
                        packed.list_rows.push(row);
                    } else {
                        overflow.push(row.line);
                    }
                }
                std::cmp::Ordering::Less => {
                    self.peeked = None;
                    rejects.push(self.no_firm(row));
                }
            }
        }
    }

    /// Everything left has no firm.
    pub(crate) fn finish(&mut self, rejects: &mut Vec<Reject>) -> Result<(), BatchError> {
        loop {
            self.fill(rejects)?;
            let Some(row) = self.peeked.take() else { return Ok(()) };
            rejects.push(self.no_firm(row));
        }
    }

    /// The reject of the row read ahead, whose key has no firm.
    fn no_firm(&self, row: RowAt) -> Reject {
        let broken = field_count_problem(row, self.rows.n_cols);
        check::no_firm(&self.rows.file, self.list, row.line, &self.key_name, &self.last_key, broken)
    }
}
