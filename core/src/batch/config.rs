//! How a batch run reads and writes: the key, carried and ignored columns,
//! the output format, the sorted join, parallelism, and the limits on
//! fields, rows and columns, with their defaults.

use chrono::NaiveDate;

/// How results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    JsonLines,
    /// Each cell as its length in bytes (4 bytes, little-endian) then its
    /// UTF-8 text, as computed: no quoting, no formula neutralisation, no
    /// row ends. The results' header is their names as cells, the rejects
    /// have none; a row has as many cells as the header (the rejects six).
    /// For writers of typed formats (Arrow, Parquet) that read the cells
    /// back into columns.
    Cells,
}

/// How a batch run reads and writes.
#[derive(Clone, Debug)]
pub struct BatchConfig {
    /// The date firms are assessed as of.
    pub as_of: NaiveDate,
    /// The key column, in the firm file and in every list file. When it is
    /// `uscc` the key is checked as a 统一社会信用代码 (check character
    /// included); any other key is free text up to 64 characters.
    pub key: String,
    /// Firm columns that are not inputs, passed through to the output.
    pub carry: Vec<String>,
    /// Columns to ignore in any file, whatever their names: not read, and
    /// not checked for being close to an input's name. Each must be in
    /// some file.
    pub ignore: Vec<String>,
    /// Refuse every column that is not the key, an input (a field, in a
    /// list file), carried or ignored. Otherwise such a column is ignored
    /// (and listed in the [`Summary`](super::Summary)) unless its name is close to that of
    /// an input no column gives, which stops the run with a did-you-mean.
    pub strict: bool,
    /// Carried columns to count grades by in the [`Summary`](super::Summary) (sector, region).
    pub breakdown: Vec<String>,
    /// Add every fired item (with its points) and override to the output.
    pub explain: bool,
    /// CSV or JSON lines.
    pub format: OutputFormat,
    /// The rejects as CSV (`file,line,column,key,reason,reason_code`, with
    /// a header line) or as JSON lines, one object of those members per
    /// reject.
    pub rejects_format: OutputFormat,
    /// Start CSV output (results and rejects) with a UTF-8 BOM, for Excel.
    pub bom: bool,
    /// The firm file and every list file are in ascending key order: join
    /// them as they stream, in memory that does not grow with the number of
    /// firms. A row out of order is a fatal error.
    pub sorted: bool,
    /// Firms per unit of parallel work, from 1 to [`MAX_CHUNK_SIZE`]; a
    /// value outside is taken as the nearest of the two. It changes the
    /// memory held and the speed, never the output.
    pub chunk_size: usize,
    /// Worker threads (0: one per core). Ignored without the `parallel` feature.
    pub threads: usize,
    /// The longest field of a CSV file accepted, in bytes; a longer one is
    /// a fatal error.
    pub max_field_bytes: usize,
    /// The longest row of a CSV file accepted, in bytes (quotes and
    /// separators included); checked as the bytes are read, so memory
    /// stays bounded.
    pub max_row_bytes: usize,
    /// The most columns a header may have (of the firm source and of each
    /// list source, in any format).
    pub max_columns: usize,
}

/// The default [`BatchConfig::max_field_bytes`]: 1 MiB.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// The default [`BatchConfig::max_row_bytes`]: 16 MiB.
pub const DEFAULT_MAX_ROW_BYTES: usize = 16 << 20;

/// The largest [`BatchConfig::chunk_size`]: 65,536 firms, 16 times the
/// default. A chunk of usual firms holds about 1.5 KB a firm, some 100 MB
/// at this size, and the pipeline holds up to seven chunks at once (two in
/// each channel, one each being read, scored and written): under 1 GB.
pub const MAX_CHUNK_SIZE: usize = 65_536;

/// The default [`BatchConfig::max_columns`]: 4,096, eighty times the 52
/// columns of the bundled sample's firm file.
pub const DEFAULT_MAX_COLUMNS: usize = 4096;

impl BatchConfig {
    /// The defaults: key `uscc`, CSV results and rejects, unsorted, columns the rules do not
    /// read ignored, chunks of 4096 firms, every core, fields up to 1 MiB,
    /// rows up to 16 MiB and 4,096 columns.
    pub fn new(as_of: NaiveDate) -> BatchConfig {
        BatchConfig {
            as_of,
            key: "uscc".into(),
            carry: Vec::new(),
            ignore: Vec::new(),
            strict: false,
            breakdown: Vec::new(),
            explain: false,
            format: OutputFormat::Csv,
            rejects_format: OutputFormat::Csv,
            bom: false,
            sorted: false,
            chunk_size: 4096,
            threads: 0,
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
            max_columns: DEFAULT_MAX_COLUMNS,
        }
    }
}
