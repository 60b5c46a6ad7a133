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

/// The run's percentiles across `n` values by selection instead of a full sort: the order
/// statistics type 7 needs (two per percentile at most) are put in place with
/// `select_nth_unstable`, nearest the middle first, and each percentile is then computed exactly
/// as [`percentile_sorted`] computes it on the sorted values, so the figures are the same to the
/// last bit (a value's rank under `total_cmp` is unique up to identical bits). Bands of every
/// hour of a year across a thousand trials sort no column whole.
#[derive(Clone, Debug)]
pub struct RankPlan {
    n: usize,
    /// Ranks needed, ascending and unique.
    ranks: Vec<usize>,
    /// Per percentile: its lower and upper order statistic and the weight of the upper.
    terms: Vec<(usize, usize, f64)>,
}

impl RankPlan {
    /// The plan for `n` values and percentiles `pv` in percent (any order).
    pub fn new(n: usize, pv: &[f64]) -> RankPlan {
        let terms: Vec<(usize, usize, f64)> = pv
            .iter()
            .map(|&p| {
                if n < 2 {
                    return (0, 0, 0.0);
                }
                // As `percentile_sorted(sorted, p / 100.0)` does.
                let h = (n - 1) as f64 * (p / 100.0).clamp(0.0, 1.0);
                let lo = h.floor() as usize;
                (lo, (lo + 1).min(n - 1), h - lo as f64)
            })
            .collect();
        let mut ranks: Vec<usize> = terms.iter().flat_map(|t| [t.0, t.1]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        if n == 0 {
            ranks.clear();
        }
        RankPlan { n, ranks, terms }
    }

    /// How many values the plan is for.
    pub fn len(&self) -> usize {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The percentiles of `values` (`self.len()` of them; reordered), in the plan's order, each
    /// passed to `put`; `key` turns a value into the f64 figure (exact, monotone: `f64::from`
    /// of an f32, or the f64 itself) and `cmp` orders them as `total_cmp` orders those figures.
    pub fn each<T: Copy>(
        &self,
        values: &mut [T],
        cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Copy,
        key: impl Fn(T) -> f64,
        put: impl FnMut(f64),
    ) {
        self.each_sorting_up_to(SORT_MAX, values, cmp, key, put);
    }

    /// [`RankPlan::each`], sorting whole up to `sort_max` values (0: always by selection, as
    /// the tests compare).
    fn each_sorting_up_to<T: Copy>(
        &self,
        sort_max: usize,
        values: &mut [T],
        cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Copy,
        key: impl Fn(T) -> f64,
        mut put: impl FnMut(f64),
    ) {
        debug_assert_eq!(values.len(), self.n);
        match self.n {
            0 => self.terms.iter().for_each(|_| put(f64::NAN)),
            1 => self.terms.iter().for_each(|_| put(key(values[0]))),
            n => {
                if n <= sort_max {
                    insertion_sort(values, cmp);
                } else {
                    select_ranks(values, &self.ranks, 0, cmp);
                }
                for &(lo, hi, w) in &self.terms {
                    let (a, b) = (key(values[lo]), key(values[hi]));
                    put(a + w * (b - a));
                }
            }
        }
    }

    /// [`RankPlan::each`] for integer keys (the bands' order keys, ordered as `i32::cmp`): up
    /// to 32 of them put in order by counting (`count_sort`) rather than by insertion, the
    /// same keys at the same places, so the same figures to the bit.
    pub fn each_key(&self, keys: &mut [i32], key: impl Fn(i32) -> f64, mut put: impl FnMut(f64)) {
        debug_assert_eq!(keys.len(), self.n);
        if !(2..=SORT_MAX).contains(&self.n) {
            return self.each(keys, i32::cmp, key, put);
        }
        count_sort(keys);
        for &(lo, hi, w) in &self.terms {
            let (a, b) = (key(keys[lo]), key(keys[hi]));
            put(a + w * (b - a));
        }
    }
}

/// Ascending, for at most [`SORT_MAX`] keys: each key written at its count of smaller keys,
/// then each place a run of equal keys left unwritten filled from the place before it (the
/// largest so far, from a start below every key). Every comparison is a flag added, not a
/// branch, and the compiler makes them four at a time: an insertion sort's comparisons are
/// branches the processor guesses wrong about once a key. Sorting the bands of a 21-trial
/// default study (8,760 hours, each of its figures) took 3.3 % of the run's CPU samples by
/// insertion, 2.3 % by counting (perf, 8 December 2026).
fn count_sort(v: &mut [i32]) {
    let n = v.len();
    debug_assert!(n <= SORT_MAX);
    // The keys padded to a whole number of eights with keys no key is above (none counts
    // them), so the counting loop has no odd steps at its end.
    let mut keys = [i32::MAX; SORT_MAX];
    keys[..n].copy_from_slice(v);
    let padded = &keys[..n.next_multiple_of(8)];
    let mut out = [i32::MIN; SORT_MAX];
    for &x in v.iter() {
        let mut below = [0u32; 8];
        for eight in padded.chunks_exact(8) {
            for (b, &y) in below.iter_mut().zip(eight) {
                *b += u32::from(y < x);
            }
        }
        out[below.iter().sum::<u32>() as usize] = x;
    }
    for k in 1..n {
        out[k] = out[k].max(out[k - 1]);
    }
    v.copy_from_slice(&out[..n]);
}

/// Up to this many values [`RankPlan::each`] sorts them whole instead of selecting ranks: a
/// study's usual 5 to 20 trials need nearly every rank anyway (P10, P50 and P90 of 5 trials are
/// all five), and an insertion sort of so few keys takes fewer steps than a selection's
/// partitions. Sorted or selected, the value at each needed rank is the same (equal under
/// `cmp` means the same bits), so the figures are too.
const SORT_MAX: usize = 32;

/// Ascending under `cmp`, by insertion.
fn insertion_sort<T: Copy>(v: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && cmp(&x, &v[j - 1]) == std::cmp::Ordering::Less {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

/// Puts the order statistics `ranks` (ascending, unique) of the values at their places, `v`
/// being the values of ranks `offset..offset + v.len()`: the middle rank by selection, then each
/// side for the ranks it holds; a lone rank at either end of its side is that side's minimum or
/// maximum, found by one scan.
fn select_ranks<T: Copy>(
    v: &mut [T],
    ranks: &[usize],
    offset: usize,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Copy,
) {
    let n = v.len();
    match ranks {
        [] => {}
        [r] if *r == offset || *r == offset + n - 1 => {
            let want = if *r == offset {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            let mut best = 0;
            for i in 1..n {
                if cmp(&v[i], &v[best]) == want {
                    best = i;
                }
            }
            v.swap(best, *r - offset);
        }
        _ => {
            let mid = ranks.len() / 2;
            let r = ranks[mid] - offset;
            v.select_nth_unstable_by(r, cmp);
            let (left, right) = v.split_at_mut(r);
            select_ranks(left, &ranks[..mid], offset, cmp);
            select_ranks(&mut right[1..], &ranks[mid + 1..], offset + r + 1, cmp);
        }
    }
}

/// Sorts highest first under `total_cmp`, as `v.sort_unstable_by(|a, b| b.total_cmp(a))` does
/// and to the same bits (values equal under `total_cmp` are the same bits), by three passes of
/// an 11-bit radix sort; a pass whose digit every value shares is skipped. A trial's duration
/// curve (8,760 hours) sorted by comparisons took ~1.8 M instructions, by radix about a fifth.
pub fn sort_descending(v: &mut [f32]) {
    const RADIX_FROM: usize = 64;
    if v.len() < RADIX_FROM {
        v.sort_unstable_by(|a, b| b.total_cmp(a));
        return;
    }
    // Ascending as `total_cmp` orders the floats (negatives' bits flipped, positives' sign bit
    // set), then complemented: ascending keys are the floats highest first.
    let key = |x: f32| {
        let b = x.to_bits();
        !(b ^ ((((b as i32) >> 31) as u32) | 0x8000_0000))
    };
    let float = |k: u32| {
        let u = !k;
        f32::from_bits(if u & 0x8000_0000 != 0 {
            u ^ 0x8000_0000
        } else {
            !u
        })
    };
    let mut keys: Vec<u32> = v.iter().map(|&x| key(x)).collect();
    let mut next = vec![0u32; keys.len()];
    let mut counts = [[0u32; 2048]; 3];
    for &k in &keys {
        counts[0][(k & 0x7ff) as usize] += 1;
        counts[1][((k >> 11) & 0x7ff) as usize] += 1;
        counts[2][(k >> 22) as usize] += 1;
    }
    for (pass, count) in counts.iter_mut().enumerate() {
        if count.iter().any(|&c| c as usize == keys.len()) {
            continue;
        }
        let mut at = 0u32;
        for c in count.iter_mut() {
            (*c, at) = (at, at + *c);
        }
        let shift = 11 * pass;
        for &k in &keys {
            let d = ((k >> shift) & 0x7ff) as usize;
            next[count[d] as usize] = k;
            count[d] += 1;
        }
        std::mem::swap(&mut keys, &mut next);
    }
    for (x, &k) in v.iter_mut().zip(&keys) {
        *x = float(k);
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

#[cfg(test)]
mod select_tests {
    use super::*;
    use proptest::prelude::*;

    /// The figures a full sort gives (the definition the selection must match bit for bit).
    fn by_sort(values: &[f64], pv: &[f64]) -> Vec<f64> {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        pv.iter()
            .map(|&p| percentile_sorted(&s, p / 100.0))
            .collect()
    }

    fn by_plan(values: &[f64], pv: &[f64]) -> Vec<f64> {
        let mut v = values.to_vec();
        let mut out = Vec::new();
        RankPlan::new(v.len(), pv).each(&mut v, f64::total_cmp, |x| x, |x| out.push(x));
        out
    }

    fn same_bits(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    /// Values with ties, signed zeros and spread magnitudes.
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-5i32..5).prop_map(f64::from),
            Just(0.0),
            Just(-0.0),
            -1.0e6f64..1.0e6,
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
        ]
    }

    fn set() -> impl Strategy<Value = Vec<f64>> {
        prop_oneof![
            Just(vec![10.0, 50.0, 90.0]),
            Just(vec![0.1, 50.0, 99.9]),
            Just(vec![5.0, 25.0, 50.0, 75.0, 95.0]),
            Just((1..100).map(f64::from).collect::<Vec<_>>()),
            prop::collection::vec((1u32..1000).prop_map(|t| f64::from(t) / 10.0), 1..12),
        ]
    }

    proptest! {
        #[test]
        fn selection_gives_the_sorted_figures_bit_for_bit(
            values in prop::collection::vec(value(), 0..300),
            pv in set(),
        ) {
            prop_assert!(same_bits(&by_plan(&values, &pv), &by_sort(&values, &pv)));
        }

        #[test]
        fn selection_on_f32_gives_the_figures_of_their_f64_values(
            values in prop::collection::vec(any::<f32>().prop_filter("finite", |x| x.is_finite()), 0..300),
            pv in set(),
        ) {
            let wide: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
            let mut v = values.clone();
            let mut out = Vec::new();
            RankPlan::new(v.len(), &pv).each(&mut v, f32::total_cmp, f64::from, |x| out.push(x));
            prop_assert!(same_bits(&out, &by_sort(&wide, &pv)));
        }
    }

    /// f32 figures as a band meets them and worse: ties, both zeros, both infinities, NaN of
    /// either sign, subnormals and any bits at all.
    fn f32_value() -> impl Strategy<Value = f32> {
        prop_oneof![
            (-3i32..3).prop_map(|x| x as f32),
            Just(0.0f32),
            Just(-0.0f32),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            Just(f32::NAN),
            Just(-f32::NAN),
            Just(f32::MIN_POSITIVE / 2.0),
            any::<u32>().prop_map(f32::from_bits),
        ]
    }

    proptest! {
        #[test]
        fn sorting_few_values_gives_the_figures_selection_gives_bit_for_bit(
            values in prop::collection::vec(f32_value(), 1..=50),
            pv in set(),
        ) {
            let plan = RankPlan::new(values.len(), &pv);
            // Through the floats' own order, and through integer keys of another total order
            // (as the bands pass their order keys).
            let by_floats = |sort_max: usize| {
                let mut v = values.clone();
                let mut out = Vec::new();
                plan.each_sorting_up_to(sort_max, &mut v, f32::total_cmp, f64::from, |x| {
                    out.push(x.to_bits())
                });
                out
            };
            let by_keys = |sort_max: usize| {
                let mut v: Vec<i32> = values.iter().map(|x| x.to_bits() as i32).collect();
                let mut out = Vec::new();
                plan.each_sorting_up_to(sort_max, &mut v, i32::cmp, f64::from, |x| {
                    out.push(x.to_bits())
                });
                out
            };
            prop_assert_eq!(by_floats(SORT_MAX), by_floats(0));
            prop_assert_eq!(by_keys(SORT_MAX), by_keys(0));
        }
    }

    proptest! {
        /// Keys with many ties (a band's trials often agree to the bit), i32::MIN among them,
        /// any keys at all: the counting sort puts them as the insertion sort does, and the
        /// figures of every plan are the same bits.
        #[test]
        fn counting_few_keys_gives_the_insertion_sorts_figures(
            keys in prop::collection::vec(prop_oneof![
                (-3i32..3),
                Just(i32::MIN),
                Just(i32::MAX),
                any::<i32>(),
            ], 0..=SORT_MAX + 3),
            pv in set(),
        ) {
            let plan = RankPlan::new(keys.len(), &pv);
            let (mut by_count, mut by_insertion) = (keys.clone(), keys.clone());
            let (mut a, mut b) = (Vec::new(), Vec::new());
            plan.each_key(&mut by_count, f64::from, |x| a.push(x.to_bits()));
            plan.each_sorting_up_to(SORT_MAX, &mut by_insertion, i32::cmp, f64::from, |x| {
                b.push(x.to_bits())
            });
            prop_assert_eq!(a, b);
            if keys.len() <= SORT_MAX {
                let mut sorted = keys.clone();
                sorted.sort_unstable();
                let mut v = keys.clone();
                count_sort(&mut v);
                prop_assert_eq!(v, sorted);
            }
        }
    }

    proptest! {
        #[test]
        fn the_radix_sort_orders_highest_first_as_the_comparison_sort_does(
            values in prop::collection::vec(f32_value(), 0..400),
        ) {
            let mut by_cmp = values.clone();
            by_cmp.sort_unstable_by(|a, b| b.total_cmp(a));
            let mut by_radix = values.clone();
            sort_descending(&mut by_radix);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&by_radix), bits(&by_cmp));
        }
    }

    #[test]
    fn a_thousand_trials_with_ties_give_the_sorted_figures() {
        // Many equal values (an hour where most trials sit at the same figure) and both zeros.
        let values: Vec<f64> = (0..1000u32)
            .map(|i| match i % 7 {
                0 => 0.0,
                1 => -0.0,
                2 => 3.5,
                _ => f64::from(i.wrapping_mul(2_654_435_761) % 1000) / 7.0,
            })
            .collect();
        for pv in [vec![10.0, 50.0, 90.0], vec![0.1, 99.9], vec![50.0]] {
            assert!(same_bits(&by_plan(&values, &pv), &by_sort(&values, &pv)));
        }
    }
}
