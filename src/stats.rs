//! Statistics across trials.

use serde::Serialize;

/// Percentile by linear interpolation between order statistics (Hyndman and Fan type 7, the
/// default of numpy and R), on an ascending slice.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Mean and the 5th, 50th and 95th percentiles across trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Band {
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Band {
    /// Sorts `values` in place; the mean is summed in the given (trial) order first so it is
    /// reproducible to the last bit.
    pub fn of(values: &mut [f64]) -> Band {
        let mean = if values.is_empty() {
            f64::NAN
        } else {
            values.iter().sum::<f64>() / values.len() as f64
        };
        values.sort_by(f64::total_cmp);
        Band {
            mean,
            p05: percentile_sorted(values, 0.05),
            p50: percentile_sorted(values, 0.50),
            p95: percentile_sorted(values, 0.95),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type7_percentiles() {
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(percentile_sorted(&v, 0.5), 6.0);
        assert!((percentile_sorted(&v, 0.05) - 1.5).abs() < 1e-12);
        let mut w = vec![3.0, 1.0, 2.0];
        let b = Band::of(&mut w);
        assert_eq!(b.mean, 2.0);
        assert!(b.p05 <= b.p50 && b.p50 <= b.p95);
    }
}

/// Ranks (1-based), ties sharing their average rank.
pub fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson correlation of the ranks); NaN when either side is
/// constant or there are fewer than 3 pairs.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    if x.len() != y.len() || x.len() < 3 {
        return f64::NAN;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        f64::NAN
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod rank_tests {
    use super::*;

    #[test]
    fn spearman_of_monotone_and_reversed() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [1.0, 4.0, 9.0, 16.0, 100.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        let z: Vec<f64> = y.iter().map(|v| -v).collect();
        assert!((spearman(&x, &z) + 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
        assert!(spearman(&x, &[2.0; 5]).is_nan());
    }
}
