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

/// The percentile set a run reports in every output file, in percent, ascending and unique,
/// always including the median (50). Chosen by `--percentiles 10,50,90` or the run file's
/// `percentiles = [10, 50, 90]`; the default is [`Percentiles::DEFAULT`].
#[derive(Clone, Debug, PartialEq)]
pub struct Percentiles(Vec<f64>);

impl Default for Percentiles {
    fn default() -> Self {
        Percentiles(Percentiles::DEFAULT.to_vec())
    }
}

impl Percentiles {
    /// P10, P50, P90: the band a planner reads as "likely low, median, likely high".
    pub const DEFAULT: [f64; 3] = [10.0, 50.0, 90.0];

    /// Checks a list in percent: each strictly between 0 and 100, at most one decimal. The
    /// median is added when missing (every file has a P50), then the list is sorted and
    /// duplicates are dropped.
    pub fn new(list: &[f64]) -> std::result::Result<Percentiles, String> {
        if list.is_empty() {
            return Err("expected at least one percentile, e.g. 10,50,90".into());
        }
        let mut v = Vec::with_capacity(list.len() + 1);
        for &p in list {
            if !(p.is_finite() && p > 0.0 && p < 100.0) {
                return Err(format!(
                    "expected percentiles strictly between 0 and 100 (e.g. 10,50,90), found {p}"
                ));
            }
            if ((p * 10.0).round() - p * 10.0).abs() > 1e-9 {
                return Err(format!(
                    "expected percentiles with at most one decimal (e.g. 99.9), found {p}"
                ));
            }
            v.push((p * 10.0).round() / 10.0);
        }
        v.push(50.0);
        v.sort_by(f64::total_cmp);
        v.dedup();
        Ok(Percentiles(v))
    }

    /// Parses `10,50,90` (the `--percentiles` flag).
    pub fn parse(text: &str) -> std::result::Result<Percentiles, String> {
        let list: std::result::Result<Vec<f64>, String> = text
            .split(',')
            .map(|x| {
                x.trim().parse::<f64>().map_err(|_| {
                    format!("expected numbers separated by commas (e.g. 10,50,90), found {x:?}")
                })
            })
            .collect();
        Percentiles::new(&list?)
    }

    /// The percentiles, in percent.
    pub fn values(&self) -> &[f64] {
        &self.0
    }

    /// Column suffixes: `p10`, `p50`, `p90`, `p05`, `p99_9`.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|&p| name(p)).collect()
    }

    /// The lowest and highest percentile (the band's edges).
    pub fn low(&self) -> f64 {
        self.0[0]
    }
    pub fn high(&self) -> f64 {
        self.0[self.0.len() - 1]
    }

    /// Percentiles that rest on too few trials: fewer than one trial lies beyond them
    /// (n x min(p, 100 - p) / 100 < 1), so type-7 interpolation gives essentially the extreme
    /// trial (P99 needs at least 100 trials, P90 and P10 at least 10, P95 at least 20).
    pub fn thin(&self, trials: usize) -> Vec<f64> {
        self.0
            .iter()
            .copied()
            .filter(|&p| (trials as f64) * p.min(100.0 - p) / 100.0 < 1.0 - 1e-9)
            .collect()
    }

    /// One warning line per thin percentile (empty when every percentile is supported); one
    /// trial has no band at all, which one line says instead of a warning per percentile.
    pub fn warnings(&self, trials: usize) -> Vec<String> {
        if trials == 1 {
            return vec![ONE_TRIAL.to_string()];
        }
        self.thin(trials)
            .into_iter()
            .map(|p| {
                let need = (100.0 / p.min(100.0 - p)).ceil();
                format!(
                    "{} rests on {trials} trials: fewer than one trial lies beyond it, so it is \
                     essentially the {} trial; run at least {need} trials for a meaningful {}",
                    label(p),
                    if p > 50.0 { "highest" } else { "lowest" },
                    label(p)
                )
            })
            .collect()
    }
}

/// What a one-trial study's percentiles are (a reproduction of one trial, `--trials 1`).
pub const ONE_TRIAL: &str =
    "one trial: no bands across trials (every percentile column holds the trial's own figure)";

/// Column suffix of a percentile: `p05`, `p10`, `p99_9`.
pub fn name(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("p{:02}", p as u32)
    } else {
        let whole = p.trunc() as u32;
        let tenth = ((p - p.trunc()) * 10.0).round() as u32;
        format!("p{whole:02}_{tenth}")
    }
}

/// Display label of a percentile: `P05`, `P99.9`.
pub fn label(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("P{:02}", p as u32)
    } else {
        format!("P{p:04.1}")
    }
}

/// The mean and the run's percentiles across trials.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub mean: f64,
    /// (percentile in percent, value), ascending.
    pub pct: Vec<(f64, f64)>,
}

impl Band {
    /// Sorts `values` in place; the mean is summed in the given (trial) order first so it is
    /// reproducible to the last bit. The sum starts at +0 (`Sum` starts at -0), so figures that
    /// are all zero (the requests of a study without consumer classes) have the mean 0, not -0.
    pub fn of(values: &mut [f64], set: &Percentiles) -> Band {
        let mean = if values.is_empty() {
            f64::NAN
        } else {
            values.iter().fold(0.0, |a, v| a + v) / values.len() as f64
        };
        values.sort_by(f64::total_cmp);
        Band {
            mean,
            pct: set
                .values()
                .iter()
                .map(|&p| (p, percentile_sorted(values, p / 100.0)))
                .collect(),
        }
    }

    /// A band whose every figure is `v` (a count carried beside real bands).
    pub fn constant(v: f64, set: &Percentiles) -> Band {
        Band {
            mean: v,
            pct: set.values().iter().map(|&p| (p, v)).collect(),
        }
    }

    /// The value at percentile `p` (NaN when the band does not carry it).
    pub fn at(&self, p: f64) -> f64 {
        self.pct
            .iter()
            .find(|(q, _)| (q - p).abs() < 1e-9)
            .map_or(f64::NAN, |(_, v)| *v)
    }

    /// The lowest and highest percentile's values.
    pub fn low(&self) -> f64 {
        self.pct.first().map_or(f64::NAN, |x| x.1)
    }
    pub fn high(&self) -> f64 {
        self.pct.last().map_or(f64::NAN, |x| x.1)
    }
}

impl Serialize for Band {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1 + self.pct.len()))?;
        m.serialize_entry("mean", &self.mean)?;
        for (p, v) in &self.pct {
            m.serialize_entry(&name(*p), v)?;
        }
        m.end()
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
        let b = Band::of(&mut w, &Percentiles::new(&[5.0, 95.0]).unwrap());
        assert_eq!(b.mean, 2.0);
        assert!(b.at(5.0) <= b.at(50.0) && b.at(50.0) <= b.at(95.0));
    }

    #[test]
    fn percentile_sets_parse_name_and_warn() {
        let p = Percentiles::parse("90, 10,99.9").unwrap();
        assert_eq!(p.values(), &[10.0, 50.0, 90.0, 99.9]);
        assert_eq!(p.names(), vec!["p10", "p50", "p90", "p99_9"]);
        assert_eq!(label(5.0), "P05");
        assert!(Percentiles::parse("0,50").is_err());
        assert!(Percentiles::parse("10,x").is_err());
        assert!(Percentiles::parse("10.25").is_err());
        // P99 needs 100 trials; P10/P90 need 10.
        let q = Percentiles::parse("10,50,90,99").unwrap();
        assert_eq!(q.thin(100), Vec::<f64>::new());
        assert_eq!(q.thin(99), vec![99.0]);
        assert_eq!(q.thin(9), vec![10.0, 90.0, 99.0]);
        assert!(q.warnings(20)[0].starts_with("P99 rests on 20 trials"));
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
