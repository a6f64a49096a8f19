//! The text of a sheet cell's value, as [`super::super::float_text`] and
//! the rest of the workbook reader give it for a cell: which number
//! formats are dates, serial numbers as dates in the 1900 or 1904 system,
//! numbers by their shortest round-trip text, and the `_xHHHH_` escapes
//! Office writes in text.

use std::fmt::Write;

/// The first serial past Excel's dates (10000-01-01 in the 1900 system).
const PAST_DATES: f64 = 2_958_466.0;

/// Whether the built-in number format `id` shows a date or a time of day:
/// 14–22 (`mm-dd-yy` to `m/d/yy h:mm`), 45 and 47 (`mm:ss`, `mmss.0`), and
/// the East Asian built-ins 27–36 and 50–58, which are the locale's dates
/// and times (ECMA-376 §18.8.30; Excel shows them as such in Chinese and
/// Japanese locales). 46, `[h]:mm:ss`, is a duration, kept a number.
pub(super) fn builtin_is_date(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45 | 47 | 50..=58)
}

/// Whether the custom number format `code` shows a date or a time of day.
/// Only its first section counts (up to `;`). A date or time token is a
/// `y`, `m`, `d`, `h` or `s` (either case), or the `m`, `p` or `/` of an
/// `AM/PM` or `A/P`, outside quoted text (`"…"`), a character escaped by
/// `\`, `_` or `*`, and bracketed parts (`[Red]`, `[$-409]`); a bracketed
/// elapsed time (`[h]`, `[mm]`, `[ss]`) makes it a duration, which is
/// not a date. So `yyyy-mm-dd` and `h:mm` are dates; `0.00`, `[Red]0`,
/// `#,##0 "d"` and `[h]:mm` are not. This is calamine's rule, which the
/// workbook reader kept when it read `.xlsx` files.
pub(super) fn format_is_date(code: &str) -> bool {
    let mut chars = code.chars();
    let mut prev = ' ';
    let mut depth = 0u32;
    // The bracket being read holds only one of h, m or s, repeated.
    let mut elapsed = false;
    let mut am_pm = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' | '_' | '*' => {
                prev = chars.next().unwrap_or(c);
                continue;
            }
            '"' => {
                // To the closing quote; `\`, `_` and `*` escape in quotes too.
                while let Some(q) = chars.next() {
                    prev = q;
                    match q {
                        '"' => break,
                        '\\' | '_' | '*' => prev = chars.next().unwrap_or(q),
                        _ => {}
                    }
                }
                continue;
            }
            ';' => return false,
            '[' => depth += 1,
            ']' if depth == 1 && elapsed => return false,
            ']' => depth = depth.saturating_sub(1),
            'a' | 'A' if depth == 0 && !am_pm => am_pm = true,
            'p' | 'P' | 'm' | 'M' | '/' if depth == 0 && am_pm => return true,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' if depth == 0 && !am_pm => return true,
            _ => {
                elapsed = if elapsed && c.eq_ignore_ascii_case(&prev) {
                    true
                } else {
                    prev == '[' && matches!(c.to_ascii_lowercase(), 'h' | 'm' | 's')
                };
            }
        }
        prev = c;
    }
    false
}

/// Whether `v`, a number's text in a sheet, is already the text
/// `float_text` gives for it: an optional `-`, an integer part without a
/// leading zero (or `0`), an optional fraction without a trailing zero,
/// 15 digits at most, not `-0`. A decimal of at most 15 significant digits
/// is the only one of so few digits that parses to its double, so it is
/// that double's shortest round-trip text; and 15 digits keep it within
/// the normal doubles, which Rust writes without an exponent.
#[inline]
pub(super) fn is_shortest(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let n = int.len() + frac.map_or(0, <[u8]>::len);
    if int.is_empty() || n > 15 || !int.iter().all(u8::is_ascii_digit) || (int[0] == b'0' && int.len() > 1) {
        return false;
    }
    if let Some(frac) = frac {
        if frac.last().is_none_or(|&d| d == b'0') || !frac.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    // `-0` is 0; `-0.5` is itself.
    !(digits.len() < v.len() && int == b"0" && frac.is_none())
}

/// Appends the date a serial number shows in the 1900 (with Excel's
/// 1900-02-29, serial 60) or 1904 date system, `YYYY-MM-DD`, with the time
/// of day when it has one (`THH:MM:SS`, and `.mmm` when it has
/// milliseconds); a serial outside Excel's dates (below 1, from 10000-01-01)
/// as its number.
pub(super) fn push_date(out: &mut String, serial: f64, is_1904: bool) {
    if !(1.0..PAST_DATES).contains(&serial) {
        super::super::push_float(out, serial);
        return;
    }
    // The time of day to the millisecond, rounded as Excel shows it.
    let seconds = serial.fract() * 86_400.0;
    let mut milli = (seconds.fract() * 1000.0).round() as u64;
    let mut secs = seconds as u64;
    if milli == 1000 {
        secs += 1;
        milli = 0;
    }
    let mut day = serial.floor() as i64;
    if secs == 86_400 {
        day += 1;
        secs = 0;
    }
    // The last day Excel has, 9999-12-31, in each system.
    let day = day.min(if is_1904 { 2_957_003 } else { 2_958_465 });
    let (y, m, d) = if is_1904 {
        civil(day + EPOCH_1904)
    } else if day == 60 {
        // Excel's 1900-02-29, a day that was not.
        (1900, 2, 29)
    } else {
        // Serials before it count from 1899-12-31; after it they are one
        // day on.
        civil(day + EPOCH_1900 + i64::from(day < 60))
    };
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let _ = match (secs, milli) {
        (0, 0) => write!(out, "{y:04}-{m:02}-{d:02}"),
        (_, 0) => write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        _ => write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}"),
    };
}

/// 1899-12-30, serial 0 of the 1900 system once past 1900-02-28, in days
/// from 1970-01-01.
const EPOCH_1900: i64 = -25_569;
/// 1904-01-01, serial 0 of the 1904 system, in days from 1970-01-01.
const EPOCH_1904: i64 = -24_107;

/// The year, month and day of `days` after 1970-01-01, in the proleptic
/// Gregorian calendar (by eras of 400 years, which repeat exactly).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // from 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of the era, 0..146097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // year of the era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of the year from March 1
    let mp = (5 * doy + 2) / 153; // month from March, 0..12
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Appends `raw` to `out` with Office's escapes of characters XML cannot
/// hold decoded: `_xHHHH_` is the UTF-16 code unit HHHH (a pair of them a
/// character beyond the BMP, a lone surrogate U+FFFD), so `_x000D_` is a
/// CR and `_x005F_x000D_` the text `_x000D_`.
pub(super) fn push_unescaped(out: &mut Vec<u8>, raw: &[u8]) {
    let mut rest = raw;
    while let Some(at) = find_escape(rest) {
        out.extend_from_slice(&rest[..at]);
        let unit = escape_at(&rest[at..]).unwrap_or(0);
        rest = &rest[at + 7..];
        let c = match unit {
            0xD800..=0xDBFF => match escape_at(rest) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    rest = &rest[7..];
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(unit),
        };
        let mut utf8 = [0; 4];
        out.extend_from_slice(c.unwrap_or(char::REPLACEMENT_CHARACTER).encode_utf8(&mut utf8).as_bytes());
    }
    out.extend_from_slice(rest);
}

/// Where the first `_xHHHH_` escape in `s` starts.
fn find_escape(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'_', &s[from..]) {
        if escape_at(&s[from + i..]).is_some() {
            return Some(from + i);
        }
        from += i + 1;
    }
    None
}

/// The code unit of the `_xHHHH_` escape `s` starts with.
fn escape_at(s: &[u8]) -> Option<u32> {
    match s.get(..7)? {
        [b'_', b'x', hex @ .., b'_'] if hex.iter().all(u8::is_ascii_hexdigit) => {
            Some(hex.iter().fold(0, |n, &d| n * 16 + (d as char).to_digit(16).unwrap_or(0)))
        }
        _ => None,
    }
}
