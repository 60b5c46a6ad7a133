//! Effect sizes of the uncertain inputs: how many MW (or MWh, or hours) an input moves an output,
//! with a 95 % confidence interval, written to `effects.csv` beside `sensitivity.csv`'s rank
//! correlations.
//!
//! **Method.** For each output y (annual energy, peak demand and, with an import limit, hours
//! above it), one multiple linear regression over the trials of y on all the uncertain inputs
//! together, by ordinary least squares with the inputs centred (and scaled by their standard
//! deviation for the arithmetic, which changes no result):
//!
//! ```text
//! y_i = b0 + sum_j b_j (x_ij - mean(x_j)) + e_i
//! ```
//!
//! `b_j` is the change in y per unit of input j with the other inputs held at their values (the
//! `slope_per_unit`), `b_j * sd(x_j)` the change per standard deviation of the input (`per_sd`,
//! sd with n - 1), and `b_j * (P90(x_j) - P10(x_j))` the change when the input moves from its
//! P10 to its P90 across the trials' draws (`p10_to_p90`, what the tornado chart draws).
//! Standard errors come from the residual variance s² = RSS / (n - p - 1) and (X'X)⁻¹:
//! se(b_j) = sqrt(s² [(X'X)⁻¹]_jj); the 95 % interval is b_j ± t(0.975, n - p - 1) se(b_j), with
//! the Student t quantile computed here (regularised incomplete beta by its continued fraction,
//! inverted by bisection). The per-SD and P10-to-P90 intervals are the slope's interval scaled by
//! the same (fixed) factor. The interval assumes a linear effect and residuals of equal variance;
//! `r2` (share of the output's variance the inputs explain linearly) says how far the linear
//! picture goes.
//!
//! **Degenerate cases** give a `note` and empty figures, never NaN: an input that did not vary
//! (left out of the regression), an input that is a linear combination of earlier ones (collinear:
//! left out, naming them), fewer trials than the varying inputs + 2 (no residual degree of
//! freedom: no regression at all).

use std::fmt::Write as _;

use crate::base::csvcell::cell;
use crate::scenario::Scenario;
use crate::sim::{TrialResult, TrialSummary};

/// Below this share of its variance not explained by the inputs already in the model, an input
/// counts as collinear with them (1 - R² of x_j on the others).
const COLLINEAR_TOL: f64 = 1e-9;

/// One regression's answer for one input.
#[derive(Clone, Debug, PartialEq)]
pub struct Coef {
    /// Change in y per unit of the input.
    pub slope: f64,
    /// Standard error of `slope`.
    pub se: f64,
    /// 95 % confidence interval of `slope`.
    pub lo: f64,
    pub hi: f64,
}

/// An input's place in a regression: estimated, or left out and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Fit(Coef),
    Out(String),
}

/// A multiple linear regression of y on the columns of x.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Per input, in the order given.
    pub terms: Vec<Term>,
    /// Residual degrees of freedom n - p - 1 (p: inputs estimated).
    pub dof: usize,
    /// Share of y's variance explained (1 when y did not vary).
    pub r2: f64,
    /// The t quantile used for the intervals.
    pub t: f64,
}

/// Ordinary least squares of `y` on the inputs `x` (one `Vec` per input, each with one value
/// per trial, like `y`), inputs centred. Inputs that did not vary or are collinear with earlier
/// ones are left out with a message; `Err` when too few trials remain for any interval.
pub fn regress(names: &[String], x: &[Vec<f64>], y: &[f64]) -> Result<Fit, String> {
    let n = y.len();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut terms: Vec<Option<Term>> = vec![None; x.len()];
    // Centred and scaled columns of the inputs that varied.
    let mut z: Vec<(usize, f64, Vec<f64>)> = Vec::new();
    for (j, col) in x.iter().enumerate() {
        let m = mean(col);
        let ss: f64 = col.iter().map(|v| (v - m) * (v - m)).sum();
        if let Some(t) = col.iter().position(|v| !v.is_finite()) {
            terms[j] = Some(Term::Out(format!("no value in trial {t}")));
            continue;
        }
        if ss == 0.0 || n < 2 {
            terms[j] = Some(Term::Out(match col.first() {
                Some(v) => format!(
                    "did not vary (every trial drew {})",
                    crate::base::numfmt::num(*v)
                ),
                None => "no trials".to_string(),
            }));
            continue;
        }
        let sd = (ss / (n - 1) as f64).sqrt();
        z.push((j, sd, col.iter().map(|v| (v - m) / sd).collect()));
    }
    if n < z.len() + 2 {
        return Err(format!(
            "{n} trials for {} varying inputs: a regression with intervals needs at least {} trials (inputs + 2), and about 10 per input for intervals narrow enough to rank them; rerun with --trials {}",
            z.len(),
            z.len() + 2,
            (z.len() + 2).max(10 * z.len())
        ));
    }
    // Add the inputs one at a time; one that the inputs already in explain (1 - R² below the
    // tolerance) is collinear with them and left out.
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
    let mut kept: Vec<usize> = Vec::new(); // indices into z
    for k in 0..z.len() {
        let zk = &z[k].2;
        let ss = dot(zk, zk);
        if !kept.is_empty() {
            let a: Vec<Vec<f64>> = kept
                .iter()
                .map(|&i| kept.iter().map(|&l| dot(&z[i].2, &z[l].2)).collect())
                .collect();
            let b: Vec<f64> = kept.iter().map(|&i| dot(&z[i].2, zk)).collect();
            let c = solve(a, &b);
            let explained: f64 = c.iter().zip(&b).map(|(ci, bi)| ci * bi).sum();
            if ss - explained <= COLLINEAR_TOL * ss {
                let with: Vec<&str> = kept
                    .iter()
                    .zip(&c)
                    .filter(|(_, ci)| ci.abs() > 1e-6)
                    .map(|(&i, _)| names[z[i].0].as_str())
                    .collect();
                terms[z[k].0] = Some(Term::Out(format!(
                    "collinear with {}: a linear combination of them in every trial so its effect cannot be told apart",
                    with.join(" and ")
                )));
                continue;
            }
        }
        kept.push(k);
    }
    let p = kept.len();
    let dof = n - p - 1;
    let ym = mean(y);
    let yc: Vec<f64> = y.iter().map(|v| v - ym).collect();
    let syy = dot(&yc, &yc);
    // Normal equations in the scaled inputs: (Z'Z) g = Z'y, with Z'Z inverted once.
    let a: Vec<Vec<f64>> = kept
        .iter()
        .map(|&i| kept.iter().map(|&l| dot(&z[i].2, &z[l].2)).collect())
        .collect();
    let inv = invert(a);
    let zy: Vec<f64> = kept.iter().map(|&i| dot(&z[i].2, &yc)).collect();
    let g: Vec<f64> = inv.iter().map(|row| dot(row, &zy)).collect();
    let mut rss = 0.0;
    for (t, v) in yc.iter().enumerate() {
        let fit: f64 = kept.iter().zip(&g).map(|(&i, gi)| gi * z[i].2[t]).sum();
        rss += (v - fit) * (v - fit);
    }
    let s2 = rss / dof as f64;
    let t = t_quantile(0.975, dof as f64);
    for (q, &i) in kept.iter().enumerate() {
        let (j, sd, _) = &z[i];
        let se_g = (s2 * inv[q][q]).max(0.0).sqrt();
        let (slope, se) = (g[q] / sd, se_g / sd);
        terms[*j] = Some(Term::Fit(Coef {
            slope,
            se,
            lo: slope - t * se,
            hi: slope + t * se,
        }));
    }
    Ok(Fit {
        terms: terms
            .into_iter()
            .map(|t| t.unwrap_or_else(|| Term::Out("not estimated".into())))
            .collect(),
        dof,
        r2: if syy > 0.0 {
            (1.0 - rss / syy).clamp(0.0, 1.0)
        } else {
            1.0
        },
        t,
    })
}

/// Solves the small symmetric positive definite system `a c = b` (Gaussian elimination with
/// partial pivoting).
fn solve(a: Vec<Vec<f64>>, b: &[f64]) -> Vec<f64> {
    let inv = invert(a);
    inv.iter()
        .map(|row| row.iter().zip(b).map(|(p, q)| p * q).sum())
        .collect()
}

/// The inverse of a small non-singular matrix (Gauss-Jordan with partial pivoting). Callers
/// only pass Gram matrices of inputs already checked not to be collinear.
fn invert(mut a: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let n = a.len();
    let mut inv: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for c in 0..n {
        let piv = (c..n)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap_or(c);
        a.swap(c, piv);
        inv.swap(c, piv);
        let d = a[c][c];
        for k in 0..n {
            a[c][k] /= d;
            inv[c][k] /= d;
        }
        for r in 0..n {
            if r != c {
                let f = a[r][c];
                if f != 0.0 {
                    for k in 0..n {
                        a[r][k] -= f * a[c][k];
                        inv[r][k] -= f * inv[c][k];
                    }
                }
            }
        }
    }
    inv
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut s = G[0];
    for (i, g) in G.iter().enumerate().skip(1) {
        s += g / (x + i as f64);
    }
    let t = x + 7.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + s.ln()
}

/// The regularised incomplete beta function I_x(a, b) (continued fraction, modified Lentz).
fn inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - inc_beta(1.0 - x, b, a);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..500 {
        let m = f64::from(m);
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        for numerator in [
            num,
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + numerator / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            f *= c * d;
        }
        if (c * d - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * f / a
}

/// P(T <= t) for Student's t with `dof` degrees of freedom.
pub fn t_cdf(t: f64, dof: f64) -> f64 {
    let tail = 0.5 * inc_beta(dof / (dof + t * t), dof / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `p` quantile (0.5 < p < 1) of Student's t with `dof` > 0 degrees of freedom, by bisection
/// on [`t_cdf`] to 1e-12 relative.
pub fn t_quantile(p: f64, dof: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while t_cdf(hi, dof) < p && hi < 1e12 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if t_cdf(mid, dof) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// An output the effects are computed for.
pub struct Output {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: fn(&TrialSummary) -> f64,
}

/// Annual energy and peak demand; hours above the import limit when the study has one (the
/// outputs `sensitivity.csv` ranks by).
pub fn outputs(sc: &Scenario) -> Vec<Output> {
    let mut v = vec![
        Output {
            name: "peak_mw",
            unit: "MW",
            value: |s| s.peak_mw,
        },
        Output {
            name: "energy_mwh",
            unit: "MWh",
            value: |s| s.energy_mwh,
        },
    ];
    if sc.grid.limit.is_some() {
        v.push(Output {
            name: "exceed_hours",
            unit: "h",
            value: |s| s.exceed_hours,
        });
    }
    v
}

/// One row of effects.csv: one input's effect on one output.
#[derive(Clone, Debug)]
pub struct Effect {
    pub output: &'static str,
    pub unit: &'static str,
    pub parameter: String,
    /// Spearman rank correlation (as in sensitivity.csv).
    pub rho: f64,
    pub input_sd: f64,
    pub input_p10: f64,
    pub input_p90: f64,
    /// The regression's answer, or why there is none.
    pub term: Term,
    pub trials: usize,
    pub dof: Option<usize>,
    pub r2: f64,
}

impl Effect {
    /// The change from the input's P10 to its P90: value and interval.
    pub fn swing(&self) -> Option<(f64, f64, f64)> {
        match &self.term {
            Term::Fit(c) => {
                let w = self.input_p90 - self.input_p10;
                Some((c.slope * w, c.lo * w, c.hi * w))
            }
            Term::Out(_) => None,
        }
    }
}

/// Every uncertain input's effect on every output in [`outputs`], grouped by output and, within
/// one, largest P10-to-P90 change first (inputs with no estimate last, in input order).
pub fn effects(sc: &Scenario, results: &[TrialResult]) -> Vec<Effect> {
    let names = sc.parameter_names();
    let x: Vec<Vec<f64>> = (0..names.len())
        .map(|i| {
            results
                .iter()
                .map(|r| r.summary.params.get(i).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let n = results.len();
    let mut out = Vec::new();
    for o in outputs(sc) {
        let y: Vec<f64> = results.iter().map(|r| (o.value)(&r.summary)).collect();
        let fit = regress(&names, &x, &y);
        let mut rows: Vec<Effect> = names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let col = &x[j];
                let mut sorted = col.clone();
                sorted.sort_by(f64::total_cmp);
                let m = col.iter().sum::<f64>() / n.max(1) as f64;
                let sd = if n > 1 {
                    (col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt()
                } else {
                    f64::NAN
                };
                let (term, dof, r2) = match &fit {
                    Ok(f) => (f.terms[j].clone(), Some(f.dof), f.r2),
                    Err(msg) => (Term::Out(msg.clone()), None, f64::NAN),
                };
                Effect {
                    output: o.name,
                    unit: o.unit,
                    parameter: name.clone(),
                    rho: crate::base::stats::spearman(col, &y),
                    input_sd: sd,
                    input_p10: crate::base::stats::percentile_sorted(&sorted, 0.10),
                    input_p90: crate::base::stats::percentile_sorted(&sorted, 0.90),
                    term,
                    trials: n,
                    dof,
                    r2,
                }
            })
            .collect();
        let key = |e: &Effect| e.swing().map_or(-1.0, |(s, _, _)| s.abs());
        rows.sort_by(|a, b| key(b).total_cmp(&key(a)));
        out.extend(rows);
    }
    out
}

/// A figure with six significant digits (fixed notation for ordinary magnitudes, exponent for
/// very small or large ones), or an empty field when undefined.
fn sig(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    let s = if (1e-6..1e15).contains(&a) {
        let decimals = (5 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.5e}")
    };
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

/// A text field for CSV: quoted when it holds a comma or a quote.
/// effects.csv: one row per output and input (see the module docs for the method).
pub fn effects_csv(rows: &[Effect]) -> String {
    let mut out = String::from(
        "output,unit,rank,parameter,rho,slope_per_unit,slope_ci_low,slope_ci_high,input_sd,per_sd,per_sd_ci_low,per_sd_ci_high,input_p10,input_p90,p10_to_p90,p10_to_p90_ci_low,p10_to_p90_ci_high,trials,dof,r2,note\n",
    );
    let mut rank = 0;
    let mut last = "";
    for e in rows {
        if e.output != last {
            rank = 0;
            last = e.output;
        }
        rank += 1;
        let _ = write!(
            out,
            "{},{},{rank},{},{},",
            e.output,
            e.unit,
            cell(&e.parameter),
            sig(e.rho)
        );
        let (fit, note) = match &e.term {
            Term::Fit(c) => (Some(c), String::new()),
            Term::Out(m) => (None, m.clone()),
        };
        let f = |g: fn(&Coef) -> f64, scale: f64| fit.map_or(String::new(), |c| sig(g(c) * scale));
        let w = e.input_p90 - e.input_p10;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            f(|c| c.slope, 1.0),
            f(|c| c.lo, 1.0),
            f(|c| c.hi, 1.0),
            sig(e.input_sd),
            f(|c| c.slope, e.input_sd),
            f(|c| c.lo, e.input_sd),
            f(|c| c.hi, e.input_sd),
            sig(e.input_p10),
            sig(e.input_p90),
            f(|c| c.slope, w),
            f(|c| c.lo, w),
            f(|c| c.hi, w),
            e.trials,
            e.dof.map_or(String::new(), |d| d.to_string()),
            sig(e.r2),
            cell(&note),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    fn names(k: usize) -> Vec<String> {
        (1..=k).map(|i| format!("x{i}")).collect()
    }

    fn fit(f: &Fit, j: usize) -> &Coef {
        match &f.terms[j] {
            Term::Fit(c) => c,
            Term::Out(m) => panic!("x{}: {m}", j + 1),
        }
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95 % critical values of Student's t (any statistics table).
        for (dof, want) in [
            (1.0, 12.706_205),
            (2.0, 4.302_653),
            (5.0, 2.570_582),
            (10.0, 2.228_139),
            (30.0, 2.042_272),
            (120.0, 1.979_930),
            (1.0e7, 1.959_964),
        ] {
            let t = t_quantile(0.975, dof);
            assert!((t - want).abs() < 2e-6, "dof {dof}: {t} want {want}");
        }
        assert!((t_cdf(0.0, 7.0) - 0.5).abs() < 1e-15);
        assert!((t_cdf(-2.228_139, 10.0) - 0.025).abs() < 1e-7);
    }

    /// y = 3 + 2 x1 - 0.5 x2 + N(0, 1), x1 ~ U(0, 10), x2 ~ U(-20, 20), 100 trials: over 300
    /// independent data sets the 95 % intervals cover the true slopes about 95 % of the time
    /// (binomial sd 1.3 points: 90-98.5 % allows about 4 sd below and 2.7 above), and their
    /// half-widths match theory, t sd(noise) / (sd(x) sqrt(n - 1)) = 1.984 / (2.887 x 9.95) =
    /// 0.0691 for x1 and 0.0173 for x2.
    #[test]
    fn recovers_known_slopes_of_synthetic_data_within_the_interval() {
        let (reps, n) = (300, 100);
        let mut cover = [0usize; 2];
        let mut half = [0.0f64; 2];
        for seed in 0..reps {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let x1: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..10.0)).collect();
            let x2: Vec<f64> = (0..n).map(|_| rng.random_range(-20.0..20.0)).collect();
            let y: Vec<f64> = x1
                .iter()
                .zip(&x2)
                .map(|(a, b)| {
                    let noise: f64 = rng.sample(rand_distr::StandardNormal);
                    3.0 + 2.0 * a - 0.5 * b + noise
                })
                .collect();
            let f = regress(&names(2), &[x1, x2], &y).unwrap();
            assert_eq!(f.dof, n - 3);
            assert!(f.r2 > 0.95 && f.r2 < 1.0, "{}", f.r2);
            for (k, truth) in [2.0, -0.5].into_iter().enumerate() {
                let c = fit(&f, k);
                cover[k] += usize::from(c.lo <= truth && truth <= c.hi);
                half[k] += (c.hi - c.lo) / 2.0 / reps as f64;
                assert!((c.slope - truth).abs() < 6.0 * c.se, "{c:?}");
            }
        }
        for (k, covered) in cover.iter().enumerate() {
            let share = *covered as f64 / reps as f64;
            assert!(
                (0.90..=0.985).contains(&share),
                "x{}: covered {share}",
                k + 1
            );
        }
        assert!((half[0] / 0.0691 - 1.0).abs() < 0.05, "{half:?}");
        assert!((half[1] / 0.0173 - 1.0).abs() < 0.05, "{half:?}");
    }

    #[test]
    fn an_exact_linear_relation_gives_the_slope_with_no_width() {
        let x1: Vec<f64> = (0..10).map(f64::from).collect();
        let x2: Vec<f64> = (0..10).map(|i| f64::from(i * i % 7)).collect();
        let y: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| 5.0 * a + b).collect();
        let f = regress(&names(2), &[x1, x2], &y).unwrap();
        assert!((fit(&f, 0).slope - 5.0).abs() < 1e-9 && (fit(&f, 1).slope - 1.0).abs() < 1e-9);
        assert!(fit(&f, 0).hi - fit(&f, 0).lo < 1e-6);
    }

    #[test]
    fn degenerate_cases_say_why() {
        // Fewer trials than inputs + 2.
        let e = regress(
            &names(2),
            &[vec![1.0, 2.0, 3.0], vec![3.0, 1.0, 2.0]],
            &[1.0, 2.0, 4.0],
        )
        .unwrap_err();
        assert!(
            e.contains("3 trials for 2 varying inputs") && e.contains("at least 4 trials"),
            "{e}"
        );
        // An input that did not vary is left out; the others are still estimated.
        let x1 = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let y = vec![2.1, 3.9, 6.2, 8.0, 9.9];
        let f = regress(&names(2), &[x1.clone(), vec![7.0; 5]], &y).unwrap();
        assert!((fit(&f, 0).slope - 1.97).abs() < 1e-9);
        assert_eq!(
            f.terms[1],
            Term::Out("did not vary (every trial drew 7)".into())
        );
        // A collinear input (x3 = 2 x1 - x2) is left out, naming what it is collinear with.
        let x2 = vec![0.0, 1.0, 0.0, 2.0, 1.0];
        let x3: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| 2.0 * a - b).collect();
        let y = vec![1.0, 3.0, 2.0, 6.0, 4.0];
        let f = regress(&names(3), &[x1, x2, x3], &y).unwrap();
        assert!(matches!(f.terms[0], Term::Fit(_)) && matches!(f.terms[1], Term::Fit(_)));
        match &f.terms[2] {
            Term::Out(m) => assert!(m.starts_with("collinear with x1 and x2"), "{m}"),
            t => panic!("{t:?}"),
        }
        assert_eq!(f.dof, 2);
        // No figure is NaN in the CSV: undefined ones are empty.
        let row = Effect {
            output: "peak_mw",
            unit: "MW",
            parameter: "x3".into(),
            rho: f64::NAN,
            input_sd: 1.0,
            input_p10: 0.0,
            input_p90: 1.0,
            term: f.terms[2].clone(),
            trials: 5,
            dof: Some(2),
            r2: f.r2,
        };
        let csv = effects_csv(&[row]);
        assert_eq!(crate::report::non_finite_token(&csv), None, "{csv}");
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("peak_mw,MW,1,x3,,,,,1.00000,,,,0,1.00000,,,,5,2,")
        );
    }

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(sig(0.000_123_456_7), "0.000123457");
        assert_eq!(sig(0.001_234_567), "0.00123457");
        assert_eq!(sig(31.2), "31.2000");
        assert_eq!(sig(-1234567.89), "-1234568");
        assert_eq!(sig(1.5e-7), "1.50000e-7");
        assert_eq!(sig(-0.000_000_1e-300), "-1.00000e-307");
        assert_eq!(sig(f64::NAN), "");
    }
}
