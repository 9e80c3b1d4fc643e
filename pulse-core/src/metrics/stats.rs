//! The statistics the metric spec names: the ordinary median, numpy-style percentiles
//! and the mean. Every function returns `None` over zero values (a metric over zero
//! items is null, never 0).

/// Sorts in place and returns the values' median (mean of the two middle values when
/// the count is even).
pub fn median(values: &mut [f64]) -> Option<f64> {
    percentile(values, 0.5)
}

/// The `q` quantile (0 ≤ q ≤ 1) with linear interpolation between closest ranks, numpy's
/// default: rank `q·(n−1)` between the sorted values around it. Sorts in place.
pub fn percentile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    Some(percentile_of_sorted(values, q))
}

/// [`percentile`] of values already sorted ascending.
pub fn percentile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let rank = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    sorted[below] + (sorted[above] - sorted[below]) * (rank - below as f64)
}

pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() { None } else { Some(values.iter().sum::<f64>() / values.len() as f64) }
}

/// Seconds as hours.
pub fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut [7.0]), Some(7.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn percentiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4], [75, 90]) == [3.25, 3.7]
        let mut v = [4.0, 1.0, 3.0, 2.0];
        assert!((percentile(&mut v, 0.75).unwrap() - 3.25).abs() < 1e-12);
        assert!((percentile(&mut v, 0.90).unwrap() - 3.7).abs() < 1e-12);
        // numpy.percentile([10, 20, 30, 40, 50], 90) == 46.0
        assert!((percentile(&mut [50.0, 10.0, 40.0, 20.0, 30.0], 0.9).unwrap() - 46.0).abs() < 1e-12);
        assert_eq!(percentile(&mut [5.0], 0.9), Some(5.0));
        assert_eq!(percentile(&mut [], 0.9), None);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
    }
}
