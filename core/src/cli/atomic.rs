//! Crash-safe output files: everything a run writes goes to a temporary file
//! in the destination's directory and is renamed into place only when the
//! whole run has succeeded.
//!
//! A rename within one directory is atomic, so a reader sees either the old
//! file or the complete new one, never half of it. An interrupted run
//! (killed, out of disk, a fatal input error) leaves at most a hidden
//! `.NAME.tmp.PID` file beside the destination, which no one mistakes for
//! a result; the temporaries of a run that fails with an error are removed.
//! Written bytes are hashed on the way (SHA-256) for the run's manifest.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// An output being written to its temporary file.
pub(crate) struct Staged {
    path: PathBuf,
    tmp: PathBuf,
    file: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
}

/// A finished output, flushed and synced, waiting to be renamed into place.
/// Dropped without [`Ready::commit`], its temporary file is removed.
pub(crate) struct Ready {
    path: PathBuf,
    tmp: Option<PathBuf>,
    /// SHA-256 of the bytes written, as lowercase hex.
    pub(crate) sha256: String,
    /// Bytes written.
    pub(crate) bytes: u64,
}

impl Staged {
    /// Starts writing `path` (creating its directory if needed).
    pub(crate) fn create(path: &Path) -> Result<Staged> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
        let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
        let file = File::create(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
        Ok(Staged {
            path: path.to_path_buf(),
            tmp,
            file: BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Flushes and syncs the temporary file; the destination is not touched yet.
    pub(crate) fn finish(mut self) -> Result<Ready> {
        let tmp = std::mem::take(&mut self.tmp);
        let res = self.file.flush().and_then(|()| self.file.get_ref().sync_all());
        let ready = Ready {
            path: std::mem::take(&mut self.path),
            tmp: Some(tmp),
            sha256: hex(&std::mem::take(&mut self.hasher).finalize()),
            bytes: self.bytes,
        };
        res.with_context(|| format!("cannot write `{}`", ready.path.display()))?;
        Ok(ready)
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl Ready {
    /// Renames the temporary file into place.
    pub(crate) fn commit(mut self) -> Result<()> {
        let Some(tmp) = self.tmp.take() else { return Ok(()) };
        if let Err(e) = std::fs::rename(&tmp, &self.path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot move the finished output to `{}`", self.path.display()));
        }
        // Make the rename itself durable; not every file system allows it.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Writes a whole small file (summary, report, manifest) crash-safely.
pub(crate) fn stage_bytes(path: &Path, bytes: &[u8]) -> Result<Ready> {
    let mut s = Staged::create(path)?;
    s.write_all(bytes).with_context(|| format!("cannot write `{}`", path.display()))?;
    s.finish()
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
