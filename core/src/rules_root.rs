//! The rules root: the folder that includes and scheme steps must lie in,
//! and the test of whether a path does.
//!
//! Paths are `/`-separated and compared by their components once `.` and
//! `..` are resolved, as `join_path` joins them, so the test needs no file
//! system: `rules/../../etc/passwd` and `/etc/passwd` are outside `rules`
//! however the files are laid out. Whether a symbolic link leads elsewhere
//! only the loader that reads the files can tell (`SourceLoader::load_within`).
//!
//! The default root is the folder of the rule file loaded, or, for a
//! scheme, the folder above it: a scheme lives in a folder of its own
//! beside the rule sets it chains (`rules/schemes/hazchem.toml` reads
//! `../blacklist-2023.toml`), so its root is `rules`.

use std::fmt;

/// How to load a rule file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadConfig {
    /// The rules root: the folder includes and scheme steps must lie in.
    /// `None` is the folder of the rule file, or for a scheme the folder
    /// that holds the scheme's folder (`rules/` for `rules/schemes/x.toml`).
    pub root: Option<String>,
}

/// A path as its components, `.` and `..` resolved as far as they can be:
/// a relative path keeps its leading `..`, an absolute one has none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LexicalPath {
    absolute: bool,
    parts: Vec<String>,
}

impl LexicalPath {
    /// The components of `path`.
    pub(crate) fn of(path: &str) -> LexicalPath {
        let mut out = LexicalPath { absolute: path.starts_with('/'), parts: Vec::new() };
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => out.pop(),
                other => out.parts.push(other.to_string()),
            }
        }
        out
    }

    /// The folder holding this path.
    pub(crate) fn parent(mut self) -> LexicalPath {
        self.pop();
        self
    }

    /// Goes one folder up: drops the last component, or adds a `..` when
    /// there is none to drop (the top of an absolute path stays the top).
    fn pop(&mut self) {
        match self.parts.last() {
            Some(last) if last != ".." => {
                self.parts.pop();
            }
            _ if self.absolute => {}
            _ => self.parts.push("..".into()),
        }
    }

    /// Whether `path` lies inside this folder (below it, not the folder
    /// itself), as far as the paths show: of two relative paths, each
    /// starts with some `..`, and the folders those lead to are related
    /// only when one is an ancestor of the other (`a.toml` lies inside
    /// `..`, but `../x` is not known to be the current folder).
    pub(crate) fn contains(&self, path: &LexicalPath) -> bool {
        if self.absolute != path.absolute {
            return false;
        }
        let (root_ups, path_ups) = (self.ups(), path.ups());
        let (root_named, path_named) = (&self.parts[root_ups..], &path.parts[path_ups..]);
        if root_named.is_empty() {
            // The root is the current folder or one above it, and so holds
            // every folder between.
            path_ups < root_ups || (path_ups == root_ups && !path_named.is_empty())
        } else {
            path_ups == root_ups && path_named.len() > root_named.len() && path_named.starts_with(root_named)
        }
    }

    /// How many `..` the path starts with.
    fn ups(&self) -> usize {
        self.parts.iter().take_while(|p| *p == "..").count()
    }
}

impl fmt::Display for LexicalPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.absolute, self.parts.is_empty()) {
            (true, _) => write!(f, "/{}", self.parts.join("/")),
            (false, true) => f.write_str("."),
            (false, false) => f.write_str(&self.parts.join("/")),
        }
    }
}

/// The default rules root of the rule file at `path`: its folder, or for a
/// scheme the folder above its folder.
pub(crate) fn default_root(path: &str, scheme: bool) -> LexicalPath {
    let folder = LexicalPath::of(path).parent();
    if scheme {
        folder.parent()
    } else {
        folder
    }
}

#[cfg(test)]
#[path = "rules_root_tests.rs"]
mod tests;
