//! Empty files to fill for a batch run: the firm file's and each list
//! file's header, with the columns the rules read, and a column guide.
//!
//! Headers are the Chinese labels ([`Lang::Zh`]) or the names
//! ([`Lang::En`]), as the batch reader recognises them: a label that the
//! reader would not take for this one input or field (shared with another,
//! equal to another's name, with surrounding spaces, or one a spreadsheet
//! would take for a formula) is replaced by the name. For a scheme the firm
//! file has the inputs of every step that no earlier step fills, once each.

use std::collections::{HashMap, HashSet};

use crate::plan::{Field, Missing, Plan, ValueType};
use crate::rules::Rules;
use crate::value::Value;

use super::layout::USCC_HEADER;
use super::step::steps_of;
use super::write;

/// The language of a template's headers and guide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Chinese labels; the guide in Chinese.
    Zh,
    /// Names; the guide in English (labels in English where the rules have them).
    En,
}

/// The files of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// The firm file's header: the key `uscc`, then the inputs.
    pub firms: Vec<String>,
    /// Each list the rules read: its name and its file's header (the key first).
    pub lists: Vec<(String, Vec<String>)>,
    /// One row per column of every file, firm file first.
    pub guide: Vec<GuideRow>,
    lang: Lang,
}

/// One column in the guide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuideRow {
    /// The list the file fills; `None` for the firm file.
    pub list: Option<String>,
    /// The column's header.
    pub column: String,
    /// The input's or field's name.
    pub name: String,
    /// Its label, in the template's language (Chinese when the rules have no English).
    pub label: String,
    /// Its type.
    pub ty: String,
    /// What a cell may hold: options, bounds, formats.
    pub values: String,
    /// Whether a row must give it.
    pub required: bool,
    /// What an empty cell means when it is not required.
    pub when_empty: String,
    /// The help text, when the rules have one.
    pub help: String,
}

/// The texts of the guide, per language.
struct Words {
    header: [&'static str; 9],
    firms: &'static str,
    yes: &'static str,
    no: &'static str,
    bool_values: &'static str,
    key_values: &'static str,
    date: &'static str,
    whole: &'static str,
    number: &'static str,
    one_of: &'static str,
    at_most_chars: &'static str,
    not_applicable: &'static str,
    penalty: &'static str,
    key_label: &'static str,
    types: fn(&ValueType) -> &'static str,
}

const ZH: Words = Words {
    header: ["文件", "列", "名称", "说明", "类型", "取值", "必填", "留空时", "帮助"],
    firms: "企业",
    yes: "是",
    no: "否",
    bool_values: "是/否（也可 true/false、yes/no、y/n、1/0）",
    key_values: "18位统一社会信用代码（校验位须正确）",
    date: "日期 YYYY-MM-DD",
    whole: "整数",
    number: "数值",
    one_of: "取值之一：",
    at_most_chars: "最多字符数：",
    not_applicable: "视为不适用",
    penalty: "按未答扣分",
    key_label: "统一社会信用代码",
    types: |t| match t {
        ValueType::Bool => "是否",
        ValueType::Integer => "整数",
        ValueType::Decimal => "数值",
        ValueType::Enum(_) => "选项",
        ValueType::Date => "日期",
        ValueType::Text => "文本",
        ValueType::Uscc => "统一社会信用代码",
    },
};

const EN: Words = Words {
    header: ["file", "column", "name", "label", "type", "values", "required", "when empty", "help"],
    firms: "firms",
    yes: "yes",
    no: "no",
    bool_values: "是/否 (or true/false, yes/no, y/n, 1/0)",
    key_values: "an 18-character unified social credit code (统一社会信用代码) with a valid check character",
    date: "a date YYYY-MM-DD",
    whole: "a whole number",
    number: "a number",
    one_of: "one of: ",
    at_most_chars: "at most this many characters: ",
    not_applicable: "not applicable",
    penalty: "penalised as unanswered",
    key_label: "Unified social credit code",
    types: |t| match t {
        ValueType::Bool => "yes/no",
        ValueType::Integer => "integer",
        ValueType::Decimal => "decimal",
        ValueType::Enum(_) => "option",
        ValueType::Date => "date",
        ValueType::Text => "text",
        ValueType::Uscc => "uscc",
    },
};

impl Lang {
    fn words(self) -> &'static Words {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// The template of a rule set or scheme.
pub fn template(rules: &Rules, lang: Lang) -> Template {
    let steps = steps_of(rules);
    let w = lang.words();
    let key = match lang {
        Lang::Zh => USCC_HEADER,
        Lang::En => "uscc",
    };
    let key_row = |list: Option<&str>| GuideRow {
        list: list.map(str::to_string),
        column: key.to_string(),
        name: "uscc".into(),
        label: w.key_label.into(),
        ty: (w.types)(&ValueType::Uscc).into(),
        values: w.key_values.into(),
        required: true,
        when_empty: String::new(),
        help: String::new(),
    };
    // The firm file: every input no earlier step fills, once.
    let mut seen = HashSet::new();
    let asked: Vec<(&Plan, &Field)> = steps
        .iter()
        .flat_map(|s| s.asked().map(move |f| (&*s.rules.plan, f)))
        .filter(|(_, f)| seen.insert(f.name.clone()))
        .collect();
    let fields: Vec<&Field> = asked.iter().map(|(_, f)| *f).collect();
    let mut firms = vec![key.to_string()];
    let mut guide = vec![key_row(None)];
    for ((plan, f), column) in asked.iter().zip(headers(&fields, lang)) {
        guide.push(guide_row(plan, f, None, &column, lang));
        firms.push(column);
    }
    // Each list, from the first step that declares it.
    let mut lists = Vec::new();
    let mut listed = HashSet::new();
    for step in &steps {
        let plan = &*step.rules.plan;
        for def in plan.lists.iter().filter(|d| listed.insert(d.name.clone())) {
            let fields: Vec<&Field> = def.fields.iter().collect();
            let mut header = vec![key.to_string()];
            guide.push(key_row(Some(&def.name)));
            for (f, column) in def.fields.iter().zip(headers(&fields, lang)) {
                guide.push(guide_row(plan, f, Some(&def.name), &column, lang));
                header.push(column);
            }
            lists.push((def.name.to_string(), header));
        }
    }
    Template { firms, lists, guide, lang }
}

/// The header of each of `fields`: its name, or in Chinese its label when
/// the reader would take that label for this field alone.
fn headers(fields: &[&Field], lang: Lang) -> Vec<String> {
    if lang == Lang::En {
        return fields.iter().map(|f| f.name.to_string()).collect();
    }
    let names: HashSet<&str> = fields.iter().map(|f| &*f.name).collect();
    let mut holders: HashMap<&str, HashSet<&str>> = HashMap::new();
    for f in fields {
        for label in std::iter::once(&*f.label.zh).chain(f.label.en.as_deref()) {
            holders.entry(label).or_default().insert(&f.name);
        }
    }
    fields
        .iter()
        .map(|f| {
            let label = &*f.label.zh;
            let usable = !label.is_empty()
                && label.trim() == label
                && label != USCC_HEADER
                && label != "uscc"
                && !names.contains(label)
                && holders.get(label).is_some_and(|h| h.len() == 1)
                && !write::is_formula_like(label)
                && !label.contains(['\n', '\r']);
            if usable {
                label.to_string()
            } else {
                f.name.to_string()
            }
        })
        .collect()
}

fn guide_row(plan: &Plan, f: &Field, list: Option<&str>, column: &str, lang: Lang) -> GuideRow {
    let w = lang.words();
    let text = |l: &crate::plan::Label| match lang {
        Lang::Zh => l.zh.to_string(),
        Lang::En => l.en.as_deref().unwrap_or(&l.zh).to_string(),
    };
    let range = match (f.min, f.max) {
        (Some(lo), Some(hi)) => format!(" {} … {}", lo.normalize(), hi.normalize()),
        (Some(lo), None) => format!(" ≥ {}", lo.normalize()),
        (None, Some(hi)) => format!(" ≤ {}", hi.normalize()),
        (None, None) => String::new(),
    };
    let values = match &f.vtype {
        ValueType::Bool => w.bool_values.to_string(),
        ValueType::Integer | ValueType::Decimal => match &f.allowed {
            Some(a) => {
                let a: Vec<String> = a.iter().map(|d| d.normalize().to_string()).collect();
                format!("{}{}", w.one_of, a.join(", "))
            }
            None if f.vtype == ValueType::Integer => format!("{}{range}", w.whole),
            None => format!("{}{range}", w.number),
        },
        ValueType::Enum(e) => {
            let options: Vec<String> =
                plan.enums[*e as usize].options.iter().map(|(id, label)| format!("{id} = {}", text(label))).collect();
            format!("{}{}", w.one_of, options.join("; "))
        }
        ValueType::Date => w.date.to_string(),
        ValueType::Text => f.max_len.map_or_else(String::new, |n| format!("{}{n}", w.at_most_chars)),
        ValueType::Uscc => w.key_values.to_string(),
    };
    let when_empty = match &f.missing {
        Missing::Required => String::new(),
        Missing::Default(v) => match (v, &f.vtype) {
            (Value::Bool(b), _) => (if *b { w.yes } else { w.no }).to_string(),
            (Value::Name(n), ValueType::Enum(e)) => {
                let id = plan.names.text(*n);
                let label = plan.enums[*e as usize].options.iter().find(|(o, _)| o == id).map(|(_, l)| text(l));
                label.map_or_else(|| id.to_string(), |l| format!("{id} = {l}"))
            }
            (v, _) => plan.names.show(v).to_string(),
        },
        Missing::NotApplicable => w.not_applicable.to_string(),
        Missing::Penalty(_) => w.penalty.to_string(),
    };
    GuideRow {
        list: list.map(str::to_string),
        column: column.to_string(),
        name: f.name.to_string(),
        label: text(&f.label),
        ty: (w.types)(&f.vtype).to_string(),
        values,
        required: matches!(f.missing, Missing::Required),
        when_empty,
        help: f.help.as_ref().map(text).unwrap_or_default(),
    }
}

impl Template {
    /// A header as a CSV line.
    pub fn header_csv(header: &[String]) -> String {
        let mut buf = Vec::new();
        for h in header {
            write::csv_field(&mut buf, h);
        }
        write::end_row(&mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// The column guide as CSV, cells a spreadsheet would take for formulas
    /// neutralised.
    pub fn guide_csv(&self) -> String {
        let w = self.lang.words();
        let mut buf = Vec::new();
        for h in w.header {
            write::csv_field(&mut buf, h);
        }
        write::end_row(&mut buf);
        for r in &self.guide {
            let file = r.list.as_deref().unwrap_or(w.firms);
            let required = if r.required { w.yes } else { w.no };
            let cells = [file, &r.column, &r.name, &r.label, &r.ty, &r.values, required, &r.when_empty, &r.help];
            for c in cells {
                write::csv_field(&mut buf, c);
            }
            write::end_row(&mut buf);
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
