//! The two-rate engine against the reference engine (issue 20, "What it must show").
//!
//! Each study runs twice on the same seed, `engine = "reference"` and `engine = "blocks"`.
//! Both draw every uncertain parameter, weather year, job and event from the same streams, so
//! a trial's two runs differ only by how the engine steps (and how it draws consumer arrivals:
//! per step in the reference, per hour and bridged in blocks): the per-trial difference
//! isolates the engine, and its spread is the arrival noise alone, not the spread between
//! trials. That is why the tests are paired.
//!
//! Why two one-sided tests (TOST): the claim is that the engines agree, so "no significant
//! difference" would prove nothing (a test without power passes it). TOST makes agreement the
//! alternative hypothesis: it rejects both "the mean difference is below -margin" and "above
//! +margin", so it passes only when the data show the mean difference inside the margin, and a
//! noisy or biased figure fails. Why Holm: the file makes some twenty such claims and must hold
//! them all together at 5 %; Holm's step-down keeps the family-wise error at alpha for any
//! dependence between the tests (figures of one trial are correlated) and is uniformly more
//! powerful than Bonferroni.

use std::sync::OnceLock;

use dcload::scenario::Scenario;
use dcload::sim::{TrialResult, run_trial};

use crate::common::*;

/// A study's trials on one engine, reduced to what the tests read (a thousand trials of
/// one-minute intervals would not fit in memory).
struct Run {
    figures: Vec<Figures>,
    /// Per trial, each demand-response event's delivered minus requested MW.
    dr_gap_mw: Vec<Vec<f64>>,
    /// Changes of facility demand between consecutive steps (MW): into the first step of an
    /// hour, and within hours (kept when asked for).
    at_hours: Vec<f64>,
    within_hours: Vec<f64>,
}

/// A study run on both engines: its scenario (as run on the reference) and the two runs.
struct Paired {
    name: &'static str,
    sc: Scenario,
    reference: Run,
    blocks: Run,
}

/// `text` on both engines, `trials` trials each (the two engines on two threads); `steps`
/// keeps the step-to-step changes.
fn paired(name: &'static str, text: &str, trials: u32, steps: bool) -> Paired {
    let on = |engine: &str| {
        let mut sc = scenario(&format!("engine = \"{engine}\"\n{text}"));
        sc.trials = trials;
        sc
    };
    let (r, b) = (on("reference"), on("blocks"));
    let (reference, blocks) = std::thread::scope(|s| {
        let h = s.spawn(|| run(&b, steps));
        (run(&r, steps), h.join().expect("blocks engine thread"))
    });
    Paired {
        name,
        sc: r,
        reference,
        blocks,
    }
}

/// Every trial of `sc` with its uncertain parameters sampled, as `dcload run` runs it.
fn run(sc: &Scenario, steps: bool) -> Run {
    let mut out = Run {
        figures: Vec::new(),
        dr_gap_mw: Vec::new(),
        at_hours: Vec::new(),
        within_hours: Vec::new(),
    };
    let per_hour = (3600 / sc.step_s) as usize;
    for i in 0..sc.trials {
        let (t, _) = sc.for_trial(i).unwrap_or_else(|e| panic!("{e}"));
        let r = run_trial(&t, i);
        out.figures.push(figures(&r));
        let o = &r.summary.dr_outcomes;
        out.dr_gap_mw
            .push(o.iter().map(|e| e.delivered_mw - e.requested_mw).collect());
        if steps {
            let iv = &r.summary.interval_facility_mw;
            for k in 1..iv.len() {
                let d = iv[k] - iv[k - 1];
                if k % per_hour == 0 {
                    out.at_hours.push(d);
                } else {
                    out.within_hours.push(d);
                }
            }
        }
    }
    out
}

/// The three studies, run once for every test of the file.
struct Studies {
    default: Paired,
    saturating: Paired,
    threshold: Paired,
    capped: Paired,
}

fn studies() -> &'static Studies {
    static S: OnceLock<Studies> = OnceLock::new();
    S.get_or_init(|| Studies {
        default: paired("default", &default_study(), 1000, true),
        saturating: paired("saturating", &saturating(), 2000, false),
        threshold: paired("threshold", &threshold(), 1000, false),
        capped: paired("capped+DR", &capped(), 300, false),
    })
}

/// runs/default.toml over three January days at its 60-s steps, with each step's facility
/// demand kept (one-minute intervals).
fn default_study() -> String {
    format!(
        "{}\n[report]\ninterval_minutes = 1\n",
        default_short(72, 60)
    )
}

/// A three-day study from 3 March at 60-s steps on one inference pool (100 racks of 4 DGX H100,
/// 3,200 H100, `inf`) after `groups_before`, with `body` (workloads, facility, grid), keeping
/// each step's facility demand (one-minute intervals).
fn pool_study(name: &str, seed: u64, groups_before: &str, body: &str) -> String {
    format!(
        "name = \"{name}\"\nstart = \"2025-03-03\"\nhorizon_hours = 72\nstep_s = 60\nseed = {seed}\n\
         {groups_before}[[site.group]]\nname = \"inf\"\nrack = \"dgx-h100-x4\"\ncount = 100\n{body}\n\
         [report]\ninterval_minutes = 1\n"
    )
}

/// One inference pool (100 racks of 4 DGX H100, 3,200 H100) carrying chat whose evening
/// peak exceeds it: about 2.4e7 requests a day of ~8 accelerator-seconds, peak 1.43x the
/// mean, is ~1.1x the pool at 20:00. With a 30-s queue the excess is dropped, so every
/// trial drops requests on the evening's steps and blocks around them are refused and
/// stepped. A physics facility, so the facility's rate is in play too.
fn saturating() -> String {
    pool_study(
        "saturating",
        11,
        "",
        r#"
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = { dist = "lognormal", mean = 2.4e7, sd = 2.0e6 }
[[consumer]]
name = "search"
preset = "search"
pool = "inf"
requests_per_day = 2.0e7
[facility]
kind = "physics"
climate = "ashburn"
"#,
    )
}

/// The pool of [`saturating`] with chat alone, its evening peak a couple of percent (about two
/// standard deviations of a step's arrivals) below capacity and no queue: requests are dropped
/// only when a step's arrivals happen to exceed the pool, in some evening hours and not in
/// others. A block that binds here is one whose draws came out high: stepped again on other
/// draws (instead of the same), it would drop in far fewer hours.
fn threshold() -> String {
    pool_study(
        "threshold",
        13,
        "",
        r#"
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.28e7
max_queue_s = 0.0
[facility]
kind = "fixed"
pue = 1.2
"#,
    )
}

/// A campus of training (100 liquid racks) and inference (100 racks) whose evening peak sits
/// above its import limit (`limit_policy = "cap"`: the cap curtails training, then defers
/// requests), with two demand-response events (measured against the counterfactual: the same
/// trial without the events).
fn capped() -> String {
    pool_study(
        "capped",
        5,
        "[[site.group]]\nname = \"tr\"\nrack = \"dgx-h100-x8-liquid\"\ncount = 100\n",
        r#"
[[training]]
name = "run"
pool = "tr"
duration_days = 100
continuous = true
utilisation = { dist = "uniform", min = 0.85, max = 1.0 }
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = { dist = "lognormal", mean = 1.6e7, sd = 2.0e6 }
max_queue_s = 7200
[facility]
kind = "fixed"
pue = 1.2
[grid]
import_limit_mw = 12.0
limit_policy = "cap"
[grid.demand_response]
events = [{ start_day = 1, start_hour = 14, hours = 3, reduce_mw = 2.0 }, { start_day = 2, start_hour = 19, hours = 2, reduce_mw = 14.0 }]
baseline = "counterfactual"
"#,
    )
}

// ------------------------------------------------------------------ the paired figures -----

/// A trial's figures compared between the engines.
struct Figures {
    energy: f64,
    step_peak: f64,
    /// Largest rise or fall between consecutive steps (one minute), MW.
    ramp_1min: f64,
    /// Highest 15-minute mean demand (from the one-minute intervals), MW.
    peak_15min: f64,
    /// Largest rise or fall between consecutive 15-minute means, MW.
    ramp_15min: f64,
    class_mwh: Vec<f64>,
    dropped: f64,
    /// Hours with any dropped request.
    drop_hours: f64,
    curtailed: f64,
    /// Per twin, then per defense mission, MWh.
    own_stream_mwh: Vec<f64>,
}

fn figures(r: &TrialResult) -> Figures {
    let s = &r.summary;
    let iv = &s.interval_facility_mw;
    assert!(!iv.is_empty(), "the study keeps one-minute intervals");
    let peak_15min = iv
        .chunks_exact(15)
        .map(|q| q.iter().sum::<f64>() / 15.0)
        .fold(f64::MIN, f64::max);
    Figures {
        energy: s.energy_mwh,
        step_peak: s.peak_step_mw,
        ramp_1min: s.ramp_up_step_mw.max(s.ramp_down_step_mw),
        peak_15min,
        ramp_15min: s.ramp_up_15min_mw.max(s.ramp_down_15min_mw),
        class_mwh: s.classes.iter().map(|c| c.mwh).collect(),
        dropped: s.requests_dropped,
        drop_hours: s.drop_hours,
        curtailed: s.curtailed_mwh,
        own_stream_mwh: s.twin_mwh.iter().chain(&s.mission_mwh).copied().collect(),
    }
}

/// One equivalence claim: a figure's mean relative paired difference, its standard deviation
/// over the pairs, the pairs, and the margin.
struct Claim {
    what: String,
    margin: f64,
    mean: f64,
    sd: f64,
    n: usize,
}

/// Per-trial relative differences of `pick` between the engines, over the trials where either
/// engine's figure is positive (dropped requests and curtailment only exist in some), taken
/// as (blocks - reference) / (mean of the two): for small differences the same as
/// (blocks - reference) / reference, but with a mean of exactly 0 when the engines' figures
/// have the same law. (b - r) / r does not: a trial's worst ramp is a maximum of arrival
/// noise that moves by ~10 % from run to run, and E[b / r] - 1 = E[b] E[1 / r] - 1 is then
/// about +1 % for two independent runs of one law (Jensen). Selecting on the reference alone
/// would bias the drops the same way (trials where only blocks drops would be left out).
fn claim(p: &Paired, what: &str, margin: f64, pick: impl Fn(&Figures) -> f64) -> Claim {
    let diffs = p
        .reference
        .figures
        .iter()
        .zip(&p.blocks.figures)
        .filter_map(|(r, b)| {
            let (r, b) = (pick(r), pick(b));
            (r > 0.0 || b > 0.0).then(|| (b - r) / (0.5 * (b + r)))
        })
        .collect::<Vec<f64>>();
    let (mean, sd) = mean_sd(&diffs);
    Claim {
        what: format!("{}: {what}", p.name),
        margin,
        mean,
        sd,
        n: diffs.len(),
    }
}

/// The relative difference of the study's totals of `pick` (dropped requests, curtailment):
/// sum(blocks) / sum(reference) - 1, with the spread of its linearisation
/// (b_i - R r_i) / mean(r) over all pairs (the delta method). Per trial, these figures are
/// zero in many trials and a handful in some, whose relative differences are noise (the
/// default study drops in about one trial in eight, with per-trial differences of sd ~20 %):
/// the study's total is the figure a planner reads, and it is what the margin bounds.
fn total_claim(p: &Paired, what: &str, margin: f64, pick: impl Fn(&Figures) -> f64) -> Claim {
    let pairs: Vec<(f64, f64)> = p
        .reference
        .figures
        .iter()
        .zip(&p.blocks.figures)
        .map(|(r, b)| (pick(r), pick(b)))
        .collect();
    let n = pairs.len() as f64;
    let (sr, sb) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (r, x)| (a + r, b + x));
    let ratio = sb / sr;
    let mean_r = sr / n;
    let lin: Vec<f64> = pairs
        .iter()
        .map(|(r, b)| (b - ratio * r) / mean_r)
        .collect();
    let (_, sd) = mean_sd(&lin);
    Claim {
        what: format!("{}: {what} (total)", p.name),
        margin,
        mean: ratio - 1.0,
        sd,
        n: pairs.len(),
    }
}

/// The claims of issue 20 for study `p`, with its margins.
fn claims(p: &Paired) -> Vec<Claim> {
    let mut c = vec![
        claim(p, "energy", 0.0005, |f| f.energy),
        claim(p, "step peak", 0.003, |f| f.step_peak),
        claim(p, "worst 1-min ramp", 0.02, |f| f.ramp_1min),
        claim(p, "peak 15-min interval", 0.01, |f| f.peak_15min),
        claim(p, "worst 15-min ramp", 0.01, |f| f.ramp_15min),
    ];
    for (k, cl) in p.sc.consumers.iter().enumerate() {
        c.push(claim(p, &format!("{} energy", cl.name), 0.001, move |f| {
            f.class_mwh[k]
        }));
    }
    if p.reference.figures.iter().any(|f| f.dropped > 0.0) {
        c.push(total_claim(p, "dropped requests", 0.02, |f| f.dropped));
    }
    if p.reference.figures.iter().any(|f| f.curtailed > 0.0) {
        c.push(total_claim(p, "curtailment", 0.01, |f| f.curtailed));
    }
    c
}

/// Mean and sample standard deviation.
fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, v.sqrt())
}

/// The standard normal distribution function (erfc by Numerical Recipes' Chebyshev fit, error
/// below 1.2e-7: far below the Holm thresholds).
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if z >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// The TOST p-value of "the mean paired difference lies within +-margin" (normal
/// approximation): the larger of the two one-sided p-values.
fn tost_p(c: &Claim) -> f64 {
    let se = c.sd / (c.n as f64).sqrt();
    if se == 0.0 {
        return if c.mean.abs() < c.margin { 0.0 } else { 1.0 };
    }
    let below = 1.0 - phi((c.mean + c.margin) / se);
    let above = phi((c.mean - c.margin) / se);
    below.max(above)
}

/// Holm's step-down at `alpha`: whether each p-value is rejected (here: equivalence shown).
fn holm(p: &[f64], alpha: f64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = p.len();
    let mut out = vec![false; m];
    for (rank, &i) in order.iter().enumerate() {
        if p[i] > alpha / (m - rank) as f64 {
            break;
        }
        out[i] = true;
    }
    out
}

#[test]
fn the_engines_agree_within_the_margins_of_issue_20() {
    let s = studies();
    let all: Vec<Claim> = [&s.default, &s.saturating, &s.capped]
        .into_iter()
        .flat_map(claims)
        .collect();
    let p: Vec<f64> = all.iter().map(tost_p).collect();
    let shown = holm(&p, 0.05);
    let mut table = format!(
        "{:<40} {:>8} {:>11} {:>10} {:>5} {:>10}  holm\n",
        "figure", "margin", "mean diff", "sd", "n", "TOST p"
    );
    for ((c, p), ok) in all.iter().zip(&p).zip(&shown) {
        table.push_str(&format!(
            "{:<40} {:>7.3}% {:>10.4}% {:>9.4}% {:>5} {:>10.2e}  {}\n",
            c.what,
            100.0 * c.margin,
            100.0 * c.mean,
            100.0 * c.sd,
            c.n,
            p,
            if *ok { "equivalent" } else { "NOT SHOWN" }
        ));
    }
    println!("{table}");
    assert!(
        shown.iter().all(|&x| x),
        "equivalence not shown (TOST, Holm at 5 %):\n{table}"
    );
}

/// The two-sample Kolmogorov-Smirnov statistic of `a` and `b` (sorted in place) and its
/// critical value at `alpha` (asymptotic: c(alpha) sqrt((n + m) / (n m))).
fn ks(a: &mut [f64], b: &mut [f64], alpha: f64) -> (f64, f64) {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let c = (-(alpha / 2.0).ln() / 2.0).sqrt();
    (d, c * ((n + m) / (n * m)).sqrt())
}

/// 1-minute ramps across block boundaries have the law of those inside blocks (default study,
/// one-minute intervals). The default study's hour boundaries are not ordinary minutes in
/// either engine: the frontier job checkpoints on the hour (a ~14 MW step) and the weather
/// moves by the hour. So the test compares the engine's part of each change: a trial's
/// change between two steps on the blocks engine minus the same change on the reference. Both
/// runs share the job, the weather and the twins' and missions' jitter, so the engine's part
/// is the consumer arrivals' noise (drawn per step, or per hour and bridged) plus anything the
/// blocks add at their edges: a jump of the jitter, the facility or the bridge at the hour
/// shows as a wider law at the boundaries. Two-sample KS on |engine's part| at hour boundaries
/// (~71,000) against within hours (~4.2 million), at alpha 0.001; and the spread of the
/// engine's part at the boundaries within 5 % of its spread inside hours. And the blocks'
/// changes at the boundaries have the reference's law there (KS, the same alpha).
#[test]
fn one_minute_ramps_across_block_boundaries_have_the_law_of_those_inside() {
    let p = &studies().default;
    let part = |b: &[f64], r: &[f64]| -> Vec<f64> {
        assert_eq!(b.len(), r.len(), "the engines' steps line up");
        b.iter().zip(r).map(|(b, r)| (b - r).abs()).collect()
    };
    let mut at = part(&p.blocks.at_hours, &p.reference.at_hours);
    let mut within = part(&p.blocks.within_hours, &p.reference.within_hours);
    let rms = |x: &[f64]| (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt();
    let (s_at, s_in) = (rms(&at), rms(&within));
    let (d, crit) = ks(&mut at, &mut within, 0.001);
    println!(
        "engine's part of the 1-min change, MW: rms at hour boundaries {s_at:.5} (n {}), \
         within hours {s_in:.5} (n {}), ratio {:.4}; KS D {d:.5}, critical {crit:.5}",
        at.len(),
        within.len(),
        s_at / s_in
    );
    assert!(
        d < crit,
        "the engine's part of the 1-minute changes differs at hour boundaries: KS D {d} >= {crit}"
    );
    assert!(
        (s_at / s_in - 1.0).abs() < 0.05,
        "the engine's part of the 1-minute changes: rms {s_at} MW at hour boundaries vs \
         {s_in} MW within hours"
    );
    let mut b: Vec<f64> = p.blocks.at_hours.clone();
    let mut r: Vec<f64> = p.reference.at_hours.clone();
    let (d, crit) = ks(&mut b, &mut r, 0.001);
    println!(
        "1-min change at hour boundaries, blocks vs reference: KS D {d:.5}, critical {crit:.5}"
    );
    assert!(
        d < crit,
        "the 1-minute changes at hour boundaries differ between the engines: KS D {d} >= {crit}"
    );
}

/// The demand-response counterfactual keeps its spread: per event, the standard deviation
/// across trials of delivered minus requested MW on the blocks engine is at most 1.1x the
/// reference's (the capped campus; the second event asks for more than the flexible load, so
/// what is delivered rides on the consumer load and its noise).
#[test]
fn the_dr_counterfactual_spread_is_within_a_tenth_of_the_references() {
    let p = &studies().capped;
    let events = p.reference.dr_gap_mw[0].len();
    assert_eq!(events, 2, "both events run in every trial");
    for e in 0..events {
        let gap = |r: &Run| -> Vec<f64> { r.dr_gap_mw.iter().map(|t| t[e]).collect() };
        let ((mr, sr), (mb, sb)) = (mean_sd(&gap(&p.reference)), mean_sd(&gap(&p.blocks)));
        println!(
            "event {e}: delivered - requested, MW: reference mean {mr:.5} sd {sr:.5}; \
             blocks mean {mb:.5} sd {sb:.5}; ratio {:.4}",
            sb / sr
        );
        assert!(
            sr > 0.0,
            "event {e}: the reference's spread must be measurable"
        );
        assert!(
            sb <= 1.1 * sr,
            "event {e}: the blocks engine spreads delivered - requested by {sb} MW, the \
             reference by {sr} MW (more than 1.1x)"
        );
    }
}

/// Twins and defense missions draw their jitter from their own streams step by step in both
/// engines, carried across blocks: in every trial of the default study their energy is the
/// reference's (to 1e-9). An AR(1) jitter restarted at each block, or a stream not restored
/// after a refused block, moves it.
#[test]
fn twins_and_missions_carry_their_jitter_across_blocks() {
    let p = &studies().default;
    for (t, (r, b)) in p
        .reference
        .figures
        .iter()
        .zip(&p.blocks.figures)
        .enumerate()
    {
        assert_eq!(
            r.own_stream_mwh.len(),
            2,
            "the default study's twin and mission"
        );
        for (x, y) in r.own_stream_mwh.iter().zip(&b.own_stream_mwh) {
            assert!(
                (y / x - 1.0).abs() < 1e-9,
                "trial {t}: a twin's or mission's energy is {y} MWh on the blocks engine, \
                 {x} MWh on the reference"
            );
        }
    }
}

/// A block that binds is stepped again on its own draws, never redrawn (issue 20: "so no
/// threshold rule biases the tails"). In the near-threshold study a step drops requests only
/// when its arrivals come out high, and an hour with such a step is exactly a refused block:
/// redrawing it would keep only the hours whose second draw binds too. The hours with drops,
/// paired per trial, must not differ between the engines (two-sided z on the mean paired
/// difference, |z| < 3.29: alpha 0.001). The drops are too rare for an equivalence margin of
/// 2 % (a trial drops in a few hours), but not for this: redrawing removes most of them.
#[test]
fn a_refused_block_is_stepped_on_its_own_draws() {
    let p = &studies().threshold;
    let hours = |r: &Run| -> Vec<f64> { r.figures.iter().map(|f| f.drop_hours).collect() };
    let (r, b) = (hours(&p.reference), hours(&p.blocks));
    let d: Vec<f64> = b.iter().zip(&r).map(|(b, r)| b - r).collect();
    let (m, sd) = mean_sd(&d);
    let z = m / (sd / (d.len() as f64).sqrt());
    let (tr, tb) = (r.iter().sum::<f64>(), b.iter().sum::<f64>());
    println!(
        "hours with drops over {} trials: reference {tr}, blocks {tb}; paired z {z:.2}",
        d.len()
    );
    assert!(
        tr >= 300.0,
        "the study must drop in enough hours to test ({tr})"
    );
    assert!(
        z.abs() < 3.29,
        "hours with dropped requests: {tb} on the blocks engine, {tr} on the reference \
         (paired z {z:.2}): a refused block is not stepped on its own draws"
    );
}

/// A training checkpoint's start and end are carried inside a block (the hour is one block,
/// not three), with the job's claim at its mean over the block. A study of training alone
/// draws nothing the two engines draw differently, so the blocks engine must give the
/// reference's figures to rounding: energy, the job's attributed energy, the step peak and
/// the one-minute ramps (a checkpoint's dip at the wrong step moves the ramps' instants and a
/// claim not averaged moves the split of the pool's power between the checkpointing job and a
/// steady one beside it). Under an import limit between the checkpoint's
/// level and full power every block with a full-power step is refused and stepped again: a
/// queue or job not put back would checkpoint twice or never.
#[test]
fn checkpoints_inside_a_block_match_the_reference_step_for_step() {
    let study = |limit: &str| {
        format!(
            "name = \"ckpt\"\nhorizon_hours = 240\nstep_s = 60\nseed = 3\n{limit}\
             [[site.group]]\nname = \"t\"\nserver = \"DGX-H100\"\ncount = 72\n\
             [[training]]\nname = \"run\"\npool = \"t\"\naccelerators = 512\nutilisation = 0.9\n\
             duration_days = 3\ncontinuous = true\ngap_h = 7\n\
             checkpoint_interval_min = 60\ncheckpoint_duration_min = 7\n\
             [[training]]\nname = \"steady\"\npool = \"t\"\naccelerators = 64\nutilisation = 0.5\n\
             duration_days = 20\ncontinuous = true\n\
             [facility]\nkind = \"fixed\"\npue = 1.2\n"
        )
    };
    for (what, limit) in [
        ("no limit", String::new()),
        (
            "an import limit that refuses full-power blocks",
            "[grid]\nimport_limit_mw = 0.62\nlimit_policy = \"record\"\n".to_string(),
        ),
    ] {
        let text = study(&limit);
        let on = |engine: &str| run_trial(&scenario(&format!("engine = \"{engine}\"\n{text}")), 0);
        let (r, b) = (on("reference").summary, on("blocks").summary);
        let close = |x: f64, y: f64, name: &str| {
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(1e-9),
                "{what}: {name} is {y} on the blocks engine, {x} on the reference"
            );
        };
        close(r.energy_mwh, b.energy_mwh, "energy");
        close(r.peak_step_mw, b.peak_step_mw, "step peak");
        close(
            r.ramp_up_step_mw,
            b.ramp_up_step_mw,
            "largest one-step rise",
        );
        close(
            r.ramp_down_step_mw,
            b.ramp_down_step_mw,
            "largest one-step fall",
        );
        close(r.exceed_mwh, b.exceed_mwh, "energy above the limit");
        assert_eq!(r.jobs.len(), b.jobs.len(), "{what}: jobs");
        assert!(r.jobs.len() >= 4, "{what}: the study runs several jobs");
        for (x, y) in r.jobs.iter().zip(&b.jobs) {
            close(x.energy_j, y.energy_j, "a job's energy");
            assert_eq!(x.end_s, y.end_s, "{what}: a job's end");
        }
        if !limit.is_empty() {
            assert!(
                r.exceed_hours > 24.0,
                "{what}: the limit must bind ({})",
                r.exceed_hours
            );
        }
    }
}
