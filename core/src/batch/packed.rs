//! Rows packed for the workers: the text of every cell of a chunk in one
//! buffer, where each cell ends, and each row as a small copyable handle
//! ([`RowAt`]) that names its line and its cells. Whatever the source of
//! the rows, they reach the join and the workers in this one form, so
//! reading allocates nothing per row and a chunk's rows are laid out in
//! order.

use std::ops::Range;

/// A row kept in a [`Packed`]: its line, the lines after it that it runs
/// over (line ends in quoted fields), its field count, and which of the
/// cells are its: all of them, or for a row with more fields than the
/// header, only as many as the header has.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowAt {
    pub(crate) line: u64,
    pub(crate) more_lines: u32,
    /// The fields read (at most `u32::MAX` counted).
    pub(crate) fields: u32,
    pub(crate) first: usize,
    pub(crate) len: usize,
}

/// The rows of one chunk, packed: the text of every cell in one buffer,
/// where each cell ends, and the list rows joined to the chunk's firms.
#[derive(Debug)]
pub(crate) struct Packed {
    text: String,
    /// `ends[i]..ends[i + 1]` is cell `i`; starts with 0.
    ends: Vec<usize>,
    /// The list rows of the chunk's firms; a firm holds a range per list.
    pub(crate) list_rows: Vec<RowAt>,
}

impl Default for Packed {
    fn default() -> Packed {
        Packed { text: String::new(), ends: vec![0], list_rows: Vec::new() }
    }
}

impl Packed {
    /// The cells held; the index the next cell pushed gets.
    #[inline]
    pub(crate) fn cells(&self) -> usize {
        self.ends.len() - 1
    }

    /// Appends cells given as one text and the length of each, in order;
    /// when a cell would end inside a character, appends nothing and
    /// gives false.
    pub(crate) fn push_cells(&mut self, text: &str, lens: impl Iterator<Item = usize>) -> bool {
        let first = self.cells();
        let start = self.text.len();
        self.text.push_str(text);
        let mut end = start;
        let mut on_boundaries = true;
        self.ends.extend(lens.map(|len| {
            end += len;
            on_boundaries &= self.text.is_char_boundary(end);
            end
        }));
        if !on_boundaries {
            self.truncate(first);
        }
        on_boundaries
    }

    /// Copies a row of another `Packed`.
    pub(crate) fn push_copy(&mut self, from: &Packed, row: RowAt) -> RowAt {
        let first = self.cells();
        let (start, end) = (from.ends[row.first], from.ends[row.first + row.len]);
        let base = self.text.len();
        self.text.push_str(&from.text[start..end]);
        self.ends.extend(from.ends[row.first + 1..=row.first + row.len].iter().map(|e| e - start + base));
        RowAt { first, ..row }
    }

    /// Keeps only the first `n` cells of the row just pushed.
    pub(crate) fn keep_cells(&mut self, row: &mut RowAt, n: usize) {
        if row.len > n {
            self.truncate(row.first + n);
            row.len = n;
        }
    }

    /// Drops the cells from `first` on.
    pub(crate) fn truncate(&mut self, first: usize) {
        self.text.truncate(self.ends[first]);
        self.ends.truncate(first + 1);
    }

    /// The bytes its buffers hold.
    #[cfg(feature = "parallel")]
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.list_rows.capacity() * std::mem::size_of::<RowAt>()
    }

    /// Empties it, keeping its buffers.
    pub(crate) fn clear(&mut self) {
        self.truncate(0);
        self.list_rows.clear();
    }

    /// Adds one cell; returns its index.
    #[inline]
    pub(crate) fn push_text(&mut self, text: &str) -> usize {
        self.text.push_str(text);
        self.ends.push(self.text.len());
        self.ends.len() - 2
    }

    /// Appends a cell whose text `write` appends to the packed text; when
    /// it fails, what it appended goes and no cell is added.
    pub(crate) fn push_with<E>(&mut self, write: impl FnOnce(&mut String) -> Result<(), E>) -> Result<(), E> {
        let start = self.text.len();
        match write(&mut self.text) {
            Ok(()) => {
                self.ends.push(self.text.len());
                Ok(())
            }
            Err(e) => {
                self.text.truncate(start);
                Err(e)
            }
        }
    }

    /// The text of cell `i`, as returned by [`Packed::push_text`].
    #[inline]
    pub(crate) fn text(&self, i: usize) -> &str {
        &self.text[self.ends[i]..self.ends[i + 1]]
    }

    /// The bytes of `n` cells from cell `first` on, together.
    #[inline]
    pub(crate) fn text_len(&self, first: usize, n: usize) -> usize {
        self.ends[first + n] - self.ends[first]
    }

    /// The text of all a row's cells, one after another.
    #[inline]
    pub(crate) fn row_text(&self, row: RowAt) -> &str {
        &self.text[self.ends[row.first]..self.ends[row.first + row.len]]
    }

    /// The text of a row's cell; empty when the row has no such column.
    #[inline]
    pub(crate) fn cell(&self, row: RowAt, col: usize) -> &str {
        if col < row.len {
            self.text(row.first + col)
        } else {
            ""
        }
    }

    /// The list rows in `range`.
    #[inline]
    pub(crate) fn list_rows(&self, range: &Range<usize>) -> &[RowAt] {
        &self.list_rows[range.clone()]
    }
}
