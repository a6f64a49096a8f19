//! Score sums in integer registers: a decimal as its mantissa and scale,
//! added the way `rust_decimal` adds, so the result is the same number with
//! the same scale, bit for bit.
//!
//! `total_of` sums a firm's fired points into score groups and the total.
//! Done with `Decimal` values, each addition's result goes through memory in
//! four 32-bit pieces and is read back as one 128-bit value, which stalls
//! the processor; here the sums stay integers until the end. Where
//! `rust_decimal` would round (a sum beyond 96 bits, an operand that does not
//! fit at the larger scale) or where a zero's sign could matter,
//! [`Fixed::add`] gives `None` and the caller adds with `Decimal`s instead.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::value::POW10;

/// Decimal mantissas are below 2⁹⁶.
const MANTISSA_LIMIT: u128 = 1 << 96;

/// The number `m / 10^scale`, kept as `rust_decimal` would keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Fixed {
    m: i128,
    scale: u32,
}

impl Fixed {
    pub(super) const ZERO: Fixed = Fixed { m: 0, scale: 0 };

    /// `d`, unless it is a negative zero (which a mantissa cannot carry).
    #[inline]
    pub(super) fn of(d: Decimal) -> Option<Fixed> {
        let m = d.mantissa();
        (m != 0 || d.is_sign_positive()).then_some(Fixed { m, scale: d.scale() })
    }

    #[inline]
    pub(super) fn to_decimal(self) -> Decimal {
        // In range: every `Fixed` comes from a decimal or from `add`, which keeps it so.
        Decimal::from_i128_with_scale(self.m, self.scale)
    }

    #[inline]
    pub(super) fn is_zero(self) -> bool {
        self.m == 0
    }

    /// `self + other` as `Decimal` addition gives it, when that is exact.
    #[inline]
    pub(super) fn add(self, other: Fixed) -> Option<Fixed> {
        // `rust_decimal` returns the other operand as it is when one is zero.
        if self.m == 0 {
            return Some(other);
        }
        if other.m == 0 {
            return Some(self);
        }
        let scale = self.scale.max(other.scale);
        let a = rescaled(self, scale).filter(|a| a.unsigned_abs() < MANTISSA_LIMIT)?;
        let b = rescaled(other, scale).filter(|b| b.unsigned_abs() < MANTISSA_LIMIT)?;
        // Both below 2⁹⁶: no overflow. A zero sum of non-zero operands is
        // left to `rust_decimal`, whose sign rules for it are its own.
        let m = a + b;
        (m != 0 && m.unsigned_abs() < MANTISSA_LIMIT).then_some(Fixed { m, scale })
    }

    /// How `self` compares with `other` as numbers; `None` when one of them
    /// does not fit in an `i128` at the other's scale.
    #[inline]
    pub(super) fn cmp(self, other: Fixed) -> Option<Ordering> {
        let scale = self.scale.max(other.scale);
        Some(rescaled(self, scale)?.cmp(&rescaled(other, scale)?))
    }

    /// `clamp` of `eval`: `min` when below it, `max` when above it.
    #[inline]
    pub(super) fn clamp(self, min: Option<Fixed>, max: Option<Fixed>) -> Option<Fixed> {
        let mut x = self;
        if let Some(m) = min {
            if x.cmp(m)?.is_lt() {
                x = m;
            }
        }
        if let Some(m) = max {
            if x.cmp(m)?.is_gt() {
                x = m;
            }
        }
        Some(x)
    }
}

/// The mantissa of `x` at `scale` (not below its own).
#[inline]
fn rescaled(x: Fixed, scale: u32) -> Option<i128> {
    match scale - x.scale {
        0 => Some(x.m),
        by => x.m.checked_mul(*POW10.get(by as usize)?),
    }
}

#[cfg(test)]
mod tests;
