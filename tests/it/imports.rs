//! The core's imports run one way. Every file of `core/src` is a module;
//! a file imports another when it names it in a `use` or in a path
//! (`crate::plan::Node`, `super::fault::Fault`, `kernel::Kernels`). No file
//! may import one that imports it back, directly or through others, and
//! the stages import only the stages below them, in the order
//! `ARCHITECTURE.md` lists (test-only files aside).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::root;

/// The library's top-level modules, lowest first: each may import only
/// modules before it (the crate root, which re-exports, aside).
const STAGES: [&str; 17] = [
    "value",
    "uscc",
    "diagnostic",
    "rules_root",
    "syntax",
    "plan",
    "input",
    "assessment",
    "compile",
    "eval",
    "cases",
    "rules",
    "load",
    "testing",
    "schema",
    "batch",
    "differential",
];

type Module = Vec<String>;

/// Every `.rs` file under `dir` as its module path (`eval/mod.rs` is `eval`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().expect("named").to_string_lossy().into_owned();
        if path.is_dir() {
            let mut p = prefix.to_vec();
            p.push(name);
            modules(&path, &p, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.to_vec();
            match name.as_str() {
                "lib" if prefix.is_empty() => {}
                "main" if prefix.is_empty() => continue,
                "mod" => {}
                _ => m.push(name),
            }
            out.insert(m, std::fs::read_to_string(&path).expect("readable"));
        }
    }
}

/// The text without comments, string and character literals, and inline
/// `#[cfg(test)] mod … { … }` blocks (always last in a file here).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_word = i > 0 && word(chars[i - 1]);
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == 'r' && !after_word && matches!(chars.get(i + 1), Some('#' | '"')) {
            // A raw string: r"…", r#"…"#, …
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body: String = chars[i + 2 + hashes..].iter().collect();
            i += 2 + hashes + body.find(&close).map_or(body.len(), |e| body[..e].chars().count() + close.len());
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && chars.get(i + 1) == Some(&'\\') {
            // An escaped character literal.
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Paths written in `code`: each `use` tree expanded, then every `a::b…`.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
        let (mut depth, mut start) = (0, 0);
        let mut parts = Vec::new();
        for (i, c) in tree.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&tree[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&tree[start..]);
        for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
            let segments = |s: &str| -> Vec<String> {
                s.split("::").map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
            };
            let mut path = prefix.to_vec();
            match part.find('{') {
                Some(open) => {
                    path.extend(segments(&part[..open]));
                    expand(&path, &part[open + 1..part.rfind('}').unwrap_or(part.len())], out);
                }
                None => {
                    path.extend(segments(part.split(" as ").next().unwrap_or(part)));
                    out.push(path);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut rest = String::new();
    let mut text = code;
    while let Some(i) = text.find("use ") {
        let starts_word = i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let end = text[i..].find(';').map_or(text.len(), |e| i + e);
        if starts_word {
            rest.push_str(&text[..i]);
            let tree = text[i + 4..end].split_whitespace().collect::<Vec<_>>().join(" ");
            expand(&[], &tree, &mut out);
            text = &text[(end + 1).min(text.len())..];
        } else {
            rest.push_str(&text[..i + 4]);
            text = &text[i + 4..];
        }
    }
    rest.push_str(text);
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let bytes: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if word(bytes[i]) && (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == ':')) {
            let mut path = Vec::new();
            let mut j = i;
            loop {
                let s = j;
                while j < bytes.len() && word(bytes[j]) {
                    j += 1;
                }
                path.push(bytes[s..j].iter().collect::<String>());
                if j + 2 < bytes.len() && bytes[j] == ':' && bytes[j + 1] == ':' && word(bytes[j + 2]) {
                    j += 2;
                } else {
                    break;
                }
            }
            if path.len() > 1 {
                out.push(path);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The module a path written in module `at` names, if it is one of `known`
/// (or an item of one): the longest known prefix.
fn resolve(at: &Module, path: &[String], known: &BTreeMap<Module, String>) -> Option<Module> {
    let (mut base, mut rest): (Module, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" | "super" => (at.clone(), path),
        first => {
            let mut child = at.clone();
            child.push(first.to_string());
            if !known.contains_key(&child) {
                return None;
            }
            (at.clone(), path)
        }
    };
    while let Some(first) = rest.first() {
        match first.as_str() {
            "super" => {
                base.pop();
            }
            "self" => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    for segment in rest {
        let mut next = base.clone();
        next.push(segment.clone());
        if !known.contains_key(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("/")
    }
}

fn test_only(m: &Module) -> bool {
    m.iter().any(|s| s == "tests" || s.ends_with("_tests") || s == "test_rules")
}

/// Each module's imports of other modules.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let mut known = BTreeMap::new();
    modules(&root().join("core/src"), &[], &mut known);
    assert!(known.len() > 60, "found only {} modules", known.len());
    known
        .iter()
        .map(|(m, text)| {
            let imports = paths_in(&code_of(text))
                .iter()
                .filter_map(|p| resolve(m, p, &known))
                .filter(|target| target != m)
                .collect();
            (m.clone(), imports)
        })
        .collect()
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, (usize, usize)>,
        stack: Vec<&'g Module>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g Module) -> usize {
        let n = w.index.len();
        w.index.insert(v, (n, n));
        w.stack.push(v);
        let mut low = n;
        for u in w.graph.get(v).into_iter().flatten() {
            let Some((u, _)) = w.graph.get_key_value(u) else { continue };
            match w.index.get(u) {
                None => low = low.min(visit(w, u)),
                Some(&(i, _)) if w.stack.contains(&u) => low = low.min(i),
                Some(_) => {}
            }
        }
        w.index.insert(v, (n, low));
        if low == n {
            let at = w.stack.iter().position(|x| *x == v).expect("on the stack");
            let component: Vec<String> = w.stack.drain(at..).map(name).collect();
            if component.len() > 1 {
                w.found.push(component);
            }
        }
        low
    }
    let mut w = Walk { graph, index: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in graph.keys() {
        if !w.index.contains_key(v) {
            visit(&mut w, v);
        }
    }
    w.found
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = graph();
    let found = cycles(&graph);
    assert!(found.is_empty(), "modules that import each other: {found:#?}");
}

#[test]
fn stages_import_only_the_stages_below_them() {
    let mut wrong = Vec::new();
    for (from, imports) in graph().iter().filter(|(m, _)| !test_only(m)) {
        let Some(stage) = from.first() else { continue };
        let rank = STAGES.iter().position(|s| s == stage);
        assert!(rank.is_some(), "`{stage}` is not in STAGES: add it where it belongs");
        for to in imports.iter().filter(|to| to.first().is_some_and(|s| s != stage)) {
            let to_rank = STAGES.iter().position(|s| *s == to[0]);
            if to_rank.is_none_or(|r| Some(r) > rank) {
                wrong.push(format!("{} → {}", name(from), name(to)));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the stage order: {wrong:#?}");
}

#[test]
fn the_reader_of_paths_sees_every_form() {
    let code = code_of(
        "use super::{a::B, c};\nuse crate::plan::{self as p, Node};\n// crate::hidden::X\nlet x = \"crate::in_text\"; let q = '\"'; kernel::run();\nlet r = r#\"a \" crate::raw::X\"#; crate::value::add(1);",
    );
    let paths: Vec<String> = paths_in(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        ["super::a::B", "super::c", "crate::plan::self", "crate::plan::Node", "kernel::run", "crate::value::add"]
    );
}
