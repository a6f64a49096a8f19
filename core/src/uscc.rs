//! The 统一社会信用代码 (unified social credit code) check of GB 32100-2015.
//!
//! 18 characters from a 31-character set (digits and capital letters without
//! I, O, S, V, Z); positions 3–8 are digits (the GB/T 2260 region); the 18th
//! character is a check character: the weights of positions 1–17 are
//! 3^(i−1) mod 31 and the check value is (31 − Σ value·weight mod 31) mod 31.
//! Source: `credit-and-blacklist.md` §4 (V-2nd: agreeing implementations).

const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Each byte's value in the character set; 31 for bytes not in it.
const VALUES: [u8; 256] = {
    let mut table = [31u8; 256];
    let mut i = 0;
    while i < CHARSET.len() {
        table[CHARSET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn value_of(c: u8) -> Option<u32> {
    let v = VALUES[usize::from(c)];
    (v < 31).then_some(u32::from(v))
}

/// The check character for the first 17 characters of a code.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += value_of(*b)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(CHARSET[check as usize] as char)
}

/// Checks a code; the error says what is wrong.
pub fn validate(code: &str) -> Result<(), String> {
    check(code).map_err(|e| e.en())
}

/// What is wrong with a code, in terms either language can say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UsccError {
    /// It has this many characters, not 18.
    Length(usize),
    /// The character at this position (1-based) is not in the character set.
    Character(usize, char),
    /// Characters 3 to 8 are not all digits.
    Region,
    /// The check character found, and the one expected.
    Check(char, char),
}

impl UsccError {
    /// What is wrong, in English.
    pub(crate) fn en(&self) -> String {
        match self {
            UsccError::Length(n) => format!("has {n} characters, expected 18"),
            UsccError::Character(pos, c) => {
                format!("character {pos} `{c}` is not allowed (I, O, S, V, Z and lowercase are not used)")
            }
            UsccError::Region => "characters 3 to 8 (the region code) must be digits".into(),
            UsccError::Check(found, expected) => format!("check character is `{found}`, expected `{expected}`"),
        }
    }

    /// What is wrong, in Chinese.
    pub(crate) fn zh(&self) -> String {
        match self {
            UsccError::Length(n) => format!("共 {n} 位，应为 18 位"),
            UsccError::Character(pos, c) => {
                format!("第 {pos} 位“{c}”不是允许的字符（不使用 I、O、S、V、Z 和小写字母）")
            }
            UsccError::Region => "第 3 至 8 位（登记管理机关行政区划码）必须是数字".into(),
            UsccError::Check(found, expected) => format!("校验码为“{found}”，应为“{expected}”"),
        }
    }
}

/// Checks a code against GB 32100-2015.
pub(crate) fn check(code: &str) -> Result<(), UsccError> {
    let n = code.chars().count();
    if n != 18 {
        return Err(UsccError::Length(n));
    }
    let bytes = code.as_bytes();
    if let Some(pos) = bytes.iter().position(|&b| value_of(b).is_none()) {
        let c = code[pos..].chars().next().unwrap_or('?');
        return Err(UsccError::Character(pos + 1, c));
    }
    if !bytes[2..8].iter().all(u8::is_ascii_digit) {
        return Err(UsccError::Region);
    }
    let expected = check_char(&code[..17]).unwrap_or('?');
    if bytes[17] as char != expected {
        return Err(UsccError::Check(bytes[17] as char, expected));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_from_the_domain_notes() {
        for ok in [
            "91110108MA00000070",
            "91310115MA0000007H",
            "91440300MA00000077",
            "91110000600037341L",
            "91512081MA62K0260E",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        assert!(validate("91110108MA00000071").unwrap_err().contains("expected `0`"));
        assert!(validate("91310115MA0000007I").unwrap_err().contains("not allowed"));
        assert!(validate("9131011").unwrap_err().contains("7 characters"));
        assert!(validate("91A10115MA0000007H").unwrap_err().contains("region"));
    }

    #[test]
    fn the_value_table_is_the_character_set() {
        for c in 0..=255u8 {
            assert_eq!(value_of(c), CHARSET.iter().position(|&x| x == c).map(|p| p as u32), "byte {c}");
        }
    }

    #[test]
    fn weights_are_powers_of_three() {
        let mut w = 1;
        for expected in WEIGHTS {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
    }
}
