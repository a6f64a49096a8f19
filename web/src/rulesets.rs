//! The shipped rule sets and the loader that serves them (and their
//! includes) to core.
//!
//! Paths are the repository's (`rules/x.toml`, `rules/schemes/x.toml`), so
//! an include such as `accident-severity.toml` or a scheme's step
//! `../credit-rating.toml` resolves exactly as it does for the CLI. A rule
//! file the user loads is named `rules/<its name>` for the same reason: it
//! can include the shipped shared definitions.
//!
//! The texts are not compiled in: the built site carries them as static
//! files (`rules/x.toml` beside `index.html`), and the worker reads the ones
//! a load asks for, once, with a synchronous request that only the worker's
//! thread waits for. Only paths listed in [`SHIPPED`] are ever requested,
//! whatever a user's file includes. Natively (the tests) they are read from
//! the repository's `rules/` folder.
//!
//! The picker's names are written here rather than read by compiling every
//! file at start-up; a test (`web/tests/portal.rs`) checks they match the
//! files.

use safegrade::Label;

/// One file under `rules/`.
#[derive(Clone, Copy, Debug)]
pub struct RuleFile {
    /// Its path, `rules/x.toml` (also its address relative to the site).
    pub path: &'static str,
    /// Its `[ruleset] name` in Chinese.
    pub name_zh: &'static str,
    /// Its `[ruleset] name` in English.
    pub name_en: &'static str,
    /// Whether it is a scheme (`[scheme]`, its name from there), whose
    /// steps are rule sets of this list.
    pub scheme: bool,
}

impl RuleFile {
    /// The name as a core label.
    pub fn name(&self) -> Label {
        Label { zh: self.name_zh.into(), en: Some(self.name_en.into()) }
    }
}

macro_rules! rule_file {
    ($file:literal, $zh:literal, $en:literal) => {
        RuleFile { path: concat!("rules/", $file), name_zh: $zh, name_en: $en, scheme: false }
    };
}

macro_rules! scheme_file {
    ($file:literal, $zh:literal, $en:literal) => {
        RuleFile { path: concat!("rules/schemes/", $file), name_zh: $zh, name_en: $en, scheme: true }
    };
}

/// Every scheme under `rules/schemes/`, then every rule set under
/// `rules/`, in the picker's order.
pub const SHIPPED: &[RuleFile] = &[
    scheme_file!("hazchem.toml", "危险化学品企业分级分类监管方案", "Hazardous chemicals enterprise supervision scheme"),
    rule_file!(
        "hazchem-risk-2018.toml",
        "危险化学品生产储存企业安全风险评估诊断分级",
        "Hazardous chemicals enterprise risk diagnosis and grading (2018 guideline)"
    ),
    rule_file!("credit-rating.toml", "企业安全生产信用等级评定", "Enterprise work-safety credit rating"),
    rule_file!("blacklist-2023.toml", "安全生产严重失信主体名单", "Work-safety serious-dishonesty list (2023)"),
    rule_file!("supervision-tier.toml", "分级分类监管执法检查频次", "Supervision tier (inspection frequency)"),
    rule_file!(
        "gb18218-major-hazard.toml",
        "危险化学品重大危险源辨识与分级（GB 18218-2018）",
        "Major hazard installations of hazardous chemicals: identification and grading (GB 18218-2018)"
    ),
    rule_file!("lec.toml", "作业条件危险性评价（LEC法）", "Job hazard evaluation (LEC / Graham–Kinney)"),
    rule_file!("ls-matrix.toml", "风险矩阵法（LS，5×5，变体A）", "Risk matrix (LS, 5×5, variant A)"),
    rule_file!(
        "accident-severity.toml",
        "生产安全事故等级划分（国务院令第493号第三条）",
        "Work-safety accident severity (State Council Decree 493, art. 3)"
    ),
];

/// How the loader's message ends when the site gave no answer at all (the
/// network is off, and no copy of the file was kept for offline use).
pub const NOT_FETCHED: &str = "from the site";

/// Whether `path` is a shipped rule set.
pub fn is_shipped(path: &str) -> bool {
    SHIPPED.iter().any(|f| f.path == path)
}

/// Serves [`SHIPPED`] files to `safegrade::load`; any other path is an error.
pub fn shipped_loader(path: &str) -> Result<String, String> {
    let file = SHIPPED
        .iter()
        .find(|f| f.path == path)
        .ok_or_else(|| "no such file among the rule sets the portal offers".to_string())?;
    cached::read(file.path)
}

#[cfg(target_arch = "wasm32")]
mod cached {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    thread_local! {
        /// Texts already read, by path: each file is requested once per worker.
        static TEXTS: RefCell<BTreeMap<&'static str, String>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// The text of a shipped file, requested from the site when first needed.
    pub(super) fn read(path: &'static str) -> Result<String, String> {
        if let Some(t) = TEXTS.with(|t| t.borrow().get(path).cloned()) {
            return Ok(t);
        }
        let text = request(path)?;
        TEXTS.with(|t| t.borrow_mut().insert(path, text.clone()));
        Ok(text)
    }

    fn request(path: &str) -> Result<String, String> {
        let failed = || format!("cannot read `{path}` {}", super::NOT_FETCHED);
        let xhr = web_sys::XmlHttpRequest::new().map_err(|_| failed())?;
        xhr.open_with_async("GET", path, false).map_err(|_| failed())?;
        xhr.override_mime_type("text/plain; charset=utf-8").map_err(|_| failed())?;
        xhr.send().map_err(|_| failed())?;
        match xhr.status() {
            Ok(200) => xhr.response_text().ok().flatten().ok_or_else(failed),
            Ok(status) => Err(format!("cannot read `{path}` from the site (HTTP {status})")),
            Err(_) => Err(failed()),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod cached {
    /// The text of a shipped file, from the repository's `rules/` folder.
    pub(super) fn read(path: &'static str) -> Result<String, String> {
        let file = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&file).map_err(|e| format!("cannot read `{file}`: {e}"))
    }
}

/// The path a user's own rule file is loaded under.
pub fn own_path(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    format!("rules/{base}")
}
