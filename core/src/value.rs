//! Runtime values and the exact arithmetic on them.
//!
//! Numbers are `rust_decimal::Decimal` (28 significant digits); every
//! operation is checked, so an overflow is an error value, never a panic or a
//! wrapped result. Dates are proleptic Gregorian calendar days; durations are
//! a number of months plus a number of days, so `1 year` after 29 February is
//! 28 February, as the calendar (and the law) count it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

/// A value an expression produces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// true or false.
    Bool(bool),
    /// An exact decimal number.
    Num(Decimal),
    /// Text that is not one of the rule set's own texts.
    Text(Arc<str>),
    /// One of the rule set's own texts (an enum option's id, a text
    /// constant, a table key or cell), by its index in the rules' names:
    /// such texts compare by index. Results for people show the text.
    Name(u32),
    /// A calendar date.
    Date(NaiveDate),
    /// A length of time.
    Duration(Duration),
}

/// A length of time: whole months plus whole days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Duration {
    /// Months (a year is 12).
    pub months: i32,
    /// Days.
    pub days: i32,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{}", n.normalize()),
            Value::Text(t) => f.write_str(t),
            Value::Date(d) => write!(f, "{d}"),
            Value::Duration(d) => write!(f, "{} months {} days", d.months, d.days),
            Value::Name(i) => write!(f, "text #{i} of the rules"),
        }
    }
}

/// `n` units of `months_per_unit` months (0: days) as a duration; `None`
/// unless `n` is a whole number up to 100,000.
pub(crate) fn duration_of(n: Decimal, months_per_unit: u32) -> Option<Duration> {
    let k: i32 = (n.fract().is_zero() && n.abs() <= Decimal::from(100_000))
        .then(|| n.normalize().mantissa())
        .and_then(|k| i32::try_from(k).ok())?;
    Some(if months_per_unit == 0 {
        Duration { months: 0, days: k }
    } else {
        Duration { months: k * months_per_unit as i32, days: 0 }
    })
}

/// Why an arithmetic operation has no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithError {
    Overflow,
    DivisionByZero,
    DateOutOfRange,
}

impl fmt::Display for ArithError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArithError::Overflow => {
                "number out of range (beyond ±79,228,162,514,264,337,593,543,950,335, the largest magnitude a number can have)"
            }
            ArithError::DivisionByZero => "division by zero",
            ArithError::DateOutOfRange => "date out of range",
        })
    }
}

impl ArithError {
    /// The message in Chinese.
    pub(crate) fn zh(self) -> &'static str {
        match self {
            ArithError::Overflow => {
                "数值超出范围（绝对值超过 79,228,162,514,264,337,593,543,950,335，即数值所能表示的最大值）"
            }
            ArithError::DivisionByZero => "除数为零",
            ArithError::DateOutOfRange => "日期超出范围",
        }
    }
}

/// Why a number written as text was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberTextError {
    /// Over 64 characters.
    TooLong,
    /// Not digits with an optional sign, decimal point and (for a decimal) exponent.
    NotANumber,
    /// A whole number written with an exponent.
    WholeWithExponent,
    /// More than 28 significant digits.
    TooManyDigits,
    /// More than 28 decimal places, trailing zeros aside.
    TooManyPlaces,
    /// Beyond the largest magnitude (through its exponent).
    OutOfRange,
    /// Beyond the largest magnitude (through its digits).
    OutOfRangeDigits,
}

impl NumberTextError {
    /// What is wrong with `text`, for a diagnostic of a rule file (answers
    /// have their own texts, in English and Chinese).
    pub(crate) fn message(self, text: &str) -> String {
        match self {
            NumberTextError::TooLong => format!("`{text}` is too long for a number"),
            NumberTextError::NotANumber => format!("`{text}` is not a number"),
            NumberTextError::WholeWithExponent => format!("`{text}` is a whole number written with an exponent"),
            NumberTextError::OutOfRange | NumberTextError::OutOfRangeDigits => {
                format!("`{text}` is out of range (beyond ±79,228,162,514,264,337,593,543,950,335)")
            }
            NumberTextError::TooManyPlaces => {
                format!("`{text}` has more than 28 decimal places; it cannot be held exactly")
            }
            NumberTextError::TooManyDigits => {
                format!("`{text}` has more than 28 significant digits; it cannot be held exactly")
            }
        }
    }
}

/// A number written out in digits, or for a decimal (`whole` false) also
/// with an exponent (`1.5e3`). A whole number is never read from an
/// exponent: `1e2` in a count of people or accidents is far likelier a
/// spreadsheet's rewriting of another figure than a hundred. `12.0` is read
/// (as 12, scale kept; a reader of a whole number refuses a fraction that
/// is not zero). A number is read exactly or refused: never rounded.
///
/// This is the one reader of numbers: answers (JSON values and CSV cells),
/// numbers in rule files, table cells and expression literals.
pub(crate) fn read_number(t: &str, whole: bool) -> Result<Decimal, NumberTextError> {
    if t.len() > 64 {
        return Err(NumberTextError::TooLong);
    }
    let plain = t.strip_prefix('+').unwrap_or(t);
    if let Some(n) = plain_integer(plain) {
        return Ok(Decimal::from(n));
    }
    let ok_chars =
        !plain.is_empty() && plain.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'));
    if !ok_chars {
        return Err(NumberTextError::NotANumber);
    }
    let (mantissa, exponent) = match plain.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (plain, None),
    };
    if exponent.is_some() && whole {
        return Err(NumberTextError::WholeWithExponent);
    }
    let digits = mantissa.trim_start_matches('-');
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if significant_digits(int, frac) > 28 {
        return Err(NumberTextError::TooManyDigits);
    }
    // rust_decimal would round further places away.
    if frac.trim_end_matches('0').len() > 28 {
        return Err(NumberTextError::TooManyPlaces);
    }
    if let Some(exponent) = exponent {
        return Decimal::from_scientific(plain).map_err(|e| match e {
            rust_decimal::Error::ScaleExceedsMaximumPrecision(_) if exponent.starts_with('-') => {
                NumberTextError::TooManyPlaces
            }
            _ => NumberTextError::OutOfRange,
        });
    }
    Decimal::from_str(plain).map_err(|_| {
        if plain.chars().filter(|c| c.is_ascii_digit()).count() > 28 {
            NumberTextError::OutOfRangeDigits
        } else {
            NumberTextError::NotANumber
        }
    })
}

/// A whole number of at most 18 digits with an optional leading `-`: the
/// common cell, read without the general parser.
pub(crate) fn plain_integer(t: &str) -> Option<i64> {
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = digits.bytes().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some(if negative { -n } else { n })
}

/// The significant digits of `int.frac`: leading zeros do not count, nor,
/// when there is a fraction, do trailing zeros.
fn significant_digits(int: &str, frac: &str) -> usize {
    let digits = || int.bytes().chain(frac.bytes());
    let total = int.len() + frac.len();
    let leading = digits().take_while(|&b| b == b'0').count();
    let trailing = if frac.is_empty() { 0 } else { digits().rev().take_while(|&b| b == b'0').count() };
    total.saturating_sub(leading + trailing)
}

#[inline]
pub(crate) fn add(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

#[inline]
pub(crate) fn sub(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

#[inline]
pub(crate) fn mul(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_mul(b).ok_or(ArithError::Overflow)
}

/// Orders two numbers; numbers of the same scale (whole numbers, say) are
/// compared by their mantissas without rescaling.
#[inline]
pub(crate) fn cmp_num(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

/// 10⁰ to 10²⁸: every scale difference two numbers can have.
pub(crate) const POW10: [i128; 29] = {
    let mut t = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

#[inline]
pub(crate) fn div(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    if b.is_zero() {
        return Err(ArithError::DivisionByZero);
    }
    a.checked_div(b).ok_or(ArithError::Overflow)
}

/// Moves a date by a duration (months first, then days), or back when `sign` is -1.
pub(crate) fn shift_date(d: NaiveDate, dur: Duration, sign: i32) -> Result<NaiveDate, ArithError> {
    let months = dur.months.checked_mul(sign).ok_or(ArithError::DateOutOfRange)?;
    let days = dur.days.checked_mul(sign).ok_or(ArithError::DateOutOfRange)?;
    let m = Months::new(months.unsigned_abs());
    let d = if months >= 0 { d.checked_add_months(m) } else { d.checked_sub_months(m) }
        .ok_or(ArithError::DateOutOfRange)?;
    d.checked_add_signed(chrono::TimeDelta::days(i64::from(days))).ok_or(ArithError::DateOutOfRange)
}

/// Whole months from `a` to `b`, negative when `b` is earlier.
pub(crate) fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    if b < a {
        return -months_between(b, a);
    }
    let mut months = i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
    // Not a whole month yet when the day of month has not been reached; a
    // start on the 31st is reached at the end of a shorter month.
    let reached = shift_date(a, Duration { months: months as i32, days: 0 }, 1).is_ok_and(|m| m <= b);
    if !reached {
        months -= 1;
    }
    months
}

/// Rounding modes a rule file may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoundMode {
    HalfUp,
    HalfEven,
    Down,
    Up,
    Floor,
    Ceiling,
}

impl RoundMode {
    pub(crate) const NAMES: [&'static str; 6] = ["half_up", "half_even", "down", "up", "floor", "ceiling"];

    pub(crate) fn parse(s: &str) -> Option<RoundMode> {
        Some(match s {
            "half_up" => RoundMode::HalfUp,
            "half_even" => RoundMode::HalfEven,
            "down" => RoundMode::Down,
            "up" => RoundMode::Up,
            "floor" => RoundMode::Floor,
            "ceiling" => RoundMode::Ceiling,
            _ => return None,
        })
    }

    pub(crate) fn apply(self, x: Decimal, places: u32) -> Decimal {
        let strategy = match self {
            RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundMode::Down => RoundingStrategy::ToZero,
            RoundMode::Up => RoundingStrategy::AwayFromZero,
            RoundMode::Floor => RoundingStrategy::ToNegativeInfinity,
            RoundMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
        };
        x.round_dp_with_strategy(places.min(28), strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_between_counts_whole_months() {
        assert_eq!(months_between(date("2023-01-31"), date("2023-02-28")), 1);
        assert_eq!(months_between(date("2023-01-15"), date("2023-02-14")), 0);
        assert_eq!(months_between(date("2023-01-15"), date("2024-01-15")), 12);
        assert_eq!(months_between(date("2024-01-15"), date("2023-01-15")), -12);
    }

    #[test]
    fn leap_day_plus_a_year() {
        let d = shift_date(date("2024-02-29"), Duration { months: 12, days: 0 }, 1).unwrap();
        assert_eq!(d, date("2025-02-28"));
    }

    #[test]
    fn arithmetic_overflow_is_an_error() {
        assert_eq!(mul(Decimal::MAX, Decimal::TWO), Err(ArithError::Overflow));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Err(ArithError::DivisionByZero));
        let far = shift_date(date("2024-01-01"), Duration { months: i32::MAX, days: 0 }, 1);
        assert_eq!(far, Err(ArithError::DateOutOfRange));
    }

    #[test]
    fn overflow_message_names_the_largest_magnitude() {
        let message = ArithError::Overflow.to_string();
        let (_, bound) = message.split_once('±').expect("the message names the bound");
        let digits: String =
            bound.chars().take_while(|c| c.is_ascii_digit() || *c == ',').filter(|c| *c != ',').collect();
        assert_eq!(digits, Decimal::MAX.to_string(), "{message}");
        assert!(!message.contains("significant"), "{message}");
    }

    #[test]
    fn numbers_are_read_exactly_or_not_at_all() {
        let read = |t: &str| read_number(t, false).map(|d| d.to_string());
        assert_eq!(read("12.50"), Ok("12.50".into()));
        assert_eq!(read("-0.0000000000000000000000000001"), Ok("-0.0000000000000000000000000001".into()));
        assert_eq!(read("1.500000000000000000000000000000").map(|s| s.len()), Ok(30));
        assert_eq!(read("0.00000000000000000000000000001"), Err(NumberTextError::TooManyPlaces));
        assert_eq!(read("9.2345678901234567890123456789"), Err(NumberTextError::TooManyDigits));
        assert_eq!(read("792281625142643375935439503.3"), Ok("792281625142643375935439503.3".into()));
        assert_eq!(read("79228162514264337593543950335"), Err(NumberTextError::TooManyDigits));
        assert_eq!(read("1e29"), Err(NumberTextError::OutOfRange));
        assert_eq!(read("1.5e1"), Ok("15".into()));
        assert_eq!(read_number("1e1", true), Err(NumberTextError::WholeWithExponent));
        assert_eq!(read("1.2.3"), Err(NumberTextError::NotANumber));
        assert_eq!(read(""), Err(NumberTextError::NotANumber));
    }

    #[test]
    fn rounding_modes() {
        let x: Decimal = "2.45".parse().unwrap();
        assert_eq!(RoundMode::HalfUp.apply(x, 1).to_string(), "2.5");
        assert_eq!(RoundMode::HalfEven.apply(x, 1).to_string(), "2.4");
        assert_eq!(RoundMode::Down.apply(-x, 1).to_string(), "-2.4");
        assert_eq!(RoundMode::Floor.apply(-x, 1).to_string(), "-2.5");
    }

    proptest::proptest! {
        /// Counting significant digits agrees with trimming the zeros off the digit string.
        #[test]
        fn significant_digits_ignore_padding(int in "[0-9]{0,12}", frac in "[0-9]{0,12}") {
            let joined = format!("{int}{frac}");
            let trimmed = joined.trim_start_matches('0');
            let trimmed = if frac.is_empty() { trimmed } else { trimmed.trim_end_matches('0') };
            proptest::prop_assert_eq!(significant_digits(&int, &frac), trimmed.len());
        }
    }
}
