//! Loading: a rule file and everything it refers to (includes, scheme steps)
//! through a caller-supplied [`SourceLoader`], then parse and check.
//!
//! The core never touches the file system: the CLI passes a loader that reads
//! files, the browser one that serves the compiled-in rule sets. Paths are
//! joined lexically (`/`-separated, `..` allowed), so the same rule tree
//! resolves the same way everywhere, and an include or scheme step is asked
//! of the loader only when its path lies inside the rules root (see
//! `rules_root`); anything else is R0008.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::cases::{self, TestCase};
use crate::compile::scheme;
use crate::compile::{compile_ruleset, Unit};
use crate::diagnostic::{Code, Diagnostic, FileId, SourceMap, Span};
use crate::plan::{Fill, Names, Plan};
use crate::rules::{CompiledRules, CompiledScheme, Rules, SchemeMeta, SchemeStep};
pub use crate::rules_root::LoadConfig;
use crate::rules_root::{default_root, LexicalPath};
use crate::syntax::document::Document;
use crate::syntax::{inexact_bare_numbers, parse_document, span_of};

/// Reads rule files by path.
///
/// The rule file loaded is read with [`load`](Self::load); its includes and
/// scheme steps with [`load_within`](Self::load_within), and only when their
/// paths lie inside the rules root (see [`LoadConfig`]).
pub trait SourceLoader {
    /// The text of the file at `path`, or a message saying why it cannot be read.
    fn load(&self, path: &str) -> Result<String, String>;

    /// The text of an included file or a scheme step at `path`, which lies
    /// inside the rules root `root` as far as the path itself shows. A
    /// loader reading a file system should also make sure the file really
    /// lies there (a symbolic link may lead elsewhere); by default this is
    /// [`load`](Self::load).
    fn load_within(&self, path: &str, _root: &str) -> Result<String, String> {
        self.load(path)
    }
}

impl<F: Fn(&str) -> Result<String, String>> SourceLoader for F {
    fn load(&self, path: &str) -> Result<String, String> {
        self(path)
    }
}

/// Largest rule file accepted, in bytes.
pub const MAX_RULE_FILE_BYTES: usize = 4 * 1024 * 1024;

/// What loading a rule file gave: the rules when there are no errors, and
/// every diagnostic (errors and warnings) with the sources to render them.
#[derive(Debug)]
pub struct Loaded {
    /// The compiled rules; `None` when any diagnostic is an error.
    pub rules: Option<Rules>,
    /// Every problem found, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// The texts of every file read, for rendering diagnostics.
    pub sources: SourceMap,
}

/// Joins a relative path to the directory of `base`, lexically.
pub fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| !l.is_empty() && *l != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Loads, parses and checks the rule file at `path`, with includes and
/// scheme steps inside the default rules root (see [`LoadConfig`]).
pub fn load(path: &str, loader: &dyn SourceLoader) -> Loaded {
    load_with(path, loader, &LoadConfig::default())
}

/// Loads, parses and checks the rule file at `path` as `config` says.
pub fn load_with(path: &str, loader: &dyn SourceLoader, config: &LoadConfig) -> Loaded {
    let mut sources = SourceMap::default();
    let mut diagnostics = Vec::new();
    let rules = load_any(path, loader, config, &mut sources, &mut diagnostics);
    // A file shared by scheme steps is checked with each; its problems are reported once.
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| seen.insert(d.clone()));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Loaded { rules: if has_errors { None } else { rules }, diagnostics, sources }
}

/// Loads rule text given directly (no includes can be resolved unless `loader` serves them).
pub fn load_str(name: &str, text: &str, loader: &dyn SourceLoader) -> Loaded {
    load(name, &TextFirst { name, text, rest: loader })
}

/// Serves `text` as the file `name`, and every other file from `rest`.
struct TextFirst<'a> {
    name: &'a str,
    text: &'a str,
    rest: &'a dyn SourceLoader,
}

impl SourceLoader for TextFirst<'_> {
    fn load(&self, path: &str) -> Result<String, String> {
        if path == self.name {
            Ok(self.text.to_string())
        } else {
            self.rest.load(path)
        }
    }

    fn load_within(&self, path: &str, root: &str) -> Result<String, String> {
        if path == self.name {
            Ok(self.text.to_string())
        } else {
            self.rest.load_within(path, root)
        }
    }
}

/// The loader, and the rules root that includes and scheme steps must lie in.
struct Files<'a> {
    loader: &'a dyn SourceLoader,
    root: LexicalPath,
}

impl Files<'_> {
    /// The text of the include or scheme step (`what`) written `written` at
    /// `at` and found at `target`: asked of the loader only when it lies
    /// inside the rules root.
    fn load_within(&self, what: &str, written: &str, target: &str, at: Option<Span>) -> Result<String, Diagnostic> {
        let root = self.root.to_string();
        if !self.root.contains(&LexicalPath::of(target)) {
            return Err(Diagnostic::error(
                Code::OutsideRoot,
                at,
                format!("{what} `{written}` lies outside the rules root `{root}`"),
            )
            .with_help(
                "includes and scheme steps are read only from inside the rules root: the folder of the rule file, \
                     or for a scheme the folder above its own; move the file there, or declare a wider root",
            ));
        }
        self.loader.load_within(target, &root).map_err(|e| cannot_read(target, &e, at))
    }
}

fn cannot_read(path: &str, why: &str, at: Option<Span>) -> Diagnostic {
    Diagnostic::error(Code::Unreadable, at, format!("cannot read `{path}`: {why}"))
}

/// Parses the rule file `path` whose text was read (or not) as `text`.
fn read(
    path: &str,
    text: Result<String, Diagnostic>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    at: Option<Span>,
) -> Option<(FileId, Document)> {
    let text = match text {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if text.len() > MAX_RULE_FILE_BYTES {
        diags.push(Diagnostic::error(
            Code::Unreadable,
            at,
            format!("`{path}` is {} bytes; rule files are limited to {MAX_RULE_FILE_BYTES}", text.len()),
        ));
        return None;
    }
    let file = match sources.find(path, &text) {
        Some(file) => file,
        None => sources.add(path, text),
    };
    match parse_document(sources.text(file), file) {
        Ok(doc) => {
            diags.extend(inexact_bare_numbers(sources.text(file), file));
            Some((file, doc))
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

fn load_any(
    path: &str,
    loader: &dyn SourceLoader,
    config: &LoadConfig,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Option<Rules> {
    let text = loader.load(path).map_err(|e| cannot_read(path, &e, None));
    let (file, doc) = read(path, text, sources, diags, None)?;
    let scheme = doc.scheme.is_some();
    let root = config.root.as_deref().map_or_else(|| default_root(path, scheme), LexicalPath::of);
    let files = Files { loader, root };
    if scheme {
        return load_scheme(path, file, &doc, &files, sources, diags).map(Rules::Scheme);
    }
    load_ruleset(path, file, &doc, &files, sources, diags).map(Rules::Set)
}

fn load_ruleset(
    path: &str,
    file: FileId,
    doc: &Document,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Option<CompiledRules> {
    let (plan, tests) = check_ruleset(path, file, doc, files, sources, diags, Names::default())?;
    Some(CompiledRules::new(plan, tests.into()))
}

/// The plan of a rule set and its cases; `names` are texts numbered before it.
fn check_ruleset(
    path: &str,
    file: FileId,
    doc: &Document,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    names: Names,
) -> Option<(Plan, Vec<TestCase>)> {
    // Every file reachable through `include`, depth first, each once.
    let mut included: Vec<(String, FileId, Document)> = Vec::new();
    let mut stack: Vec<String> = vec![path.to_string()];
    collect_includes(path, doc, file, files, sources, diags, &mut included, &mut stack);
    let unit = Unit { file, doc, includes: included.iter().map(|(_, f, d)| (*f, d)).collect() };
    let compiled = compile_ruleset(&unit, sources, names);
    diags.extend(compiled.diagnostics);
    let plan = compiled.plan?;
    let tests = cases::read_tests(doc, file, &plan, diags);
    Some((plan, tests))
}

#[allow(clippy::too_many_arguments)] // Recursive helper threading the loader's state.
fn collect_includes(
    path: &str,
    doc: &Document,
    file: FileId,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    out: &mut Vec<(String, FileId, Document)>,
    stack: &mut Vec<String>,
) {
    let Some(meta) = &doc.ruleset else { return };
    for inc in &meta.get_ref().include {
        let target = join_path(path, inc.get_ref());
        let at = Some(span_of(inc, file));
        if stack.contains(&target) {
            let mut cycle = stack.clone();
            cycle.push(target.clone());
            diags.push(
                Diagnostic::error(Code::IncludeCycle, at, format!("include cycle: {}", cycle.join(" → ")))
                    .with_help("a file cannot include itself, directly or through others"),
            );
            continue;
        }
        if out.iter().any(|(p, _, _)| *p == target) {
            continue;
        }
        let text = files.load_within("include", inc.get_ref(), &target, at);
        let Some((f, d)) = read(&target, text, sources, diags, at) else { continue };
        if d.scheme.is_some() {
            diags.push(Diagnostic::error(
                Code::IncludeCycle,
                at,
                format!("`{target}` is a scheme; only rule sets can be included"),
            ));
            continue;
        }
        stack.push(target.clone());
        // Nested includes first, so definitions come in dependency order.
        collect_includes(&target, &d, f, files, sources, diags, out, stack);
        stack.pop();
        out.push((target, f, d));
    }
}

fn load_scheme(
    path: &str,
    file: FileId,
    doc: &Document,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Option<CompiledScheme> {
    let meta = doc.scheme.as_ref().expect("checked by caller").get_ref();
    let scheme_span = |v: std::ops::Range<usize>| Span::new(file, v);
    if doc.has_rule_set_parts() {
        diags.push(Diagnostic::error(
            Code::BadScheme,
            Some(scheme_span(0..0)),
            "a scheme file holds only [scheme], [[steps]] and [[tests]]",
        ));
        return None;
    }
    if doc.steps.is_empty() {
        diags.push(Diagnostic::error(Code::BadScheme, Some(span_of(&meta.id, file)), "the scheme has no [[steps]]"));
        return None;
    }
    // (alias, plan, cases, fills); the plans get the steps' one table of names at the end.
    let mut steps: Vec<(String, Plan, Vec<TestCase>, Vec<Fill>)> = Vec::new();
    let mut names = Names::default();
    // Steps that did not load: later steps' `from` naming them are not reported again.
    let mut failed_steps: Vec<String> = Vec::new();
    let mut failed = false;
    for s in &doc.steps {
        let st = s.get_ref();
        let alias = st.alias.get_ref().clone();
        let at = Some(span_of(&st.alias, file));
        if steps.iter().any(|x| x.0 == alias) {
            diags.push(Diagnostic::error(Code::DefinedTwice, at, format!("step `{alias}` is named twice")));
            failed = true;
            continue;
        }
        let target = join_path(path, st.rules.get_ref());
        let step_at = Some(span_of(&st.rules, file));
        let text = files.load_within("scheme step", st.rules.get_ref(), &target, step_at);
        let Some((f, d)) = read(&target, text, sources, diags, step_at) else {
            failed_steps.push(alias);
            failed = true;
            continue;
        };
        if d.scheme.is_some() {
            diags.push(Diagnostic::error(
                Code::BadScheme,
                Some(span_of(&st.rules, file)),
                "a scheme step must be a rule set, not a scheme",
            ));
            failed_steps.push(alias);
            failed = true;
            continue;
        }
        let Some((plan, tests)) = check_ruleset(&target, f, &d, files, sources, diags, names.clone()) else {
            failed_steps.push(alias);
            failed = true;
            continue;
        };
        names = (*plan.names).clone();
        let earlier: Vec<(&str, &Plan)> = steps.iter().map(|s| (s.0.as_str(), &s.1)).collect();
        let fills = scheme::resolve_fills(&alias, (&plan, &d, f), &earlier, &failed_steps, at, diags);
        scheme::check_shared_inputs(&alias, &plan, &earlier, at, diags);
        steps.push((alias, plan, tests, fills));
    }
    if failed {
        return None;
    }
    let names = Arc::new(names);
    let steps: Vec<SchemeStep> = (steps.into_iter())
        .map(|(alias, plan, tests, fills)| {
            let plan = Plan { names: names.clone(), ..plan };
            SchemeStep { alias, rules: CompiledRules::new(plan, tests.into()), fills }
        })
        .collect();
    let mut hasher = Sha256::new();
    hasher.update(sources.text(file).as_bytes());
    for s in &steps {
        hasher.update([0u8]);
        hasher.update(s.rules.plan.meta.hash.as_bytes());
    }
    let hash = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let name = crate::compile::label_of(&meta.name);
    let meta = SchemeMeta { id: meta.id.get_ref().clone(), name, version: meta.version.get_ref().clone(), hash };
    let scheme = CompiledScheme::new(meta, steps);
    let plans: Vec<(&str, &Plan)> = scheme.steps.iter().map(|s| (s.alias.as_str(), &*s.rules.plan)).collect();
    let tests = cases::read_scheme_tests(doc, file, &plans, diags);
    Some(CompiledScheme { tests: tests.into(), ..scheme })
}

#[cfg(test)]
mod tests {
    use super::join_path;

    #[test]
    fn paths_join_lexically() {
        assert_eq!(join_path("rules/schemes/hazchem.toml", "../lec.toml"), "rules/lec.toml");
        assert_eq!(join_path("rules/a.toml", "b.toml"), "rules/b.toml");
        assert_eq!(join_path("a.toml", "b.toml"), "b.toml");
        assert_eq!(join_path("a.toml", "../b.toml"), "../b.toml");
        assert_eq!(join_path("/abs/a.toml", "./c/b.toml"), "/abs/c/b.toml");
    }
}
