//! `safegrade eval --format text`: a result for people, in Chinese or
//! English.
//!
//! It is a view of the result JSON, which stays the contract: grade and
//! score, each item with its points, clause and advice, the overrides with
//! their reasons, the answers missing and what was done about them, and the
//! plan to reach the next grade; for a scheme, each step. Numbers are the
//! JSON's decimal strings as they are; labels are the rule set's, in the
//! language asked for (Chinese where a rule file has no English). No
//! colours or other control codes are written.

use std::fmt::Write;

use safegrade::{CompiledRules, Rules, Schema};
use serde_json::Value;

use super::choices::Lang;

/// The fixed texts, per language.
struct Words {
    as_of: &'static str,
    grade: &'static str,
    score: &'static str,
    by_score: &'static str,
    items: &'static str,
    no_items: &'static str,
    cite: &'static str,
    advice: &'static str,
    overrides: &'static str,
    reason: &'static str,
    missing: &'static str,
    default: &'static str,
    not_applicable: &'static str,
    penalty: &'static str,
    skipped: &'static str,
    next: &'static str,
    best: &'static str,
    remove: &'static str,
    smallest: &'static str,
    greedy: &'static str,
    no_set: &'static str,
    blocked: &'static str,
    unfixable: &'static str,
    only_unfixable: &'static str,
    step: &'static str,
    list_sep: &'static str,
    open: &'static str,
    close: &'static str,
    colon: &'static str,
}

const ZH: Words = Words {
    as_of: "评估日期",
    grade: "等级",
    score: "得分",
    by_score: "按得分为",
    items: "计分条款",
    no_items: "计分条款：无",
    cite: "依据",
    advice: "建议",
    overrides: "等级调整",
    reason: "理由",
    missing: "未作答",
    default: "按默认值",
    not_applicable: "视为不适用",
    penalty: "按未答扣分",
    skipped: "因不适用而跳过的条款",
    next: "升一等级",
    best: "已是最好等级",
    remove: "需消除以下条款",
    smallest: "最少项",
    greedy: "有限搜索所得，未必最少",
    no_set: "仅消除计分条款无法达到",
    blocked: "受以下等级调整所限",
    unfixable: "已发生的事实或企业固有情况，无法整改",
    only_unfixable: "仅整改可整改的条款无法达到；以下所列含无法整改的条款",
    step: "步骤",
    list_sep: "、",
    open: "（",
    close: "）",
    colon: "：",
};

const EN: Words = Words {
    as_of: "As of",
    grade: "Grade",
    score: "Score",
    by_score: "by score",
    items: "Scored items",
    no_items: "Scored items: none",
    cite: "clause",
    advice: "advice",
    overrides: "Grade overrides",
    reason: "reason",
    missing: "Unanswered",
    default: "default used",
    not_applicable: "not applicable",
    penalty: "penalised",
    skipped: "Items skipped as not applicable",
    next: "Next better grade",
    best: "already the best grade",
    remove: "remove these items",
    smallest: "smallest set",
    greedy: "bounded search, perhaps not the smallest",
    no_set: "no set of items reaches it",
    blocked: "held down by these overrides",
    unfixable: "a past event or the firm's nature: cannot be fixed",
    only_unfixable: "fixable items alone cannot reach it; the set below includes items that cannot be fixed",
    step: "Step",
    list_sep: ", ",
    open: " (",
    close: ")",
    colon: ": ",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The string at `key`, or empty.
fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The text at `key` in the language: `key_en` in English when present.
fn localised<'v>(v: &'v Value, key: &str, lang: Lang) -> &'v str {
    let en = v.get(format!("{key}_en")).and_then(Value::as_str);
    match (lang, en) {
        (Lang::En, Some(en)) => en,
        _ => s(v, key),
    }
}

fn label(l: &safegrade::Label, lang: Lang) -> &str {
    match lang {
        Lang::En => l.en.as_deref().unwrap_or(&l.zh),
        Lang::Zh => &l.zh,
    }
}

/// The result of `rules` as text.
pub(crate) fn render(rules: &Rules, result: &Value, lang: Lang) -> String {
    let w = words(lang);
    let mut out = String::new();
    match rules {
        Rules::Set(r) => {
            let m = r.meta();
            let _ = writeln!(out, "{} {} {}", label(&m.name, lang), m.id, m.version);
            let _ = writeln!(out, "{}{}{}", w.as_of, w.colon, s(result, "as_of"));
            assessment(&mut out, r, result, lang);
        }
        Rules::Scheme(sc) => {
            let m = sc.meta();
            let _ = writeln!(out, "{} {} {}", label(&m.name, lang), m.id, m.version);
            let _ = writeln!(out, "{}{}{}", w.as_of, w.colon, s(result, "as_of"));
            for (alias, r) in sc.steps() {
                let meta = r.meta();
                let _ = writeln!(
                    out,
                    "\n== {} {alias}{}{} {} {}",
                    w.step,
                    w.colon,
                    label(&meta.name, lang),
                    meta.id,
                    meta.version
                );
                let step = result.get("steps").and_then(|st| st.get(alias)).unwrap_or(&Value::Null);
                assessment(&mut out, r, step, lang);
            }
        }
    }
    out
}

/// One rule set's assessment.
fn assessment(out: &mut String, rules: &CompiledRules, a: &Value, lang: Lang) {
    let w = words(lang);
    let schema = rules.schema();
    let grade_label = |id: &str| {
        schema.grades.iter().find(|g| g.id == id).map_or_else(|| id.to_string(), |g| label(&g.label, lang).to_string())
    };
    let (grade, band) = (s(a, "grade"), s(a, "band_grade"));
    let _ = write!(out, "{}{}{} [{grade}]", w.grade, w.colon, localised(a, "grade_label", lang));
    if band != grade && !band.is_empty() {
        let _ = write!(out, "{}{} {} [{band}]{}", w.open, w.by_score, grade_label(band), w.close);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}{}{}", w.score, w.colon, s(a, "score"));
    items(out, a, lang);
    overrides(out, a, &grade_label, lang);
    missing(out, a, &schema, lang);
    next_grade(out, a, &grade_label, lang);
}

fn items(out: &mut String, a: &Value, lang: Lang) {
    let w = words(lang);
    let items = a.get("items").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if items.is_empty() {
        let _ = writeln!(out, "{}", w.no_items);
        return;
    }
    let _ = writeln!(out, "{}{}{}{}", w.items, w.open, items.len(), w.close);
    let width = items.iter().map(|i| s(i, "points").chars().count()).max().unwrap_or(0);
    let indent = " ".repeat(width + 4);
    for i in items {
        let _ = writeln!(out, "  {:>width$}  {}", s(i, "points"), localised(i, "label", lang));
        if !s(i, "cite").is_empty() {
            let _ = writeln!(out, "{indent}{}{}{}", w.cite, w.colon, s(i, "cite"));
        }
        if !s(i, "advice").is_empty() {
            let _ = writeln!(out, "{indent}{}{}{}", w.advice, w.colon, localised(i, "advice", lang));
        }
    }
}

fn overrides(out: &mut String, a: &Value, grade_label: &dyn Fn(&str) -> String, lang: Lang) {
    let w = words(lang);
    let overrides = a.get("overrides").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if overrides.is_empty() {
        return;
    }
    let _ = writeln!(out, "{}{}{}{}", w.overrides, w.open, overrides.len(), w.close);
    for o in overrides {
        let (from, to) = (s(o, "from"), s(o, "to"));
        let _ = writeln!(out, "  {} {}: {} → {}", s(o, "action"), s(o, "id"), grade_label(from), grade_label(to));
        let _ = writeln!(out, "      {}{}{}", w.reason, w.colon, localised(o, "reason", lang));
        if !s(o, "cite").is_empty() {
            let _ = writeln!(out, "      {}{}{}", w.cite, w.colon, s(o, "cite"));
        }
    }
}

fn missing(out: &mut String, a: &Value, schema: &Schema, lang: Lang) {
    let w = words(lang);
    let missing = a.get("missing").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    if !missing.is_empty() {
        let _ = writeln!(out, "{}{}{}{}", w.missing, w.open, missing.len(), w.close);
        for (treatment, what) in [("default", w.default), ("not_applicable", w.not_applicable), ("penalty", w.penalty)]
        {
            let names: Vec<String> = missing
                .iter()
                .filter(|m| s(m, "treatment") == treatment)
                .map(|m| {
                    let name = s(m, "input");
                    match schema.inputs.iter().find(|f| f.name == name) {
                        Some(f) => format!("{name}{}{}{}", w.open, label(&f.label, lang), w.close),
                        None => name.to_string(),
                    }
                })
                .collect();
            if !names.is_empty() {
                let _ = writeln!(out, "  {what}{}{}", w.colon, names.join(w.list_sep));
            }
        }
    }
    let skipped: Vec<&str> = a
        .get("skipped")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "{}{}{}", w.skipped, w.colon, skipped.join(w.list_sep));
    }
}

fn next_grade(out: &mut String, a: &Value, grade_label: &dyn Fn(&str) -> String, lang: Lang) {
    let w = words(lang);
    let Some(next) = a.get("next_grade").filter(|n| !n.is_null()) else {
        let _ = writeln!(out, "{}{}{}", w.next, w.colon, w.best);
        return;
    };
    let grade = s(next, "grade");
    let _ = writeln!(out, "{}{}{} [{grade}]", w.next, w.colon, grade_label(grade));
    let items = a.get("items").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    match next.get("needs").and_then(Value::as_array) {
        Some(needs) => {
            let how = if next.get("exact").and_then(Value::as_bool) == Some(false) { w.greedy } else { w.smallest };
            let unfixable: Vec<&str> = next
                .get("unfixable")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if !unfixable.is_empty() {
                let _ = writeln!(out, "  {}", w.only_unfixable);
            }
            let _ = writeln!(out, "  {}{}{}{}{}", w.remove, w.open, how, w.close, w.colon.trim_end());
            for id in needs.iter().filter_map(Value::as_str) {
                let item = items.iter().find(|i| s(i, "id") == id);
                let (points, text) = item.map_or(("", id), |i| (s(i, "points"), localised(i, "label", lang)));
                let mark =
                    if unfixable.contains(&id) { format!("{}{}", w.list_sep, w.unfixable) } else { String::new() };
                let _ = writeln!(out, "    {text}{}{points}{mark}{}", w.open, w.close);
            }
        }
        None => {
            let _ = writeln!(out, "  {}", w.no_set);
        }
    }
    let blocked: Vec<&str> = next
        .get("blocked_by")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !blocked.is_empty() {
        let overrides = a.get("overrides").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let _ = writeln!(out, "  {}{}", w.blocked, w.colon.trim_end());
        for id in blocked {
            let reason = overrides.iter().find(|o| s(o, "id") == id).map_or("", |o| localised(o, "reason", lang));
            let _ = writeln!(out, "    {id}{}{reason}", w.colon);
        }
    }
}
