//! The rule sets a service serves: every rule file and scheme under its
//! folder, loaded and checked, by id. A reload loads the folder again; a
//! file whose new text does not check keeps serving its previous version,
//! and its problems are listed beside it. A catalog is never changed once
//! built: requests hold the entry they started with, so a reload never
//! changes the rules of a request in flight.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use safegrade::Rules;
use serde_json::{json, Value};

use safegrade_rulefiles::load as load_rules;

use super::super::files::expand;

/// One rule set or scheme being served.
pub(super) struct Entry {
    /// Its id (`[ruleset] id` or `[scheme] id`).
    pub(super) id: String,
    /// Its file, relative to the served folder.
    pub(super) file: String,
    /// `ruleset` kinds (`risk`, `credit` …) or `scheme`.
    pub(super) kind: String,
    /// sha256 of its texts, as every result names it.
    pub(super) hash: String,
    /// `{"zh": …, "en": …}`.
    name: Value,
    pub(super) version: String,
    /// The checked rules.
    pub(super) rules: Rules,
}

impl Entry {
    fn new(file: String, rules: Rules) -> Entry {
        let (id, kind, hash, name, version) = match &rules {
            Rules::Set(r) => {
                let m = r.meta();
                (m.id.clone(), m.kind.clone(), m.hash.clone(), json!(m.name), m.version.clone())
            }
            Rules::Scheme(s) => {
                let m = s.meta();
                (m.id.clone(), "scheme".into(), m.hash.clone(), json!(m.name), m.version.clone())
            }
        };
        Entry { id, file, kind, hash, name, version, rules }
    }

    /// Its line in the list of rule sets.
    fn listed(&self, problems: &[Value]) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "hash": self.hash,
            "file": self.file,
            "problems": problems,
        })
    }
}

/// The rule sets served, and the problems of the files that did not check.
#[derive(Default)]
pub(super) struct Catalog {
    /// By id.
    served: BTreeMap<String, Arc<Entry>>,
    /// By file (relative to the folder): the diagnostics of its latest load
    /// that did not check, or of a clash of ids.
    problems: BTreeMap<String, Vec<Value>>,
}

impl Catalog {
    /// Loads every `*.toml` under `dir` within the rules root `dir`. What
    /// `previous` served from a file that no longer checks is served still.
    pub(super) fn load(dir: &str, previous: &Catalog) -> Result<Catalog, String> {
        // Messages name the folder as the rules folder, never by the server's path.
        if !Path::new(dir).is_dir() {
            return Err("the rules folder is gone, or is not a folder".into());
        }
        let mut files = expand(&[dir.to_string()])
            .map_err(|e| format!("{e:#}").replace(&format!("`{dir}`"), "the rules folder"))?;
        // The files that served before come first: a new copy of one (a
        // backup beside it) is the duplicate, never the file that served.
        files.sort_by_key(|path| !previous.served.values().any(|e| e.file == relative(dir, path)));
        let root = std::fs::canonicalize(dir).map_err(|e| format!("the rules folder cannot be read: {e}"))?;
        let mut next = Catalog::default();
        for path in files {
            let file = relative(dir, &path);
            if !std::fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&root)) {
                let message = "a link leads this file outside the rules folder; it is not read";
                next.problems.insert(file.clone(), vec![problem("outside_root", &file, message)]);
                continue;
            }
            let loaded = load_rules(&path, Some(dir));
            match loaded.rules {
                Some(rules) => next.add(Entry::new(file, rules)),
                None => {
                    let problems = loaded
                        .diagnostics
                        .iter()
                        .filter(|d| d.is_error())
                        .map(|d| {
                            // Files named relative to the folder served, never by the server's paths.
                            let mut problem = loaded.sources.to_json(d);
                            if let Some(shown) = problem["file"].as_str().map(|f| relative(dir, f)) {
                                problem["file"] = json!(shown);
                            }
                            for text in ["message", "help"] {
                                if let Some(shown) = problem[text].as_str().map(|t| unrooted(dir, &root, t)) {
                                    problem[text] = json!(shown);
                                }
                            }
                            problem
                        })
                        .collect();
                    next.problems.insert(file.clone(), problems);
                    let kept = previous.served.values().find(|e| e.file == file);
                    if let Some(kept) = kept.filter(|e| !next.served.contains_key(&e.id)) {
                        next.served.insert(kept.id.clone(), kept.clone());
                    }
                }
            }
        }
        Ok(next)
    }

    /// Serves `entry`, unless another file already serves its id.
    fn add(&mut self, entry: Entry) {
        if let Some(first) = self.served.get(&entry.id) {
            let message =
                format!("the id `{}` is served from `{}` already; this file is left out", entry.id, first.file);
            self.problems.insert(entry.file.clone(), vec![problem("duplicate_id", &entry.file, &message)]);
            return;
        }
        self.served.insert(entry.id.clone(), Arc::new(entry));
    }

    /// The rule set or scheme `id`.
    pub(super) fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.served.get(id).cloned()
    }

    /// The ids served, for messages.
    pub(super) fn ids(&self) -> Vec<&str> {
        self.served.keys().map(String::as_str).collect()
    }

    /// How many rule sets and schemes are served.
    pub(super) fn len(&self) -> usize {
        self.served.len()
    }

    /// Whether any file did not check.
    pub(super) fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// `{"rulesets": [...], "unloaded": [...]}`: every entry served with its
    /// file's problems, then the files that serve nothing.
    pub(super) fn listing(&self) -> Value {
        let none = Vec::new();
        let rulesets: Vec<Value> =
            self.served.values().map(|e| e.listed(self.problems.get(&e.file).unwrap_or(&none))).collect();
        let unloaded: Vec<Value> = self
            .problems
            .iter()
            .filter(|(file, _)| !self.served.values().any(|e| &e.file == *file))
            .map(|(file, problems)| json!({ "file": file, "problems": problems }))
            .collect();
        json!({ "rulesets": rulesets, "unloaded": unloaded })
    }

    /// Each file that did not check, with its first problem, for the log.
    pub(super) fn problem_lines(&self) -> impl Iterator<Item = (&str, String)> {
        self.problems.iter().map(|(file, problems)| {
            let first = problems.first().and_then(|p| p["message"].as_str()).unwrap_or("does not check");
            (file.as_str(), format!("{} problem(s); first: {first}", problems.len()))
        })
    }
}

/// A problem of the service's own, shaped as a diagnostic.
fn problem(code: &str, file: &str, message: &str) -> Value {
    json!({ "code": code, "severity": "error", "message": message, "file": file, "line": null, "column": null,
        "help": null })
}

/// `text` with the paths of the rules folder (as given and as resolved)
/// taken out of the file names it holds.
fn unrooted(dir: &str, root: &Path, text: &str) -> String {
    let mut text = text.to_string();
    for prefix in [root.to_string_lossy().into_owned(), dir.trim_end_matches('/').to_string()] {
        text = text.replace(&format!("{prefix}/"), "").replace(&prefix, "the rules folder");
    }
    text
}

/// `path` relative to `dir` (either may be absolute), with `/` between folders.
fn relative(dir: &str, path: &str) -> String {
    let absolute = |p: &str| std::path::absolute(p).unwrap_or_else(|_| p.into());
    let (dir, whole) = (absolute(dir), absolute(path));
    let rel = whole.strip_prefix(&dir).unwrap_or(Path::new(path));
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, files: &[(&str, &str)]) -> String {
        let dir = std::env::temp_dir().join(format!("safegrade-catalog-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir.to_string_lossy().into_owned()
    }

    fn rules(id: &str, version: &str) -> String {
        format!(
            "[ruleset]\nid = \"{id}\"\nname = \"示例\"\nversion = \"{version}\"\n[inputs.staff]\ntype = \"integer\"\n\
             label = \"从业人数\"\n[[items]]\nid = \"big\"\nlabel = \"大\"\npoints = \"-1 * staff\"\n[score]\nbase = \"100\"\n\
             [[grades]]\nid = \"a\"\nlabel = \"甲\"\nmin = 90\n[[grades]]\nid = \"b\"\nlabel = \"乙\"\nbelow = 90\n"
        )
    }

    #[test]
    fn a_file_that_stops_checking_keeps_its_previous_version() {
        let dir = folder("keep", &[("a.toml", &rules("a", "1")), ("sub/b.toml", &rules("b", "1"))]);
        let first = Catalog::load(&dir, &Catalog::default()).unwrap();
        assert_eq!(first.ids(), ["a", "b"]);
        assert!(!first.has_problems());
        let hash = first.get("a").unwrap().hash.clone();
        assert_eq!(first.get("b").unwrap().file, "sub/b.toml");

        std::fs::write(Path::new(&dir).join("a.toml"), "[ruleset\n").unwrap();
        let second = Catalog::load(&dir, &first).unwrap();
        assert_eq!(second.ids(), ["a", "b"]);
        assert_eq!(second.get("a").unwrap().hash, hash);
        let listing = second.listing();
        assert_eq!(listing["rulesets"][0]["file"], "a.toml");
        assert!(!listing["rulesets"][0]["problems"].as_array().unwrap().is_empty());
        assert_eq!(listing["unloaded"], json!([]));

        std::fs::write(Path::new(&dir).join("a.toml"), rules("a", "2")).unwrap();
        let third = Catalog::load(&dir, &second).unwrap();
        assert_ne!(third.get("a").unwrap().hash, hash);
        assert!(!third.has_problems());
        std::fs::remove_dir_all(&dir).unwrap();
        // A folder gone is an error: the catalog being served stays.
        let gone = Catalog::load(&dir, &third).err().unwrap();
        assert_eq!(gone, "the rules folder is gone, or is not a folder");
    }

    #[test]
    fn a_new_copy_of_a_served_file_never_takes_its_place() {
        let dir = folder("backup", &[("lec.toml", &rules("lec", "1"))]);
        let first = Catalog::load(&dir, &Catalog::default()).unwrap();
        std::fs::write(Path::new(&dir).join("lec-old.toml"), rules("lec", "0.9")).unwrap();
        let second = Catalog::load(&dir, &first).unwrap();
        assert_eq!(second.get("lec").unwrap().file, "lec.toml");
        assert_eq!(second.listing()["unloaded"][0]["file"], "lec-old.toml");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_link_out_of_the_folder_is_not_read() {
        let outside = folder("outside", &[("secret.toml", &rules("secret", "1"))]);
        let dir = folder("links", &[("a.toml", &rules("a", "1"))]);
        std::os::unix::fs::symlink(Path::new(&outside).join("secret.toml"), Path::new(&dir).join("link.toml")).unwrap();
        let catalog = Catalog::load(&dir, &Catalog::default()).unwrap();
        assert_eq!(catalog.ids(), ["a"]);
        let listing = catalog.listing();
        assert_eq!(listing["unloaded"][0]["problems"][0]["code"], "outside_root");
        assert!(!listing.to_string().contains(&outside), "no server path: {listing}");
        std::fs::remove_dir_all(dir).unwrap();
        std::fs::remove_dir_all(outside).unwrap();
    }

    #[test]
    fn a_file_that_never_checked_and_a_clash_of_ids_are_listed() {
        let dir = folder("clash", &[("a.toml", &rules("a", "1")), ("b.toml", &rules("a", "2")), ("c.toml", "x = 1\n")]);
        let catalog = Catalog::load(&dir, &Catalog::default()).unwrap();
        assert_eq!(catalog.ids(), ["a"]);
        let listing = catalog.listing();
        let unloaded: Vec<&str> =
            listing["unloaded"].as_array().unwrap().iter().map(|u| u["file"].as_str().unwrap()).collect();
        assert_eq!(unloaded, ["b.toml", "c.toml"]);
        assert_eq!(listing["unloaded"][0]["problems"][0]["code"], "duplicate_id");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
