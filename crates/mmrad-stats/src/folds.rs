//! Stratified k-fold ids, repeated folds and stratified bootstrap indices, drawn from a [`SeededRng`].
//!
//! Stratified folds: the events are shuffled (Fisher–Yates) and dealt to folds `0, 1, …, k-1, 0, …`; the
//! non-events are shuffled and dealt continuing from where the events stopped, so every fold gets
//! `⌊e/k⌋` or `⌈e/k⌉` events and fold sizes differ by at most one.

use mmrad_core::SeededRng;

use crate::{Error, Result};

/// A fold id in `0..k` for every case.
///
/// # Errors
/// [`Error::TooManyFolds`] when `k < 2`, or `k` exceeds the number of events or of non-events (every fold must
/// hold at least one case of each class), naming both counts.
///
/// # Examples
/// ```
/// use mmrad_core::SeededRng;
/// let y = [true, false, false, true, false, false];
/// let folds = mmrad_stats::stratified_folds(&y, 2, &mut SeededRng::new(1))?;
/// assert_eq!(folds.iter().filter(|&&f| f == 0).count(), 3);
/// # Ok::<(), mmrad_stats::Error>(())
/// ```
pub fn stratified_folds(y: &[bool], k: usize, rng: &mut SeededRng) -> Result<Vec<usize>> {
    let events = y.iter().filter(|&&v| v).count();
    let non_events = y.len() - events;
    if k < 2 || k > events || k > non_events {
        return Err(Error::TooManyFolds {
            k,
            events,
            non_events,
        });
    }
    let mut folds = vec![0; y.len()];
    let mut next_fold = 0;
    for class in [true, false] {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        shuffle(&mut members, rng);
        for index in members {
            folds[index] = next_fold;
            next_fold = (next_fold + 1) % k;
        }
    }
    Ok(folds)
}

/// `repeats` independent stratified fold assignments drawn one after the other from `rng`.
///
/// # Errors
/// As [`stratified_folds`].
pub fn repeated_stratified_folds(
    y: &[bool],
    k: usize,
    repeats: usize,
    rng: &mut SeededRng,
) -> Result<Vec<Vec<usize>>> {
    (0..repeats).map(|_| stratified_folds(y, k, rng)).collect()
}

/// A stratified bootstrap sample: position `i` of the result is an index drawn uniformly with replacement
/// among the cases of the same class as case `i`, so class counts are preserved.
///
/// # Errors
/// [`Error::Empty`] when `y` is empty.
pub fn stratified_bootstrap(y: &[bool], rng: &mut SeededRng) -> Result<Vec<usize>> {
    if y.is_empty() {
        return Err(Error::Empty { what: "y" });
    }
    let events: Vec<usize> = (0..y.len()).filter(|&i| y[i]).collect();
    let non_events: Vec<usize> = (0..y.len()).filter(|&i| !y[i]).collect();
    Ok(y.iter()
        .map(|&class| {
            let pool = if class { &events } else { &non_events };
            pool.get(rng.below(pool.len())).copied().unwrap_or(0)
        })
        .collect())
}

/// Fisher–Yates shuffle.
fn shuffle(values: &mut [usize], rng: &mut SeededRng) {
    for i in (1..values.len()).rev() {
        let j = rng.below(i + 1);
        values.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn liang_outcome() -> Vec<bool> {
        (0..89).map(|i| i % 89 < 28).collect()
    }

    #[test]
    fn folds_are_balanced_and_deterministic() {
        let y = liang_outcome();
        let folds = stratified_folds(&y, 5, &mut SeededRng::new(2025)).unwrap();
        for fold in 0..5 {
            let members: Vec<usize> = (0..89).filter(|&i| folds[i] == fold).collect();
            let events = members.iter().filter(|&&i| y[i]).count();
            // 28 events over 5 folds: 5 or 6 each; 89 cases: 17 or 18 each.
            assert!((5..=6).contains(&events), "fold {fold}: {events} events");
            assert!(
                (17..=18).contains(&members.len()),
                "fold {fold}: {} cases",
                members.len()
            );
        }
        assert_eq!(folds, stratified_folds(&y, 5, &mut SeededRng::new(2025)).unwrap());
        assert_ne!(folds, stratified_folds(&y, 5, &mut SeededRng::new(2026)).unwrap());
        let repeated = repeated_stratified_folds(&y, 5, 3, &mut SeededRng::new(2025)).unwrap();
        assert_eq!(repeated.len(), 3);
        assert_eq!(repeated[0], folds);
        assert_ne!(repeated[1], repeated[0]);
    }

    #[test]
    fn too_many_folds_names_the_counts() {
        let y = [true, true, false, false, false];
        let err = stratified_folds(&y, 3, &mut SeededRng::new(1)).unwrap_err();
        assert_eq!(
            err,
            Error::TooManyFolds {
                k: 3,
                events: 2,
                non_events: 3
            }
        );
        assert!(err.to_string().contains("2 events and 3 non-events"), "{err}");
        assert!(stratified_folds(&y, 1, &mut SeededRng::new(1)).is_err());
    }

    #[test]
    fn bootstrap_preserves_classes() {
        let y = liang_outcome();
        let sample = stratified_bootstrap(&y, &mut SeededRng::new(3)).unwrap();
        assert_eq!(sample.len(), 89);
        assert!(sample.iter().zip(&y).all(|(&i, &class)| y[i] == class));
        assert!(stratified_bootstrap(&[], &mut SeededRng::new(3)).is_err());
    }
}
