//! What each column of a run's sources is for, as the header mapping
//! decided it: the key, an input (or list field) of a declared type,
//! carried to the results, or ignored. A reader of a typed format (Arrow,
//! Parquet) checks its column types against these before a run, so a
//! column that cannot hold an input's values is refused by name.

use crate::plan::ValueType;

/// How a column of a source is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnUse {
    /// The key.
    Key,
    /// Read as the input (a field, in a list source) `name`, of `kind`.
    Input {
        /// The input's or field's name in the rules.
        name: String,
        /// Its declared type.
        kind: InputKind,
    },
    /// Copied to the results as it is.
    Carried,
    /// Read by nothing.
    Ignored,
}

/// The declared type of an input or list field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// `bool`: yes or no.
    Bool,
    /// `integer`.
    Integer,
    /// `decimal`: an exact decimal number.
    Decimal,
    /// `enum`: one of the options' ids.
    Enum,
    /// `date`: `YYYY-MM-DD`.
    Date,
    /// `text`.
    Text,
    /// `uscc`: a 统一社会信用代码.
    Uscc,
}

impl InputKind {
    pub(crate) fn of(vtype: &ValueType) -> InputKind {
        match vtype {
            ValueType::Bool => InputKind::Bool,
            ValueType::Integer => InputKind::Integer,
            ValueType::Decimal => InputKind::Decimal,
            ValueType::Enum(_) => InputKind::Enum,
            ValueType::Date => InputKind::Date,
            ValueType::Text => InputKind::Text,
            ValueType::Uscc => InputKind::Uscc,
        }
    }

    /// The type's name in rule files (`integer`, `date` …).
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Bool => "bool",
            InputKind::Integer => "integer",
            InputKind::Decimal => "decimal",
            InputKind::Enum => "enum",
            InputKind::Date => "date",
            InputKind::Text => "text",
            InputKind::Uscc => "uscc",
        }
    }
}
