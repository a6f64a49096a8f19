//! The audit manifest of a `safegrade score` run (`<out>.manifest.json`):
//! what was read, with which rules, what came out, and how to run it again.
//!
//! It records the SHA-256 of every input file and every rule file read
//! (includes and scheme steps too), the rule set and step hashes the
//! library computes, the row counts, the tool version, the as-of date, the
//! options that decide the output, and the SHA-256 of the results and
//! rejects files. Paths are relative to the manifest's directory and use
//! `/`, so the manifest moves with its files. It holds no clock time, so
//! two runs over the same inputs write byte-identical manifests.
//! `safegrade verify` reads it back (see `verify.rs`).

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};

use anyhow::{Context, Result};
use safegrade::batch::Summary;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::hex;
use super::files::read_bounded;

/// The manifest format; bumped when a field changes meaning or is added.
/// Format 1 had no summary or report entries; format 2 no `strict` and
/// `ignore` options and no ignored columns per input (every column was
/// read then, as in a strict run). Both are still read.
pub(crate) const FORMAT: u32 = 4;

/// The largest manifest `verify` reads: a manifest lists a few dozen files.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Everything recorded about one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Manifest {
    /// [`FORMAT`].
    pub(crate) manifest: u32,
    pub(crate) tool: Tool,
    /// The date firms were assessed as of (YYYY-MM-DD).
    pub(crate) as_of: String,
    /// The options that decide the output; paths relative to the manifest.
    pub(crate) options: Options,
    /// The command that re-runs the scoring, from the manifest's directory.
    pub(crate) command: Vec<String>,
    pub(crate) rules: RulesRecord,
    /// The firm file first, then the list files in the order given.
    pub(crate) inputs: Vec<InputFile>,
    pub(crate) counts: Counts,
    pub(crate) outputs: Outputs,
}

/// The program that wrote the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tool {
    pub(crate) name: String,
    pub(crate) version: String,
}

/// The `score` options that decide the output (not threads or chunk size,
/// which never change it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Options {
    pub(crate) rules: String,
    /// `--rules-root`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rules_root: Option<String>,
    pub(crate) firms: String,
    pub(crate) lists: Vec<ListOption>,
    pub(crate) key: String,
    pub(crate) carry: Vec<String>,
    /// `--ignore` (format 3 on).
    #[serde(default)]
    pub(crate) ignore: Vec<String>,
    /// `--strict` (format 3 on).
    #[serde(default)]
    pub(crate) strict: bool,
    pub(crate) by: Vec<String>,
    pub(crate) explain: bool,
    pub(crate) bom: bool,
    pub(crate) sorted: bool,
    /// `--floats`: float columns of Parquet inputs read by their shortest text.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) floats: bool,
    /// `--encoding`, when not `auto` (format 4 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<String>,
    /// `--out-encoding`, when not `utf-8` (format 4 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) out_encoding: Option<String>,
    pub(crate) out: String,
    pub(crate) rejects: String,
    /// `--summary`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    /// `--report`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<String>,
}

/// One `--list NAME=FILE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListOption {
    pub(crate) list: String,
    pub(crate) file: String,
}

/// The rules: the hashes the library computes, and every file read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesRecord {
    /// `scheme` or `ruleset`.
    pub(crate) kind: String,
    pub(crate) id: String,
    pub(crate) version: String,
    /// The scheme's or rule set's hash (`meta().hash`).
    pub(crate) hash: String,
    /// A scheme's steps; one entry (alias empty) for a rule set.
    pub(crate) steps: Vec<StepRecord>,
    /// Every rule file read, in the order read.
    pub(crate) files: Vec<FileHash>,
}

/// One step of a scheme.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepRecord {
    pub(crate) alias: String,
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) hash: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A file and the SHA-256 of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileHash {
    pub(crate) path: String,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
}

/// An input file: the firm file (`list` empty) or a list file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InputFile {
    pub(crate) list: Option<String>,
    pub(crate) path: String,
    /// The file's name in the rejects and the summary: its path as given
    /// on the command line (format 2 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shown_as: Option<String>,
    pub(crate) sha256: String,
    pub(crate) bytes: u64,
    /// The file's columns that were read by nothing (format 3 on).
    #[serde(default)]
    pub(crate) ignored_columns: Vec<String>,
    /// The encoding the file was read in, `UTF-8` or `GB18030` (format 4 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<String>,
}

/// Rows in, used and rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Counts {
    pub(crate) firms: RowCount,
    pub(crate) lists: Vec<RowCount>,
}

/// One file's accounting: rows = used + rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RowCount {
    pub(crate) list: Option<String>,
    pub(crate) rows: u64,
    /// Firms scored, or list rows attached to a scored firm.
    pub(crate) used: u64,
    pub(crate) rejected: u64,
}

/// The files the run wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Outputs {
    pub(crate) results: FileHash,
    pub(crate) rejects: FileHash,
    /// The summary JSON, when `--summary` was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<FileHash>,
    /// The HTML report, when `--report` was given. It shows the run's
    /// duration, so a re-run never reproduces it byte for byte: `verify`
    /// checks only that it was not changed after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<FileHash>,
}

impl Counts {
    pub(crate) fn of(s: &Summary) -> Counts {
        let count = |f: &safegrade::batch::FileCount| RowCount {
            list: f.list.clone(),
            rows: f.rows,
            used: f.used,
            rejected: f.rejected,
        };
        Counts { firms: count(&s.firms), lists: s.lists.iter().map(count).collect() }
    }
}

impl RulesRecord {
    /// The hashes of loaded rules; `files` is filled by the caller.
    pub(crate) fn of(rules: &safegrade::Rules, files: Vec<FileHash>) -> RulesRecord {
        match rules {
            safegrade::Rules::Set(r) => {
                let m = r.meta();
                let step = StepRecord {
                    alias: String::new(),
                    id: m.id.to_string(),
                    version: m.version.to_string(),
                    hash: m.hash.to_string(),
                };
                RulesRecord {
                    kind: "ruleset".into(),
                    id: step.id.clone(),
                    version: step.version.clone(),
                    hash: step.hash.clone(),
                    steps: vec![step],
                    files,
                }
            }
            safegrade::Rules::Scheme(s) => {
                let m = s.meta();
                let steps = s
                    .steps()
                    .map(|(alias, r)| StepRecord {
                        alias: alias.to_string(),
                        id: r.meta().id.to_string(),
                        version: r.meta().version.to_string(),
                        hash: r.meta().hash.to_string(),
                    })
                    .collect();
                RulesRecord {
                    kind: "scheme".into(),
                    id: m.id.clone(),
                    version: m.version.clone(),
                    hash: m.hash.clone(),
                    steps,
                    files,
                }
            }
        }
    }
}

/// A reader that hashes the bytes as the scorer reads them, so the manifest
/// names exactly the bytes that were scored. The hashing runs on a thread
/// of its own (`sg-hash`), off the thread that reads and joins the rows.
pub(crate) struct HashingReader<R> {
    inner: R,
    /// Sends each read's bytes to the hashing thread, which sends the
    /// buffers back to be filled again; `None` when no thread could be
    /// started, and the bytes are hashed here.
    to_hasher: Option<Hasher>,
    state: Arc<HashState>,
}

/// The most bytes sent to the hashing thread at once.
const HASHED_PIECE: usize = 1 << 20;

/// The ends of the channels to and from a hashing thread.
type Hasher = (SyncSender<Vec<u8>>, Receiver<Vec<u8>>);

/// What the hashing thread has hashed, and the bytes sent to it.
struct HashState {
    hashed: Mutex<(Sha256, u64)>,
    progress: Condvar,
    sent: AtomicU64,
}

impl HashState {
    fn add(&self, bytes: &[u8]) {
        if let Ok(mut st) = self.hashed.lock() {
            st.0.update(bytes);
            st.1 += bytes.len() as u64;
        }
        self.progress.notify_all();
    }
}

/// The other end of a [`HashingReader`].
#[derive(Clone)]
pub(crate) struct HashHandle(Arc<HashState>);

impl<R: Read> HashingReader<R> {
    pub(crate) fn new(inner: R) -> (HashingReader<R>, HashHandle) {
        let state = Arc::new(HashState {
            hashed: Mutex::new((Sha256::new(), 0)),
            progress: Condvar::new(),
            sent: AtomicU64::new(0),
        });
        // A few pieces in flight: each is up to `HASHED_PIECE` bytes of memory.
        let (to_hasher, from_reader) = sync_channel::<Vec<u8>>(2);
        let (to_reader, from_hasher) = sync_channel::<Vec<u8>>(4);
        let hashing = Arc::clone(&state);
        let thread = std::thread::Builder::new().name("sg-hash".into()).spawn(move || {
            for bytes in from_reader {
                hashing.add(&bytes);
                let _ = to_reader.try_send(bytes);
            }
        });
        let to_hasher = thread.ok().map(|_| (to_hasher, from_hasher));
        (HashingReader { inner, to_hasher, state: Arc::clone(&state) }, HashHandle(state))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // In pieces, so that a large read is not held twice.
        for piece in buf[..n].chunks(HASHED_PIECE) {
            self.state.sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
            let sent = self.to_hasher.as_ref().is_some_and(|(to, back)| {
                // A buffer the hasher is done with: fresh ones cost page faults.
                let mut bytes = back.try_recv().unwrap_or_default();
                bytes.clear();
                bytes.extend_from_slice(piece);
                to.send(bytes).is_ok()
            });
            if !sent {
                self.state.add(piece);
            }
        }
        Ok(n)
    }
}

impl HashHandle {
    /// The SHA-256 and length of everything read so far, once hashed.
    pub(crate) fn digest(&self) -> (String, u64) {
        let Ok(mut st) = self.0.hashed.lock() else { return (String::new(), 0) };
        while st.1 < self.0.sent.load(Ordering::SeqCst) {
            match self.0.progress.wait(st) {
                Ok(next) => st = next,
                Err(_) => return (String::new(), 0),
            }
        }
        (hex(&st.0.clone().finalize()), st.1)
    }
}

/// The SHA-256 and length of a regular file's bytes. Anything else (a
/// device such as `/dev/zero`, a pipe, a directory) is refused unread, so
/// a manifest naming one cannot make `verify` read forever.
pub(crate) fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n_bytes = 0u64;
    loop {
        let n = f.read(&mut buf).with_context(|| format!("cannot read `{}`", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        n_bytes += n as u64;
    }
    Ok((hex(&hasher.finalize()), n_bytes))
}

/// Opens `path` for reading when it is a regular file (symbolic links
/// followed). The type is looked up before the file is opened: opening a
/// named pipe would wait for a writer.
fn open_regular(path: &Path) -> Result<std::fs::File> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot open `{}`", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!("`{}` is not a regular file", path.display());
    }
    std::fs::File::open(path).with_context(|| format!("cannot open `{}`", path.display()))
}

/// SHA-256 of bytes in memory.
pub(crate) fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `path` made absolute and cleaned (`.` and `..` resolved lexically).
pub(crate) fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to the directory `base` (both made absolute), with `/`.
pub(crate) fn relative(path: &Path, base: &Path) -> String {
    let (path, base) = (absolute(path), absolute(base));
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return path.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".into(); b.len() - common];
    parts.extend(p[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The manifest path for an output file: `<out>.manifest.json`.
pub(crate) fn default_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".manifest.json");
    PathBuf::from(s)
}

/// The directory a file is in (`.` for a bare name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Manifest {
    /// The command line that re-runs the scoring from the manifest's directory.
    pub(crate) fn command_of(as_of: &str, o: &Options) -> Vec<String> {
        let mut c: Vec<String> = ["safegrade", "score", "--rules", &o.rules].iter().map(|s| s.to_string()).collect();
        if let Some(root) = &o.rules_root {
            c.extend(["--rules-root".into(), root.clone()]);
        }
        c.extend(["--firms".into(), o.firms.clone()]);
        for l in &o.lists {
            c.push("--list".into());
            c.push(format!("{}={}", l.list, l.file));
        }
        c.extend(["--as-of".into(), as_of.to_string(), "--key".into(), o.key.clone()]);
        if !o.carry.is_empty() {
            c.extend(["--carry".into(), o.carry.join(",")]);
        }
        if !o.ignore.is_empty() {
            c.extend(["--ignore".into(), o.ignore.join(",")]);
        }
        if o.strict {
            c.push("--strict".into());
        }
        if !o.by.is_empty() {
            c.extend(["--by".into(), o.by.join(",")]);
        }
        for (on, flag) in [(o.explain, "--explain"), (o.bom, "--bom"), (o.sorted, "--sorted"), (o.floats, "--floats")] {
            if on {
                c.push(flag.into());
            }
        }
        for (value, flag) in [(&o.encoding, "--encoding"), (&o.out_encoding, "--out-encoding")] {
            if let Some(v) = value {
                c.extend([flag.into(), v.clone()]);
            }
        }
        c.extend(["--out".into(), o.out.clone(), "--rejects".into(), o.rejects.clone()]);
        for (path, flag) in [(&o.summary, "--summary"), (&o.report, "--report")] {
            if let Some(p) = path {
                c.extend([flag.into(), p.clone()]);
            }
        }
        c
    }

    /// Reads a manifest file of at most [`MAX_MANIFEST_BYTES`].
    pub(crate) fn read(path: &Path) -> Result<Manifest> {
        let cannot = || format!("cannot read `{}`", path.display());
        let bytes = read_bounded(open_regular(path).with_context(cannot)?, MAX_MANIFEST_BYTES).with_context(cannot)?;
        let text = String::from_utf8(bytes).with_context(|| format!("`{}` is not UTF-8", path.display()))?;
        let m: Manifest =
            serde_json::from_str(&text).with_context(|| format!("`{}` is not a safegrade manifest", path.display()))?;
        if !(1..=FORMAT).contains(&m.manifest) {
            anyhow::bail!(
                "`{}`: manifest format {} is not supported (this tool reads {FORMAT})",
                path.display(),
                m.manifest
            );
        }
        Ok(m)
    }

    /// The manifest as written: pretty JSON and a final newline.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
