//! The values of flags shared by several commands: the output format of
//! `eval` and of diagnostics, and the language of texts for people.

use clap::ValueEnum;

/// How `eval` prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EvalFormat {
    /// For people: grade, score, items, overrides, missing answers, next grade.
    Text,
    /// The result JSON.
    Json,
}

/// The language of texts for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl From<Lang> for safegrade::batch::Lang {
    fn from(l: Lang) -> safegrade::batch::Lang {
        match l {
            Lang::Zh => safegrade::batch::Lang::Zh,
            Lang::En => safegrade::batch::Lang::En,
        }
    }
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people: snippets and help lines.
    Human,
    /// One JSON document for machines.
    Json,
}
