//! The stable codes of diagnostics, one variant per code.
//!
//! A code names a kind of problem for tests, documentation and callers; its
//! text (`R0206`) is what the rendered diagnostic and its JSON show, and
//! `docs/RULES.md` lists every code with its meaning. `R` codes are errors,
//! `W` codes warnings.

use std::fmt;

use serde::Serialize;

/// The stable code of a [`Diagnostic`](crate::Diagnostic): `R0206`, `W0001`.
///
/// Compare it with a variant, or with its text:
///
/// ```
/// use safegrade::Code;
/// assert_eq!(Code::BadFrom.as_str(), "R0206");
/// assert!(Code::BadFrom == "R0206");
/// assert!(Code::UnusedInput.is_warning());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Code {
    /// `R0001`: An expression syntax error, or a number that cannot be held exactly.
    Syntax,
    /// `R0002`: An expression too deep or too long.
    TooDeep,
    /// `R0003`: A TOML syntax error, an unknown key, or a value of the wrong TOML type.
    Structure,
    /// `R0004`: A required table is missing (`[ruleset]`, `[score]`, `[[grades]]`).
    MissingTable,
    /// `R0005`: A file cannot be read, is larger than 4 MiB, or a link leads it outside the rules root.
    Unreadable,
    /// `R0006`: An include cycle, or a scheme included as a rule set.
    IncludeCycle,
    /// `R0007`: A malformed scheme.
    BadScheme,
    /// `R0008`: An include or scheme step outside the rules root.
    OutsideRoot,
    /// `R0101`: A type mismatch.
    TypeMismatch,
    /// `R0102`: A bad duration.
    BadDuration,
    /// `R0103`: An unknown name (input, value, table, table column, grade, group, function).
    UnknownName,
    /// `R0104`: Text that is not an option of the enum it is compared with.
    NotAnOption,
    /// `R0105`: A name used where it cannot be seen.
    OutOfScope,
    /// `R0106`: A misuse of an aggregate (`where`, `else`, first argument).
    AggregateMisuse,
    /// `R0107`: A wrong number of arguments.
    ArgumentCount,
    /// `R0108`: A bad literal argument (rounding mode, places, date, a column not written as text).
    BadLiteralArgument,
    /// `R0201`: Something defined twice.
    DefinedTwice,
    /// `R0202`: An invalid name or id.
    BadName,
    /// `R0203`: An unknown rule set kind.
    UnknownKind,
    /// `R0204`: An unknown type or a declaration key that does not go with the type.
    BadDeclaration,
    /// `R0205`: Inconsistent bounds (`min` above `max`, an `allowed` value outside them, …).
    BadBounds,
    /// `R0206`: A bad `from` in a scheme.
    BadFrom,
    /// `R0207`: A bad missing-answer treatment, an input shared by steps with different types, or a base score that may be not applicable.
    BadMissing,
    /// `R0208`: A cycle between derived values, functions or lists.
    Cycle,
    /// `R0209`: A malformed table.
    BadTable,
    /// `R0210`: An item without `when` or `points`.
    IncompleteItem,
    /// `R0211`: An override without exactly one action.
    OverrideAction,
    /// `R0212`: Values, functions or expanded expressions nested too deep.
    TooDeeplyNested,
    /// `R0213`: Evaluating one firm would take more than the operation budget.
    TooCostly,
    /// `R0214`: A bad `[results]`: a column that is not a derived value, a name written anyway, an unknown grade, or a name given twice.
    BadResults,
    /// `R0301`: Grade bands leave a gap.
    BandGap,
    /// `R0302`: Grade bands overlap.
    BandOverlap,
    /// `R0303`: Grades not listed in score order.
    GradeOrder,
    /// `R0304`: A grade band contains no score.
    EmptyBand,
    /// `R0305`: The bands do not reach the score's `min` or `max`.
    BandsShort,
    /// `R0306`: A grade colour that is not `#rrggbb`.
    BadColor,
    /// `R0401`: A test case expects something the rule set does not have.
    BadTestCase,
    /// `W0001`: An input is never used.
    UnusedInput,
    /// `W0002`: An item can never fire.
    NeverFires,
    /// `W0003`: `fixable = false` on an item whose points are a constant bonus.
    FixableBonus,
}

impl Code {
    /// Every code, in the order `docs/RULES.md` lists them.
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::TooDeep,
        Code::Structure,
        Code::MissingTable,
        Code::Unreadable,
        Code::IncludeCycle,
        Code::BadScheme,
        Code::OutsideRoot,
        Code::TypeMismatch,
        Code::BadDuration,
        Code::UnknownName,
        Code::NotAnOption,
        Code::OutOfScope,
        Code::AggregateMisuse,
        Code::ArgumentCount,
        Code::BadLiteralArgument,
        Code::DefinedTwice,
        Code::BadName,
        Code::UnknownKind,
        Code::BadDeclaration,
        Code::BadBounds,
        Code::BadFrom,
        Code::BadMissing,
        Code::Cycle,
        Code::BadTable,
        Code::IncompleteItem,
        Code::OverrideAction,
        Code::TooDeeplyNested,
        Code::TooCostly,
        Code::BadResults,
        Code::BandGap,
        Code::BandOverlap,
        Code::GradeOrder,
        Code::EmptyBand,
        Code::BandsShort,
        Code::BadColor,
        Code::BadTestCase,
        Code::UnusedInput,
        Code::NeverFires,
        Code::FixableBonus,
    ];

    /// The code as written: `R0206`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "R0001",
            Code::TooDeep => "R0002",
            Code::Structure => "R0003",
            Code::MissingTable => "R0004",
            Code::Unreadable => "R0005",
            Code::IncludeCycle => "R0006",
            Code::BadScheme => "R0007",
            Code::OutsideRoot => "R0008",
            Code::TypeMismatch => "R0101",
            Code::BadDuration => "R0102",
            Code::UnknownName => "R0103",
            Code::NotAnOption => "R0104",
            Code::OutOfScope => "R0105",
            Code::AggregateMisuse => "R0106",
            Code::ArgumentCount => "R0107",
            Code::BadLiteralArgument => "R0108",
            Code::DefinedTwice => "R0201",
            Code::BadName => "R0202",
            Code::UnknownKind => "R0203",
            Code::BadDeclaration => "R0204",
            Code::BadBounds => "R0205",
            Code::BadFrom => "R0206",
            Code::BadMissing => "R0207",
            Code::Cycle => "R0208",
            Code::BadTable => "R0209",
            Code::IncompleteItem => "R0210",
            Code::OverrideAction => "R0211",
            Code::TooDeeplyNested => "R0212",
            Code::TooCostly => "R0213",
            Code::BadResults => "R0214",
            Code::BandGap => "R0301",
            Code::BandOverlap => "R0302",
            Code::GradeOrder => "R0303",
            Code::EmptyBand => "R0304",
            Code::BandsShort => "R0305",
            Code::BadColor => "R0306",
            Code::BadTestCase => "R0401",
            Code::UnusedInput => "W0001",
            Code::NeverFires => "W0002",
            Code::FixableBonus => "W0003",
        }
    }

    /// Whether diagnostics with this code are warnings (`W…`), which do
    /// not stop a rule file from being used.
    pub const fn is_warning(self) -> bool {
        self.as_str().as_bytes()[0] == b'W'
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_well_formed_and_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.len() == 5 && (s.starts_with('R') || s.starts_with('W')), "{s}");
            assert!(s[1..].bytes().all(|b| b.is_ascii_digit()), "{s}");
            assert_eq!(c.to_string(), s);
            assert_eq!(serde_json::to_value(c).unwrap(), s);
        }
    }
}
