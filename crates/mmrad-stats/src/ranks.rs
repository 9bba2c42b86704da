//! Average ranks with ties (the ranking of `scipy.stats.rankdata(method="average")` and R `rank()`).

use crate::Result;

/// 1-based ranks; tied values share the mean of the ranks they span.
///
/// # Errors
/// [`Error::NonFinite`](crate::Error::NonFinite) naming the first NaN or infinite value.
///
/// # Examples
/// ```
/// assert_eq!(mmrad_stats::average_ranks(&[3.0, 1.0, 3.0, 2.0])?, vec![3.5, 1.0, 3.5, 2.0]);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn average_ranks(values: &[f64]) -> Result<Vec<f64>> {
    Ok(ranks_and_ties(values)?.0)
}

/// Average ranks and the sizes of the tie groups (groups of size 1 included), in increasing value order.
///
/// # Errors
/// [`Error::NonFinite`](crate::Error::NonFinite) naming the first NaN or infinite value.
pub fn ranks_and_ties(values: &[f64]) -> Result<(Vec<f64>, Vec<usize>)> {
    crate::check_finite("values", values)?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start+1..=end; their mean is (start + 1 + end) / 2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = rank;
        }
        ties.push(end - start);
        start = end;
    }
    Ok((ranks, ties))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn check(values: &[f64], expected: &[f64], ties: &[usize]) {
        let (ranks, tie_sizes) = ranks_and_ties(values).unwrap();
        assert_eq!(ranks, expected);
        assert_eq!(tie_sizes, ties);
    }

    #[test]
    fn ranks() {
        check(&[], &[], &[]);
        check(&[5.0], &[1.0], &[1]);
        check(&[2.0, 2.0, 2.0], &[2.0, 2.0, 2.0], &[3]);
        check(
            &[0.5, -1.0, 0.5, 7.0, -1.0],
            &[3.5, 1.5, 3.5, 5.0, 1.5],
            &[2, 2, 1],
        );
        assert!(matches!(
            average_ranks(&[1.0, f64::NAN]),
            Err(Error::NonFinite { index: 1, .. })
        ));
    }
}
