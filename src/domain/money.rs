//! Bounds and sums of user-entered amounts (whole currency units, `i64`). Each amount and each
//! total is bounded by [`AMOUNT_MAX`], far beyond any investigator-initiated study budget, so a
//! sum of bounded amounts never nears `i64`'s range; sums are still taken exactly (in `i128`),
//! so a row stored before the bound existed can never wrap into a negative total.

/// 10^12 whole units (one trillion yen): the largest amount, and the largest total, accepted.
pub const AMOUNT_MAX: i64 = 1_000_000_000_000;

/// Whether an amount is within ±[`AMOUNT_MAX`] (negative amounts are refused by their own rules).
pub fn within_bound(amount: i64) -> bool {
    (-AMOUNT_MAX..=AMOUNT_MAX).contains(&amount)
}

/// The exact sum (`i128` holds the sum of any 2^64 `i64` values).
pub fn exact_sum(amounts: impl IntoIterator<Item = i64>) -> i128 {
    amounts.into_iter().map(i128::from).sum()
}

/// The sum when it is within the bound; `None` (shown as "—") otherwise.
pub fn bounded_total(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    i64::try_from(exact_sum(amounts))
        .ok()
        .filter(|total| within_bound(*total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_never_wrap() {
        assert_eq!(exact_sum([i64::MAX, i64::MAX]), 2 * i128::from(i64::MAX));
        assert_eq!(exact_sum([i64::MIN, -1]), i128::from(i64::MIN) - 1);
        assert_eq!(bounded_total([i64::MAX, i64::MAX]), None);
        assert_eq!(bounded_total([i64::MIN, i64::MIN]), None);
        assert_eq!(bounded_total([AMOUNT_MAX, 1]), None);
        assert_eq!(bounded_total([AMOUNT_MAX - 1, 1]), Some(AMOUNT_MAX));
        assert_eq!(bounded_total([5_000_000, 1_200_000]), Some(6_200_000));
        assert_eq!(bounded_total([]), Some(0));
        assert!(within_bound(AMOUNT_MAX) && !within_bound(AMOUNT_MAX + 1));
        assert!(!within_bound(i64::MIN));
    }
}
