//! Uncertain parameters: any number in a run file may instead be a distribution, sampled once
//! per trial from that trial's own random stream.
//!
//! ```toml
//! design_margin = { dist = "triangular", min = 0.9, mode = 1.2, max = 1.5 }
//! requests_per_day = { dist = "lognormal", mean = 1.0e8, sd = 3.0e7 }
//! ```
//!
//! The run file is read once more as a spanned TOML tree to find every inline table with a `dist`
//! key; each is validated (errors name file, line and field) and replaced, per trial, by a
//! number written into the run-file text at the table's place, so the sampled study goes
//! through exactly the same parsing, checks and resolution as a plain one. Sampled values become
//! columns of trials.csv named after their path (`facility.design_margin`,
//! `consumer[0].requests_per_day`).

use std::ops::Range;

use rand::RngExt;
use rand_distr::StandardNormal;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::base::error::{Result, Source};

/// A distribution of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Optionally truncated to `[min, max]` (by rejection).
    Normal {
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
    },
    /// `mean` and `sd` of the value itself (not of its logarithm).
    Lognormal {
        mean: f64,
        sd: f64,
    },
    Choice {
        values: Vec<f64>,
        weights: Vec<f64>,
    },
}

impl Dist {
    /// The value used to check the study before any trial: the mean (the first value for choice).
    pub fn nominal(&self) -> f64 {
        match self {
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
            Dist::Lognormal { mean, .. } => *mean,
            Dist::Choice { values, .. } => values[0],
        }
    }

    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Dist::Triangular { min, mode, max } => {
                let u: f64 = rng.random();
                let (a, c, b) = (*min, *mode, *max);
                if b == a {
                    return a;
                }
                let fc = (c - a) / (b - a);
                if u < fc {
                    a + (u * (b - a) * (c - a)).sqrt()
                } else {
                    b - ((1.0 - u) * (b - a) * (b - c)).sqrt()
                }
            }
            Dist::Normal { mean, sd, min, max } => {
                // Truncation by rejection; bounded tries, then the nearest bound (only reached
                // when the window holds a vanishing share of the mass, which validation refuses).
                for _ in 0..10_000 {
                    let z: f64 = rng.sample(StandardNormal);
                    let x = mean + sd * z;
                    if x >= *min && x <= *max {
                        return x;
                    }
                }
                mean.clamp(*min, *max)
            }
            Dist::Lognormal { mean, sd } => {
                let s2 = (1.0 + (sd / mean).powi(2)).ln();
                let mu = mean.ln() - s2 / 2.0;
                let z: f64 = rng.sample(StandardNormal);
                (mu + s2.sqrt() * z).exp()
            }
            Dist::Choice { values, weights } => {
                let total: f64 = weights.iter().sum();
                let mut u = rng.random::<f64>() * total;
                for (v, w) in values.iter().zip(weights) {
                    if u < *w {
                        return *v;
                    }
                    u -= w;
                }
                values[values.len() - 1]
            }
        }
    }
}

/// A distribution found in a run file.
#[derive(Clone, Debug)]
pub struct Uncertain {
    /// Dotted path, e.g. `consumer[0].requests_per_day`: the trials.csv column.
    pub path: String,
    /// Byte range of the inline table in the run-file text.
    pub span: Range<usize>,
    pub dist: Dist,
}

/// Whether a run-file path names a field that counts whole things: a group's `count` (racks or
/// servers) or a training job's `accelerators`. Sampled values of these are rounded.
pub fn counts_whole_things(path: &str) -> bool {
    (path.starts_with("site.group[") && path.ends_with(".count"))
        || (path.starts_with("training[") && path.ends_with(".accelerators"))
}

/// Finds and validates every `{ dist = ... }` table in a run file.
pub fn find(src: &Source) -> Result<Vec<Uncertain>> {
    let Ok(doc) = DeTable::parse(&src.text) else {
        // Syntax errors are reported by the normal parse with their line.
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    walk_table(src, doc.get_ref(), "", &mut out)?;
    out.sort_by_key(|u| u.span.start);
    if let Some(u) = out.iter().find(|u| {
        STRUCTURAL.contains(&u.path.as_str())
            || u.path.starts_with("sweep.")
            || u.path.starts_with("sweep[")
    }) {
        return Err(src.error_at(
            u.span.clone(),
            &u.path,
            "cannot be a distribution: it shapes the output files (every trial must share the horizon, step, seed, start and trial count); give one value, or sweep it in [sweep]",
        ));
    }
    Ok(out)
}

/// Top-level fields that fix the shape of the outputs and so cannot vary between trials.
const STRUCTURAL: &[&str] = &[
    "horizon_hours",
    "horizon_days",
    "end",
    "step_s",
    "seed",
    "start",
    "trials",
    "utc_offset",
    "time_zone",
    "name",
];

fn walk_table(src: &Source, t: &DeTable<'_>, prefix: &str, out: &mut Vec<Uncertain>) -> Result<()> {
    for (k, v) in t.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        walk_value(src, v, &path, out)?;
    }
    Ok(())
}

fn walk_value(
    src: &Source,
    v: &Spanned<DeValue<'_>>,
    path: &str,
    out: &mut Vec<Uncertain>,
) -> Result<()> {
    match v.get_ref() {
        DeValue::Table(t) => {
            if t.iter().any(|(k, _)| k.get_ref() == "dist") {
                let dist = parse_dist(src, t, v.span(), path)?;
                out.push(Uncertain {
                    path: path.to_string(),
                    span: v.span(),
                    dist,
                });
            } else {
                walk_table(src, t, path, out)?;
            }
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_value(src, item, &format!("{path}[{i}]"), out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn number(src: &Source, v: &Spanned<DeValue<'_>>, field: &str) -> Result<f64> {
    let text = match v.get_ref() {
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().replace('_', ""),
        DeValue::Float(f) => f.as_str().replace('_', ""),
        _ => return Err(src.error_at(v.span(), field, "expected a number")),
    };
    text.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            src.error_at(
                v.span(),
                field,
                format!("expected a finite number, found {text}"),
            )
        })
}

fn numbers(src: &Source, v: &Spanned<DeValue<'_>>, field: &str) -> Result<Vec<f64>> {
    match v.get_ref() {
        DeValue::Array(a) => a.iter().map(|x| number(src, x, field)).collect(),
        _ => Err(src.error_at(v.span(), field, "expected an array of numbers")),
    }
}

/// The parameters each distribution takes, after `dist`.
const DISTS: [(&str, &[&str]); 5] = [
    ("uniform", &["dist", "min", "max"]),
    ("triangular", &["dist", "min", "mode", "max"]),
    ("normal", &["dist", "mean", "sd", "min", "max"]),
    ("lognormal", &["dist", "mean", "sd"]),
    ("choice", &["dist", "values", "weights"]),
];

/// A `{ dist = ... }` table: its kind (a name of [`DISTS`], ignoring case), no parameter the
/// kind does not take, then the kind's own parameters and checks.
fn parse_dist(src: &Source, t: &DeTable<'_>, span: Range<usize>, path: &str) -> Result<Dist> {
    let p = Params {
        src,
        t,
        span,
        path,
        kind: "",
    };
    let kind_v = p
        .get("dist")
        .ok_or_else(|| src.error_at(p.span.clone(), path, "missing `dist`"))?;
    let kind = kind_v
        .get_ref()
        .as_str()
        .ok_or_else(|| src.error_at(kind_v.span(), "dist", "expected a distribution name"))?;
    let names = DISTS.map(|(n, _)| n);
    let (kind, allowed) = crate::input::names::resolve("distribution", kind, &names)
        .map(|i| DISTS[i])
        .map_err(|m| src.error_at(kind_v.span(), "dist", m))?;
    for (k, _) in t.iter() {
        if !allowed.contains(&k.get_ref().as_ref()) {
            return Err(src.error_at(
                k.span(),
                k.get_ref(),
                format!(
                    "not a parameter of a {kind} distribution (expected {})",
                    allowed[1..].join(", ")
                ),
            ));
        }
    }
    let p = Params { kind, ..p };
    match kind {
        "uniform" => {
            let (min, max) = (p.req("min")?, p.req("max")?);
            p.ensure(min <= max, "min", || {
                format!("min {min} is above max {max}")
            })?;
            Ok(Dist::Uniform { min, max })
        }
        "triangular" => {
            let (min, mode, max) = (p.req("min")?, p.req("mode")?, p.req("max")?);
            p.ensure(min <= mode && mode <= max, "mode", || {
                format!("expected min <= mode <= max, found {min}, {mode}, {max}")
            })?;
            Ok(Dist::Triangular { min, mode, max })
        }
        "normal" => normal(&p),
        "lognormal" => {
            let (mean, sd) = (p.req("mean")?, p.req("sd")?);
            p.ensure(mean > 0.0, "mean", || {
                format!("a lognormal value's mean must be > 0, found {mean}")
            })?;
            p.sd(sd)?;
            Ok(Dist::Lognormal { mean, sd })
        }
        _ => choice(&p),
    }
}

/// A distribution table's parameters, for the checks of its kind.
struct Params<'a, 't> {
    src: &'a Source,
    t: &'a DeTable<'t>,
    /// The table's span and run-file path, where a missing parameter is reported.
    span: Range<usize>,
    path: &'a str,
    kind: &'a str,
}

impl<'t> Params<'_, 't> {
    fn get(&self, name: &str) -> Option<&Spanned<DeValue<'t>>> {
        self.t
            .iter()
            .find(|(k, _)| k.get_ref() == name)
            .map(|(_, v)| v)
    }

    /// A parameter the kind needs.
    fn req(&self, name: &str) -> Result<f64> {
        match self.get(name) {
            Some(v) => number(self.src, v, name),
            None => Err(self.src.error_at(
                self.span.clone(),
                self.path,
                format!("a {} distribution needs `{name}`", self.kind),
            )),
        }
    }

    /// An optional parameter.
    fn opt(&self, name: &str, default: f64) -> Result<f64> {
        match self.get(name) {
            Some(v) => number(self.src, v, name),
            None => Ok(default),
        }
    }

    /// `Err` at parameter `name` (at the table when it is not given) unless `ok`.
    fn ensure(&self, ok: bool, name: &str, msg: impl FnOnce() -> String) -> Result<()> {
        if ok {
            return Ok(());
        }
        let at = self.get(name).map_or(self.span.clone(), |v| v.span());
        Err(self.src.error_at(at, name, msg()))
    }

    fn sd(&self, sd: f64) -> Result<()> {
        self.ensure(sd >= 0.0, "sd", || {
            format!("expected a standard deviation >= 0, found {sd}")
        })
    }
}

/// A normal distribution, optionally truncated to `[min, max]`: a window that holds a fair share
/// of it (a degenerate one must hold its mean).
fn normal(p: &Params) -> Result<Dist> {
    let (mean, sd) = (p.req("mean")?, p.req("sd")?);
    p.sd(sd)?;
    let (min, max) = (
        p.opt("min", f64::NEG_INFINITY)?,
        p.opt("max", f64::INFINITY)?,
    );
    p.ensure(min <= max, "min", || {
        format!("min {min} is above max {max}")
    })?;
    // Refuse truncation windows that hold almost none of the distribution.
    p.ensure(
        !(sd > 0.0 && ((min - mean) / sd > 5.0 || (mean - max) / sd > 5.0)),
        "min",
        || "the truncation window lies more than 5 sd from the mean".into(),
    )?;
    p.ensure(sd != 0.0 || (min..=max).contains(&mean), "mean", || {
        "outside the truncation window".into()
    })?;
    Ok(Dist::Normal { mean, sd, min, max })
}

/// A choice among `values`, with `weights` (default equal).
fn choice(p: &Params) -> Result<Dist> {
    let values = match p.get("values") {
        Some(v) => numbers(p.src, v, "values")?,
        None => {
            return Err(p
                .src
                .error_at(p.span.clone(), p.path, "a choice needs `values`"));
        }
    };
    p.ensure(!values.is_empty(), "values", || {
        "expected at least one value".into()
    })?;
    let weights = match p.get("weights") {
        Some(v) => numbers(p.src, v, "weights")?,
        None => vec![1.0; values.len()],
    };
    p.ensure(
        weights.len() == values.len()
            && weights.iter().all(|w| *w >= 0.0)
            && weights.iter().sum::<f64>() > 0.0,
        "weights",
        || "expected one weight >= 0 per value, not all zero".into(),
    )?;
    Ok(Dist::Choice { values, weights })
}

/// The run-file text with each distribution replaced by a value (in `list` order).
/// How a value is written in place of its distribution: whole numbers as integers (so integer
/// fields such as counts accept them), others in exponent notation (exact round trip).
fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:e}")
    }
}

/// The run file's parsed tree with `values` in place of its distributions (`list`, as found by
/// [`find`] in the same text). Each value keeps its distribution's span, so an error about a
/// sampled value points at its `{ dist = ... }` table. The text itself is never edited; `nums`
/// holds the values' TOML text the tree borrows.
pub fn put<'a>(
    doc: &mut DeTable<'a>,
    list: &[Uncertain],
    nums: &'a [String],
) -> std::result::Result<(), String> {
    for (u, n) in list.iter().zip(nums) {
        let v = DeValue::parse(n)
            .map_err(|e| format!("{}: cannot write {n} in the run file: {e}", u.path))?
            .into_inner();
        let slot = find_span(doc, &u.span)
            .ok_or_else(|| format!("{}: the distribution is not in the parsed run file", u.path))?;
        *slot = Spanned::new(u.span.clone(), v);
    }
    Ok(())
}

/// The TOML text of each value, for [`put`].
pub fn value_texts(values: &[f64]) -> Vec<String> {
    values.iter().map(|v| number_text(*v)).collect()
}

fn find_span<'t, 'a>(
    t: &'t mut DeTable<'a>,
    span: &Range<usize>,
) -> Option<&'t mut Spanned<DeValue<'a>>> {
    for (_, v) in t.iter_mut() {
        if let Some(x) = find_in_value(v, span) {
            return Some(x);
        }
    }
    None
}

fn find_in_value<'t, 'a>(
    v: &'t mut Spanned<DeValue<'a>>,
    span: &Range<usize>,
) -> Option<&'t mut Spanned<DeValue<'a>>> {
    if v.span() == *span {
        return Some(v);
    }
    // No pruning by span: the span of a table opened by a `[header]` covers the header only.
    match v.get_mut() {
        DeValue::Table(t) => find_span(t, span),
        DeValue::Array(a) => a.iter_mut().find_map(|x| find_in_value(x, span)),
        _ => None,
    }
}

pub fn substitute(text: &str, list: &[Uncertain], values: &[f64]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (u, v) in list.iter().zip(values) {
        out.push_str(&text[at..u.span.start]);
        out.push_str(&number_text(*v));
        at = u.span.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn moments(d: &Dist) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0);
        (m, v.sqrt())
    }

    #[test]
    fn distributions_have_their_moments() {
        // (distribution, mean, sd); tolerance ~5 standard errors.
        let cases = [
            (
                Dist::Uniform { min: 2.0, max: 6.0 },
                4.0,
                4.0 / 12f64.sqrt(),
            ),
            (
                Dist::Triangular {
                    min: 0.0,
                    mode: 1.0,
                    max: 4.0,
                },
                5.0 / 3.0,
                ((0.0 + 1.0 + 16.0 - 0.0 - 0.0 - 4.0) / 18.0f64).sqrt(),
            ),
            (
                Dist::Normal {
                    mean: 10.0,
                    sd: 2.0,
                    min: f64::NEG_INFINITY,
                    max: f64::INFINITY,
                },
                10.0,
                2.0,
            ),
            (
                Dist::Lognormal {
                    mean: 100.0,
                    sd: 30.0,
                },
                100.0,
                30.0,
            ),
            (
                Dist::Choice {
                    values: vec![1.0, 2.0],
                    weights: vec![3.0, 1.0],
                },
                1.25,
                (0.75f64 * 0.25).sqrt(),
            ),
        ];
        for (d, mean, sd) in cases {
            let (m, s) = moments(&d);
            assert!(
                (m - mean).abs() < 5.0 * sd / (200_000f64).sqrt(),
                "{d:?}: mean {m} want {mean}"
            );
            assert!((s / sd - 1.0).abs() < 0.02, "{d:?}: sd {s} want {sd}");
        }
        // Truncated normal stays in its window.
        let d = Dist::Normal {
            mean: 1.0,
            sd: 1.0,
            min: 0.5,
            max: 1.2,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!((0..10_000).all(|_| (0.5..=1.2).contains(&d.sample(&mut rng))));
    }

    #[test]
    fn finds_validates_and_substitutes() {
        let text = "a = 1\n[x]\nb = { dist = \"uniform\", min = 1, max = 3 }\nc = [{ d = { dist = \"choice\", values = [4, 5] } }]\n";
        let src = Source::new("t.toml", text);
        let list = find(&src).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].path, "x.b");
        assert_eq!(list[1].path, "x.c[0].d");
        let t = substitute(text, &list, &[2.5, 5.0]);
        assert_eq!(t, "a = 1\n[x]\nb = 2.5e0\nc = [{ d = 5 }]\n");
        for (bad, field, line) in [
            ("v = { dist = \"uniform\", min = 3, max = 1 }", "min", 1),
            ("\nv = { dist = \"gamma\", k = 1 }", "dist", 2),
            ("v = { dist = \"normal\", mean = 1, sd = -2 }", "sd", 1),
            (
                "v = { dist = \"lognormal\", mean = 1, sd = 1, foo = 2 }",
                "foo",
                1,
            ),
        ] {
            let e = find(&Source::new("b.toml", bad)).unwrap_err().to_string();
            assert!(
                e.contains(&format!("b.toml:{line}")) && e.contains(&format!("`{field}`")),
                "{e}"
            );
        }
    }
}

#[cfg(test)]
mod whole_tests {
    use super::counts_whole_things;

    #[test]
    fn counts_of_racks_and_job_accelerators_are_whole() {
        assert!(counts_whole_things("site.group[0].count"));
        assert!(counts_whole_things("training[2].accelerators"));
        assert!(!counts_whole_things("defense[0].accelerators"));
        assert!(!counts_whole_things("consumer[0].requests_per_day"));
    }
}
