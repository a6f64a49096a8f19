//! Crash-safe output files: everything a run writes goes to a temporary file
//! in the destination's directory, and the whole set is renamed into place
//! only when the whole run has succeeded.
//!
//! A rename within one directory is atomic, so a reader sees either the old
//! file or the complete new one, never half of it. Every destination is
//! checked twice: when its temporary file is created, before the run, and
//! again, all of them, before the first rename. The renames then go in
//! order, the manifest last; should one still fail, the files already
//! renamed are put back from hard links (`.NAME.old.PID`) made to the old
//! files just before, so a run replaces all its outputs or none, as far as
//! the file system allows. A run killed outright (SIGKILL, a power cut)
//! leaves at most hidden `.NAME.tmp.PID` files beside the destinations
//! (and, killed during the renames, the `.NAME.old.PID` links), which no
//! one mistakes for results; the temporaries of a run that fails with an
//! error (out of disk, a fatal input error, a panic) are removed, and so
//! are those of a run stopped by SIGINT, SIGTERM or SIGHUP, which then ends
//! by that signal.
//! A signal that comes during the renames waits for them to be done or
//! undone. Written bytes are hashed on the way (SHA-256) for the run's
//! manifest.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// An output being written to its temporary file.
pub(crate) struct Staged {
    what: String,
    path: PathBuf,
    tmp: PathBuf,
    file: BufWriter<File>,
    hasher: Sha256,
    bytes: u64,
}

/// A finished output, flushed and synced, waiting to be renamed into place
/// by [`commit_all`]. Dropped before, its temporary file is removed.
pub(crate) struct Ready {
    what: String,
    path: PathBuf,
    tmp: Option<PathBuf>,
    /// SHA-256 of the bytes written, as lowercase hex.
    pub(crate) sha256: String,
    /// Bytes written.
    pub(crate) bytes: u64,
}

impl Staged {
    /// Starts writing `path` (creating its directory if needed); `what`
    /// names it in messages (`--report`). Fails when `path` could not be
    /// replaced by a file.
    pub(crate) fn create(what: &str, path: &Path) -> Result<Staged> {
        check_destination(what, path)?;
        let dir = dir_of(path);
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{what} `{}`: cannot create the folder", path.display()))?;
        let tmp = temporary(path, "tmp");
        watch_signals();
        let mut pending = pending();
        let file =
            File::create(&tmp).with_context(|| format!("{what} `{}`: cannot write in its folder", path.display()))?;
        pending.temporaries.push(tmp.clone());
        drop(pending);
        Ok(Staged {
            what: what.to_string(),
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
            what: std::mem::take(&mut self.what),
            path: std::mem::take(&mut self.path),
            tmp: Some(tmp),
            sha256: hex(&std::mem::take(&mut self.hasher).finalize()),
            bytes: self.bytes,
        };
        res.with_context(|| format!("cannot write `{}`", ready.path.display()))?;
        Ok(ready)
    }

    /// Writes a whole small file (summary, report, manifest) and finishes it.
    pub(crate) fn finish_with(mut self, bytes: &[u8]) -> Result<Ready> {
        self.write_all(bytes).with_context(|| format!("cannot write `{}`", self.path.display()))?;
        self.finish()
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
            remove_temporary(&self.tmp);
        }
    }
}

impl Drop for Ready {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            remove_temporary(&tmp);
        }
    }
}

/// What a signal that ends the run has to clean up, and to say.
struct Pending {
    /// The temporary files of the outputs being written.
    temporaries: Vec<PathBuf>,
    /// Whether the outputs have been renamed into place.
    replaced: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending { temporaries: Vec::new(), replaced: false });

/// The run's temporary files, locked: a signal waits meanwhile.
fn pending() -> MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

fn remove_temporary(tmp: &Path) {
    let mut pending = pending();
    let _ = std::fs::remove_file(tmp);
    pending.temporaries.retain(|p| p != tmp);
}

/// From the first output staged on: SIGINT, SIGTERM and SIGHUP remove the
/// temporary files, then end the process as the signal would have (exit
/// status 128 + the signal's number in a shell).
#[cfg(unix)]
fn watch_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static WATCHING: std::sync::Once = std::sync::Once::new();
    WATCHING.call_once(|| {
        // Without the handler a signal still ends the run; only the
        // temporaries would stay.
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else { return };
        std::thread::spawn(move || {
            let Some(signal) = signals.forever().next() else { return };
            // Never released: nothing is staged or renamed any more.
            let pending = pending();
            for tmp in &pending.temporaries {
                let _ = std::fs::remove_file(tmp);
            }
            let name = match signal {
                SIGINT => "SIGINT",
                SIGTERM => "SIGTERM",
                _ => "SIGHUP",
            };
            if pending.replaced {
                errln!("stopped by {name}, with the outputs of this run in place");
            } else {
                errln!("stopped by {name}: no output was replaced, and the temporary files are removed");
            }
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        });
    });
}

#[cfg(not(unix))]
fn watch_signals() {}

/// Renames every finished output into place, in order (put the manifest
/// last), or none: every destination is checked first, and a rename that
/// still fails puts back the files renamed before it.
pub(crate) fn commit_all(mut outputs: Vec<Ready>) -> Result<()> {
    let res = {
        // A signal now waits until the renames are done or undone.
        let mut pending = pending();
        let res = outputs
            .iter()
            .try_for_each(|r| check_destination(&r.what, &r.path))
            .and_then(|()| replace_all(&mut outputs, &mut pending.temporaries));
        pending.replaced = res.is_ok();
        res
    };
    // The temporaries not renamed are removed once the lock is released.
    drop(outputs);
    res
}

/// What was at a destination before the renames.
enum Before {
    /// Nothing: undoing removes the new file.
    Absent,
    /// A file, now also at this hard link: undoing renames it back.
    Linked(PathBuf),
    /// A file that could not be linked (a file system without hard links):
    /// it cannot be put back.
    Unsaved,
}

/// The renames of [`commit_all`], with their undoing; each temporary
/// renamed leaves the `pending` list.
fn replace_all(outputs: &mut [Ready], pending: &mut Vec<PathBuf>) -> Result<()> {
    let before: Vec<Before> = outputs
        .iter()
        .map(|r| {
            if std::fs::symlink_metadata(&r.path).is_err() {
                return Before::Absent;
            }
            let backup = temporary(&r.path, "old");
            let _ = std::fs::remove_file(&backup);
            match std::fs::hard_link(&r.path, &backup) {
                Ok(()) => Before::Linked(backup),
                Err(_) => Before::Unsaved,
            }
        })
        .collect();
    let mut failed = None;
    for (i, r) in outputs.iter_mut().enumerate() {
        let Some(tmp) = r.tmp.take() else { continue };
        if let Err(e) = std::fs::rename(&tmp, &r.path) {
            r.tmp = Some(tmp);
            failed = Some((i, e));
            break;
        }
        pending.retain(|p| *p != tmp);
    }
    let Some((at, e)) = failed else {
        remove_backups(&before);
        // Make the renames durable; not every file system allows it.
        let mut dirs: Vec<&Path> = outputs.iter().map(|r| dir_of(&r.path)).collect();
        dirs.dedup();
        for dir in dirs {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        return Ok(());
    };
    let mut lost = Vec::new();
    for (r, was) in outputs[..at].iter().zip(&before).rev() {
        let undone = match was {
            Before::Absent => std::fs::remove_file(&r.path).is_ok(),
            Before::Linked(old) => std::fs::rename(old, &r.path).is_ok(),
            Before::Unsaved => false,
        };
        if !undone {
            lost.push(format!("`{}`", r.path.display()));
        }
    }
    remove_backups(&before);
    let r = &outputs[at];
    let after = if lost.is_empty() {
        "every output is as it was before the run".to_string()
    } else {
        format!("{} could not be put back as it was", lost.join(", "))
    };
    Err(e).with_context(|| {
        format!("{} `{}`: cannot move the finished output into place; {after}", r.what, r.path.display())
    })
}

fn remove_backups(before: &[Before]) {
    for was in before {
        if let Before::Linked(old) = was {
            let _ = std::fs::remove_file(old);
        }
    }
}

/// Fails, naming `what`, when `path` cannot be replaced by a file: it is a
/// folder, or a folder on its way is a file.
fn check_destination(what: &str, path: &Path) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        bail!("{what} `{}` is a folder; name a file", path.display());
    }
    // The nearest folder on the way that exists must be one.
    for up in path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
        match std::fs::metadata(up) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => bail!("{what} `{}`: `{}` is not a folder", path.display(), up.display()),
            Err(_) => {}
        }
    }
    Ok(())
}

/// The folder a path is in.
fn dir_of(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// The hidden `.NAME.KIND.PID` file beside `path`.
fn temporary(path: &Path, kind: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    dir_of(path).join(format!(".{name}.{kind}.{}", std::process::id()))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_that_fails_puts_back_the_outputs_renamed_before_it() {
        let dir = std::env::temp_dir().join(format!("safegrade-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("blocked")).unwrap();
        std::fs::write(dir.join("blocked/inside"), "a folder that is not empty").unwrap();
        std::fs::write(dir.join("old.csv"), "old").unwrap();
        let staged =
            |name: &str, text: &str| Staged::create("--x", &dir.join(name)).unwrap().finish_with(text.as_bytes());
        let mut outputs = vec![
            staged("old.csv", "new").unwrap(),
            staged("fresh.csv", "new").unwrap(),
            staged("other.csv", "new").unwrap(),
        ];
        // As if the folder appeared between the check and the rename.
        outputs[2].path = dir.join("blocked");
        let err = replace_all(&mut outputs, &mut Vec::new()).unwrap_err();
        drop(outputs);
        let err = format!("{err:#}");
        assert!(err.contains("cannot move the finished output into place; every output is as it was"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.join("old.csv")).unwrap(), "old");
        assert!(!dir.join("fresh.csv").exists(), "an output that was not there before is removed again");
        let mut left: Vec<String> =
            std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["blocked", "old.csv"], "no temporary or backup is left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
