//! Diagnostics: what the parse and check stages report about a rule file.
//!
//! A [`Diagnostic`] carries a stable [`Code`] (`R0001` …), a message, the source
//! span it is about, and a help line. Spans are byte offsets into the text of
//! one file of a [`SourceMap`]; lines and columns (both 1-based) are computed
//! only when a diagnostic is rendered, so every stage works on offsets alone.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use serde::Serialize;

mod code;

pub use code::Code;

/// Index of a file in a [`SourceMap`].
pub type FileId = usize;

/// A byte range in one source file. Offsets are 0-based byte offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span in `file` covering `range`.
    pub fn new(file: FileId, range: Range<usize>) -> Span {
        Span { file, start: range.start, end: range.end }
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The rule file cannot be used.
    Error,
    /// The rule file works but probably does not say what was meant.
    Warning,
}

/// One problem found in a rule file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable code, documented in `docs/RULES.md`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong: lowercase, no trailing period.
    pub message: String,
    /// Where; `None` for problems that concern a whole file.
    pub span: Option<Span>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and `message` at `span`.
    pub fn error(code: Code, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, severity: Severity::Error, message: message.into(), span, help: None }
    }

    /// A warning with `code` and `message` at `span`.
    pub fn warning(code: Code, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { code, severity: Severity::Warning, message: message.into(), span, help: None }
    }

    /// The same diagnostic with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Whether this diagnostic stops the rule file from being used.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The texts of the files a rule set was loaded from.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

/// A resolved position: file name, 1-based line and 1-based column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// File name as given when loading.
    pub file: String,
    /// Line, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

impl SourceMap {
    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile { name: name.into(), text, line_starts });
        self.files.len() - 1
    }

    /// The file added as `name` with this text, if there is one: a file
    /// read again (an include shared by scheme steps) keeps its id.
    pub(crate) fn find(&self, name: &str, text: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.name == name && f.text == text)
    }

    /// The text of a file.
    pub fn text(&self, file: FileId) -> &str {
        &self.files[file].text
    }

    /// The name of a file.
    pub fn name(&self, file: FileId) -> &str {
        &self.files[file].name
    }

    /// Resolves the start of a span to a line and column.
    pub fn locate(&self, span: Span) -> Location {
        let f = &self.files[span.file];
        let offset = span.start.min(f.text.len());
        let line_idx = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let line_start = f.line_starts[line_idx];
        let column = f.text.get(line_start..offset).map_or(1, |s| s.chars().count() + 1);
        Location { file: f.name.clone(), line: line_idx + 1, column }
    }

    fn line_text(&self, span: Span) -> &str {
        let f = &self.files[span.file];
        let offset = span.start.min(f.text.len());
        let line_idx = f.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = f.line_starts[line_idx];
        let end = f.line_starts.get(line_idx + 1).map_or(f.text.len(), |&e| e);
        f.text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }

    /// Renders a diagnostic for people: `error[R0001]: message`, the location,
    /// the source line with a caret under the span, and the help line.
    ///
    /// Every control character but tab, in the message, the source line or a
    /// file name, is shown as an escape (`\u{1b}`, `\r`): a rule file, or a
    /// file it names, cannot move the cursor, clear the screen or retitle
    /// the terminal of whoever reads its diagnostics.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = String::new();
        let sev = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{sev}[{}]: {}", d.code, visible(&d.message));
        if let Some(span) = d.span {
            let loc = self.locate(span);
            let line = self.line_text(span);
            let gutter = loc.line.to_string().len();
            let _ = writeln!(out, "{:gutter$}--> {}:{}:{}", "", visible(&loc.file), loc.line, loc.column);
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", loc.line, visible(line));
            let width = self.files[span.file]
                .text
                .get(span.start..span.end.max(span.start))
                .map_or(1, |s| s.lines().next().unwrap_or("").chars().map(shown_width).sum::<usize>().max(1));
            let pad: String = line
                .chars()
                .take(loc.column - 1)
                .flat_map(|c| {
                    let blank = if c == '\t' { '\t' } else { ' ' };
                    std::iter::repeat_n(blank, shown_width(c))
                })
                .collect();
            let _ = writeln!(out, "{:gutter$} | {pad}{}", "", "^".repeat(width));
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  = help: {}", visible(help));
        }
        out
    }

    /// A diagnostic as a JSON-ready value with its location resolved.
    pub fn to_json(&self, d: &Diagnostic) -> serde_json::Value {
        let loc = d.span.map(|s| self.locate(s));
        serde_json::json!({
            "code": d.code,
            "severity": d.severity,
            "message": d.message,
            "file": loc.as_ref().map(|l| l.file.clone()),
            "line": loc.as_ref().map(|l| l.line),
            "column": loc.as_ref().map(|l| l.column),
            "help": d.help,
        })
    }
}

/// Whether `c` is shown as an escape: a control character other than tab.
fn hidden(c: char) -> bool {
    c.is_control() && c != '\t'
}

/// How many characters `c` takes when shown.
fn shown_width(c: char) -> usize {
    if hidden(c) {
        c.escape_debug().count()
    } else {
        1
    }
}

/// `text` with every control character but tab written as an escape
/// (`\u{1b}`, `\r`), so text from a rule file or a firm's data cannot drive
/// a terminal. The command line passes every line it prints through it.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The closest of `candidates` to `name`, for "did you mean" help lines.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(name, c);
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
