//! `Fixed` against `rust_decimal` itself: where `Fixed` gives a result, it is
//! the decimal `rust_decimal` computes, to the bit (scale and sign included).

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::Fixed;

/// Decimals of every size and scale, zeros of every scale, and negative zeros.
fn decimal() -> impl Strategy<Value = Decimal> {
    let mantissa = prop_oneof![
        3 => -1000i128..1000,
        2 => -(1i128 << 40)..(1i128 << 40),
        1 => -((1i128 << 96) - 1)..(1i128 << 96),
        1 => Just(0i128),
    ];
    (mantissa, 0u32..=28, any::<bool>()).prop_map(|(m, scale, negative_zero)| {
        let mut d = Decimal::from_i128_with_scale(m, scale);
        if m == 0 && negative_zero {
            d.set_sign_negative(true);
        }
        d
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn sums_are_rust_decimals_to_the_bit((a, b) in prop_oneof![
        4 => (decimal(), decimal()),
        1 => decimal().prop_map(|a| (a, -a)),
        1 => decimal().prop_map(|a| (-a, a)),
    ]) {
        let (Some(x), Some(y)) = (Fixed::of(a), Fixed::of(b)) else {
            prop_assert!(a.is_zero() && a.is_sign_negative() || b.is_zero() && b.is_sign_negative());
            return Ok(());
        };
        prop_assert_eq!(x.to_decimal().serialize(), a.serialize());
        if let Some(sum) = x.add(y) {
            let expected = a.checked_add(b).expect("an exact sum is in range");
            prop_assert_eq!(sum.to_decimal().serialize(), expected.serialize(), "{} + {}", a, b);
        }
    }

    #[test]
    fn comparisons_are_numeric(a in decimal(), b in decimal()) {
        if let (Some(x), Some(y)) = (Fixed::of(a), Fixed::of(b)) {
            if let Some(order) = x.cmp(y) {
                prop_assert_eq!(order, a.cmp(&b), "{} vs {}", a, b);
            }
        }
    }
}

#[test]
fn small_sums_take_the_fast_path() {
    let d = |s: &str| Fixed::of(s.parse().unwrap()).unwrap();
    for (a, b, sum) in [("1.5", "-2", "-0.5"), ("0.00", "3", "3"), ("3", "0.00", "3"), ("-10", "2.25", "-7.75")] {
        assert_eq!(d(a).add(d(b)).map(Fixed::to_decimal).map(|x| x.to_string()), Some(sum.to_string()));
    }
    // A zero sum of non-zero operands is left to rust_decimal.
    assert_eq!(d("2").add(d("-2")), None);
}
