//! The CSV file read in blocks gives what the whole file read as one gives:
//! the same rows, cells and lines, and the same error after the same rows,
//! whatever the block size and whether blocks are parsed on other threads.

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::batch::rows::RowSource;

/// What a source gives: the header or its error, then each row's lines
/// and cells, then the end or the error that ended it.
fn read_all(mut rows: Box<dyn RowSource>) -> Vec<String> {
    let mut got = Vec::new();
    match rows.header() {
        Ok(h) => got.push(format!("header {} {:?}", h.line, h.names)),
        Err(e) => {
            got.push(format!("header error {e}"));
            return got;
        }
    }
    let mut packed = Packed::default();
    loop {
        let first = packed.cells();
        match rows.next_row(&mut RowCells { packed: &mut packed }) {
            Ok(Some(lines)) => {
                let cells: Vec<&str> = (first..packed.cells()).map(|c| packed.text(c)).collect();
                got.push(format!("{}-{} {cells:?}", lines.first, lines.last));
            }
            Ok(None) => {
                got.push("end".into());
                return got;
            }
            Err(e) => {
                got.push(format!("error {e}"));
                return got;
            }
        }
    }
}

fn limits(row: usize) -> Limits {
    Limits { field: 64, row, columns: 100 }
}

/// Gives its bytes, at most `step` at a time, then fails at `fails_at`
/// (if that is within them).
struct Reader {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
    fails_at: Option<usize>,
}

impl std::io::Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = self.fails_at.unwrap_or(usize::MAX).min(self.bytes.len());
        if self.at == end && self.fails_at.is_some_and(|f| f <= self.bytes.len()) {
            return Err(std::io::Error::other("the disk failed"));
        }
        let n = buf.len().min(self.step).min(end - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn source(bytes: &[u8], step: usize, fails_at: Option<usize>) -> Source {
    Source::new("f.csv", Reader { bytes: bytes.to_vec(), at: 0, step, fails_at })
}

fn whole(bytes: &[u8], row: usize) -> Vec<String> {
    read_all(Box::new(CsvRows::new(source(bytes, usize::MAX, None), limits(row))))
}

fn in_blocks(bytes: &[u8], row: usize, block: usize, threads: bool) -> Vec<String> {
    let mut rows = CsvBlocks::with_block(source(bytes, usize::MAX, None), limits(row), block);
    if threads {
        rows.read_ahead(Arc::new(|job| {
            std::thread::spawn(job);
        }));
    }
    read_all(Box::new(rows))
}

/// Bytes that are mostly CSV: fields, quotes, commas, line ends of every
/// kind, blank lines, a byte order mark, bytes that are not UTF-8.
fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => Just(b"ab".to_vec()),
        3 => Just(b",".to_vec()),
        3 => Just(b"\n".to_vec()),
        2 => Just(b"\"".to_vec()),
        1 => Just(b"\"\"".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b"\r".to_vec()),
        1 => Just("是".as_bytes().to_vec()),
        1 => Just(b"\xEF\xBB\xBF".to_vec()),
        1 => Just(b"\xE6".to_vec()),
        1 => Just(vec![b'x'; 40]),
    ];
    proptest::collection::vec(piece, 0..60).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn blocks_read_as_the_whole_file(bytes in csv_bytes(), block in 1usize..40, threads in any::<bool>()) {
        // A row limit of 2 KiB: long rows and unclosed quotes meet it.
        prop_assert_eq!(in_blocks(&bytes, 2048, block, threads), whole(&bytes, 2048));
    }

    #[test]
    fn a_failed_read_ends_the_rows_as_in_the_whole_file(bytes in csv_bytes(), fails_at in 0usize..400, block in 1usize..40) {
        // The file read in steps of 7 bytes, as a slow disk gives them.
        let whole = read_all(Box::new(CsvRows::new(source(&bytes, 7, Some(fails_at)), limits(2048))));
        let blocks = CsvBlocks::with_block(source(&bytes, 7, Some(fails_at)), limits(2048), block);
        prop_assert_eq!(read_all(Box::new(blocks)), whole);
    }

    #[test]
    fn the_cut_is_where_the_csv_reader_ends_a_row(bytes in csv_bytes()) {
        // Parsed apart at the cut, the two halves give the rows the whole gives.
        let records = |b: &[u8]| -> Vec<Vec<Vec<u8>>> {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_reader(b);
            r.byte_records().map(|rec| rec.expect("bytes in memory").iter().map(<[u8]>::to_vec).collect()).collect()
        };
        // The bytes follow a row, as a block's do.
        let file = [b"h\n".as_slice(), &bytes].concat();
        if let Some(cut) = last_row_end(&bytes).map(|c| c + 2) {
            prop_assert_eq!(file[cut - 1], b'\n');
            let mut apart = records(&file[..cut]);
            apart.extend(records(&file[cut..]));
            // A byte order mark is taken off only at the start of a reader.
            if !file[cut..].starts_with(b"\xEF\xBB\xBF") {
                prop_assert_eq!(apart, records(&file));
            }
        }
    }
}

#[test]
fn the_cut_follows_quotes() {
    assert_eq!(last_row_end(b"a,b\nc,d"), Some(4));
    assert_eq!(last_row_end(b"a,\"b\nc\",d"), None);
    assert_eq!(last_row_end(b"a,\"b\nc\",d\ne"), Some(10));
    // A quote inside an unquoted field is a character.
    assert_eq!(last_row_end(b"a\"b\nc"), Some(4));
    // A doubled quote stays in the quoted field.
    assert_eq!(last_row_end(b"\"a\"\"\nb\"\nc"), Some(8));
    // After a closing quote the rest of the field is literal, quotes too.
    assert_eq!(last_row_end(b"\"a\"b\"\nc"), Some(6));
    // A quote at the end of the bytes cannot be told yet.
    assert_eq!(last_row_end(b"x\n\"a\""), Some(2));
    // Nor a quoted field still open.
    assert_eq!(last_row_end(b"x\n\"a"), Some(2));
}

#[test]
fn a_row_longer_than_the_limit_fails_as_in_the_whole_file() {
    let mut bytes = b"h\nshort\n\"".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 300_000));
    bytes.extend(b"\"\nlast\n");
    let want = whole(&bytes, 100_000);
    assert!(want.last().is_some_and(|l| l.contains("longer than")), "{want:?}");
    assert_eq!(in_blocks(&bytes, 100_000, 4096, true), want);
}
