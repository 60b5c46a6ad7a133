//! Portfolio studies (issue 25): a queue of projects composed from simulated archetype
//! trial-years. Tiny archetypes (fixed PUE, hourly steps, a day or a week) keep these fast.

use std::path::Path;

use dcload::base::error::Source;
use dcload::model::library::Library;
use dcload::model::metrics::M_FACILITY;
use dcload::portfolio::{Outcome, Portfolio, study};
use dcload::scenario::Scenario;
use dcload::sim::run_trial;

use crate::common::*;

/// A site of 10 DGX H100 at hourly steps from 1 January 2026: `hours` per trial, `work` its
/// workload tables, `pue` its fixed PUE.
pub fn site(name: &str, hours: u32, trials: u32, work: &str, pue: f64) -> String {
    format!(
        "name = \"{name}\"\nstart = \"2026-01-01\"\nhorizon_hours = {hours}\nstep_s = 3600\nseed = 3\n\
         trials = {trials}\n[[site.group]]\nname = \"a\"\nserver = \"DGX-H100\"\ncount = 10\n\
         {work}{}",
        facility(pue)
    )
}

pub fn facility(pue: f64) -> String {
    format!("[facility]\nkind = \"fixed\"\npue = {pue}\n")
}

/// A noiseless twin at full utilisation of pool `a`.
pub const TWIN: &str =
    "[[twin]]\nname = \"t\"\npool = \"a\"\nbase_utilisation = 1.0\njitter_sd = 0.0\n";

/// The flat site: the twin, PUE 1.2: 0.1224 MW every hour of its day.
pub fn flat(hours: u32, trials: u32) -> String {
    site("flat", hours, trials, TWIN, 1.2)
}

/// A noisy site: chat requests on the same fleet, PUE 1.3, a week per trial.
pub fn chat() -> String {
    let chat = "[[consumer]]\nname = \"chat\"\npreset = \"chat\"\npool = \"a\"\n\
                requests_per_day = { dist = \"lognormal\", mean = 1.0e5, sd = 3.0e4 }\n";
    site("chat", 168, 4, chat, 1.3)
}

pub const FLAT_MW: f64 = 0.1224;

/// A temporary folder with the two archetypes' run files.
pub fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flat.toml"), flat(24, 2)).unwrap();
    std::fs::write(dir.path().join("chat.toml"), chat()).unwrap();
    dir
}

/// The `[portfolio]` header's lines: `years` from 2026, `trials` and `seed`.
pub fn header(years: u32, trials: u32, seed: u64) -> String {
    format!("start_year = 2026\nyears = {years}\ntrials = {trials}\nseed = {seed}")
}

/// A portfolio file: the header, both archetypes, two stages and `rest`.
pub fn file(header: &str, rest: &str) -> String {
    format!(
        r#"[portfolio]
{header}
zones = ["north", "south"]

[[archetype]]
name = "flat"
run = "flat.toml"

[[archetype]]
name = "chat"
run = "chat.toml"

[stage.built]
probability = 1.0
source = "certain (test)"

[stage.study]
probability = 0.5
source = "estimate (test)"
{rest}"#
    )
}

pub fn project(
    name: &str,
    zone: &str,
    archetype: &str,
    mw: f64,
    stage: &str,
    online: &str,
) -> String {
    format!(
        "\n[[project]]\nname = \"{name}\"\nzone = \"{zone}\"\narchetype = \"{archetype}\"\nmw = {mw:?}\nstage = \"{stage}\"\nonline = \"{online}\"\n"
    )
}

/// Projects alike but for their names (which key their draws).
pub fn copies(
    names: impl Iterator<Item = String>,
    zone: &str,
    archetype: &str,
    mw: f64,
    stage: &str,
    online: &str,
) -> String {
    names
        .map(|n| project(&n, zone, archetype, mw, stage, online))
        .collect()
}

/// Runs the portfolio `file(head, rest)` in `dir` (outputs under dir/out).
pub fn run_portfolio(dir: &Path, head: &str, rest: &str) -> Outcome {
    let src = Source::new(dir.join("p.toml").display().to_string(), file(head, rest));
    let p = Portfolio::from_source(&src, "p", dir).unwrap_or_else(|e| panic!("{e}"));
    let lib = Library::builtin().unwrap();
    study(p, &lib, &dir.join("out"), None, true).unwrap_or_else(|e| panic!("{e}"))
}

/// Mean and standard error of the mean.
pub fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (n - 1.0);
    (m, (v / n).sqrt())
}

fn pname(o: &Outcome, i: usize) -> &str {
    &o.portfolio.projects[i].name
}

/// Hourly metric `metric` of trial `trial` of the run file at `path`, simulated directly by
/// the engine (with `seed`, or the run file's).
pub fn engine_hours(path: &Path, seed: Option<u64>, trial: u32, metric: usize) -> Vec<f64> {
    let lib = Library::builtin().unwrap();
    let mut sc = Scenario::load(path, &lib).unwrap();
    sc.set_run(seed, None, None);
    let (tsc, _) = sc.for_trial(trial).unwrap();
    let r = run_trial(&tsc, trial);
    let n = sc.metrics().len();
    let k = sc.metric_pos(metric).unwrap();
    (0..sc.horizon_hours as usize)
        .map(|h| f64::from(r.hourly[h * n + k]))
        .collect()
}

/// The facility MW of an archetype's trial, simulated directly by the engine.
pub fn site_hours(dir: &Path, run: &str, trial: u32) -> Vec<f64> {
    engine_hours(&dir.join(run), None, trial, M_FACILITY)
}

/// N identical certain projects give exactly N times one site's energy, trial by trial, and a
/// peak no larger than N times its peak; one site's energy is the engine's own trial replayed
/// over the year (8760 h = 52 weeks + 24 h of the weekly archetype).
#[test]
fn n_identical_certain_projects_give_n_times_one_site() {
    let dir = folder();
    let head = &header(1, 6, 11);
    let one = run_portfolio(
        dir.path(),
        head,
        &project("s0", "north", "chat", 50.0, "built", "2025-06-01"),
    );
    let n = 5;
    let many = copies(
        (0..n).map(|i| format!("s{i}")),
        "north",
        "chat",
        50.0,
        "built",
        "2025-06-01",
    );
    let five = run_portfolio(dir.path(), head, &many);
    let (y1, y5) = (&one.years[0], &five.years[0]);
    let total = 2; // zones north, south, then the total
    let reference = one.profiles[1].reference_mw;
    for t in 0..6 {
        let e1 = y1.energy[t][total];
        let e5 = y5.energy[t][total];
        assert!(
            (e5 - n as f64 * e1).abs() <= 1e-12 * e5,
            "trial {t}: {e5} vs {n} x {e1}"
        );
        assert!(y5.peak[t][total] <= n as f64 * y1.peak[t][total] * (1.0 + 1e-12));
        // The engine's own trial t mod 4, scaled to 50 MW and replayed over 8760 hours.
        let site = site_hours(dir.path(), "chat.toml", (t % 4) as u32);
        let week: f64 = site.iter().sum();
        let day: f64 = site[..24].iter().sum();
        let want = 50.0 / reference * (52.0 * week + day);
        assert!(
            (e1 / want - 1.0).abs() < 1e-9,
            "trial {t}: {e1} vs the engine's {want}"
        );
    }
}

/// A project with probability 0 is never built and contributes nothing; one with 0.5 is built
/// in about half the trials and contributes half its energy in expectation (within 3 standard
/// errors over 400 trials).
#[test]
fn probability_zero_contributes_nothing_and_half_contributes_half() {
    let dir = folder();
    let o = run_portfolio(
        dir.path(),
        &header(1, 400, 5),
        &(project("never", "north", "flat", 100.0, "study", "2025-01-01")
            + "probability = 0.0\n"
            + &project("half", "south", "flat", 100.0, "study", "2025-01-01")),
    );
    let y = &o.years[0];
    assert!(o.draws.iter().all(|d| !d.projects[0].built));
    assert!(y.energy.iter().all(|e| e[0] == 0.0), "zone north draws");
    assert!(y.project_energy.iter().all(|e| e[0] == 0.0));
    // Built: the whole year at 100 MW (the flat archetype's profile is its reference).
    let full = 100.0 * 8760.0;
    let south: Vec<f64> = y.energy.iter().map(|e| e[1]).collect();
    for (d, e) in o.draws.iter().zip(&south) {
        let want = if d.projects[1].built { full } else { 0.0 };
        assert!((e - want).abs() < 1e-6 * full, "{e} vs {want}");
    }
    let (m, se) = mean_se(&south);
    assert!(se > 0.0);
    assert!(
        (m - 0.5 * full).abs() < 3.0 * se,
        "mean {m} vs {} (se {se})",
        0.5 * full
    );
    // Its outputs say the same.
    let (h, rows) = read_csv(&dir.path().join("out/portfolio_projects.csv"));
    let share = col(&h, "share_built");
    assert_eq!(rows[0][share], "0.000000");
    let s: f64 = rows[1][share].parse().unwrap();
    assert!((s - 0.5).abs() < 3.0 * (0.25f64 / 400.0).sqrt(), "{s}");
}

/// A delay distribution moves online dates as specified: the mean delay of a lognormal (mean
/// 120 d, sd 60 d) within 3 standard errors, every online instant its announced date plus its
/// delay, a fixed delay exactly; a supply-chain delay is common to the projects announced for
/// the same calendar year.
#[test]
fn a_delay_distribution_moves_online_dates_as_specified() {
    let dir = folder();
    let o = run_portfolio(
        dir.path(),
        &header(1, 400, 9),
        &(project("lognormal", "north", "flat", 10.0, "built", "2026-02-01")
            + "delay_days = { dist = \"lognormal\", mean = 120, sd = 60 }\n"
            + &project("fixed", "north", "flat", 10.0, "built", "2026-02-01")
            + "delay_days = 180\n"),
    );
    let delays: Vec<f64> = o.draws.iter().map(|d| d.projects[0].delay_days).collect();
    let (m, se) = mean_se(&delays);
    assert!((m - 120.0).abs() < 3.0 * se, "mean delay {m} (se {se})");
    let announced_h = 31.0 * 24.0;
    for d in &o.draws {
        let a = d.projects[0];
        assert!((a.online_h - (announced_h + 24.0 * a.delay_days)).abs() < 1e-9);
        assert_eq!(d.projects[1].delay_days, 180.0);
        assert_eq!(d.projects[1].online_h, announced_h + 180.0 * 24.0);
    }
    // The fixed project's energy: 10 MW from 1 February + 180 days to the year's end.
    let online_day = 31 + 180;
    let want = 10.0 * 24.0 * f64::from(365 - online_day);
    for e in &o.years[0].project_energy {
        assert!((e[1] / want - 1.0).abs() < 1e-9, "{} vs {want}", e[1]);
    }

    // Supply chain: two projects announced for 2026 share their year's delay in every trial;
    // one announced for 2027 has its own.
    let o = run_portfolio(
        dir.path(),
        &header(1, 50, 9),
        &("\n[correlation]\nsupply_chain_days = { dist = \"lognormal\", mean = 60, sd = 40 }\n"
            .to_string()
            + &project("a", "north", "flat", 10.0, "built", "2026-03-01")
            + &project("b", "south", "flat", 10.0, "built", "2026-11-01")
            + &project("c", "south", "flat", 10.0, "built", "2027-01-01")),
    );
    let mut differ = 0;
    for d in &o.draws {
        assert!(d.projects[0].delay_days > 0.0);
        assert_eq!(d.projects[0].delay_days, d.projects[1].delay_days);
        differ += usize::from(d.projects[0].delay_days != d.projects[2].delay_days);
    }
    assert_eq!(differ, 50);
}

/// Every project at ERCOT's adjusted-forecast scalars (expected MW share 0.498, in-service
/// dates 180 days later; ERCOT, April 2025): the portfolio's mean regional energy each year
/// equals the deterministic arithmetic (0.498 x MW x hours after the shifted date) within 3
/// standard errors, the tool's own scalar column equals that arithmetic, and a band is reported
/// around it.
#[test]
fn ercot_scalars_give_the_deterministic_arithmetic_in_the_mean() {
    let dir = folder();
    let dates = [
        "2025-09-01",
        "2026-01-15",
        "2026-03-01",
        "2026-05-20",
        "2026-07-01",
        "2026-10-10",
        "2027-01-01",
        "2027-04-01",
        "2027-06-30",
        "2027-12-01",
        "2028-02-29",
        "2028-08-01",
    ];
    let mut rest = String::new();
    let mut sizes = Vec::new();
    for (i, d) in dates.iter().enumerate() {
        let mw = 50.0 + 50.0 * i as f64;
        sizes.push(mw);
        rest += &project(
            &format!("dc{i:02}"),
            ["north", "south"][i % 2],
            "flat",
            mw,
            "ercot",
            d,
        );
    }
    rest += "\n[stage.ercot]\nprobability = 0.498\ndelay_days = 180\nsource = \"ERCOT adjusted large-load forecast, April 2025: data-centre MW x 0.498, in-service +180 days\"\n";
    let o = run_portfolio(dir.path(), &header(3, 400, 21), &rest);
    let start = dcload::base::time::Date {
        year: 2026,
        month: 1,
        day: 1,
    }
    .days_since_epoch();
    for (yi, y) in o.years.iter().enumerate() {
        let (y0, y1) = (
            y.year.first_hour as f64,
            (y.year.first_hour + y.year.hours) as f64,
        );
        let hand: f64 = dates
            .iter()
            .zip(&sizes)
            .map(|(d, mw)| {
                let on = (dcload::base::time::Date::parse(d)
                    .unwrap()
                    .days_since_epoch()
                    - start
                    + 180) as f64
                    * 24.0;
                0.498 * mw * (y1 - on.max(y0)).max(0.0)
            })
            .sum();
        let total: Vec<f64> = y.energy.iter().map(|e| e[2]).collect();
        let (m, se) = mean_se(&total);
        assert!(
            (m - hand).abs() < 3.0 * se,
            "{}: mean {m} vs arithmetic {hand} (se {se})",
            y.year.year
        );
        assert!(
            (y.scalar_energy[2] / hand - 1.0).abs() < 1e-6,
            "{}: scalar {} vs {hand}",
            y.year.year,
            y.scalar_energy[2]
        );
        let (h, rows) = read_csv(&dir.path().join("out/portfolio_years.csv"));
        let row = &rows[yi * 3 + 2];
        assert_eq!(row[col(&h, "zone")], "total");
        let p10: f64 = row[col(&h, "energy_mwh_p10")].parse().unwrap();
        let p90: f64 = row[col(&h, "energy_mwh_p90")].parse().unwrap();
        assert!(p10 < hand && hand < p90, "band {p10}..{p90} around {hand}");
    }
}

/// E[P^2] of P = logistic(s Z), Z standard normal, by the trapezoidal rule (the test's own
/// quadrature, not the tool's).
fn mean_p_squared(s: f64) -> f64 {
    let n = 200_000;
    let (a, b) = (-12.0, 12.0);
    let h = (b - a) / n as f64;
    let mut sum = 0.0;
    for k in 0..=n {
        let z = a + h * k as f64;
        let p = 1.0 / (1.0 + (-s * z).exp());
        let w = if k == 0 || k == n { 0.5 } else { 1.0 };
        sum += w * p * p * (-0.5 * z * z).exp();
    }
    sum * h / (2.0 * std::f64::consts::PI).sqrt()
}

/// Sample variance and its standard error ((m4 - s^4) / n, the large-sample variance of a
/// sample variance).
fn var_se(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = x.iter().map(|a| (a - m).powi(4)).sum::<f64>() / n;
    (v, ((m4 - v * v) / n).sqrt())
}

/// A market factor widens the band of annual energy. N = 20 identical flat projects at p = 0.5,
/// each E MWh a year when built: independent, Var = N E^2 / 4; with a shared shock of sd s on
/// every logit (the intercept stays 0 by symmetry), P = logistic(s Z) and
/// Var = N (1/2 - E[P^2]) E^2 + N^2 (E[P^2] - 1/4) E^2, a factor 1 + 4 (N - 1) (E[P^2] - 1/4)
/// on the independent variance (4.30 for s = 1: Var logistic(Z) = 0.0434). Both within 3
/// standard errors over 2,000 trials; the mean unchanged.
#[test]
fn a_market_factor_widens_the_band_by_the_hand_computed_factor() {
    let dir = folder();
    let n = 20;
    let e = 10.0 * 8760.0;
    let names = (0..n).map(|i| format!("m{i:02}"));
    let projects = copies(names, "north", "flat", 10.0, "study", "2025-01-01");
    let run = |sd: f64| {
        let o = run_portfolio(
            dir.path(),
            &header(1, 2000, 3),
            &format!("\n[correlation]\nmarket_sd = {sd:?}\n{projects}"),
        );
        let x: Vec<f64> = o.years[0].energy.iter().map(|e| e[2]).collect();
        (mean_se(&x), var_se(&x))
    };
    let ((m0, se0), (v0, vse0)) = run(0.0);
    let ((m1, se1), (v1, vse1)) = run(1.0);
    let nf = n as f64;
    let independent = nf * e * e / 4.0;
    let ep2 = mean_p_squared(1.0);
    let factor = 1.0 + 4.0 * (nf - 1.0) * (ep2 - 0.25);
    assert!((factor - 4.297).abs() < 0.01, "hand factor {factor}");
    assert!(
        (v0 - independent).abs() < 3.0 * vse0,
        "independent {v0} vs {independent} ({vse0})"
    );
    assert!(
        (v1 - factor * independent).abs() < 3.0 * vse1,
        "market {v1} vs {} ({vse1})",
        factor * independent
    );
    assert!(v1 > v0, "the shared shock widens the band");
    // The calibrated intercept keeps the mean.
    let half = 0.5 * nf * e;
    assert!((m0 - half).abs() < 3.0 * se0, "{m0}");
    assert!((m1 - half).abs() < 3.0 * se1, "{m1}");
}

/// Duplicate requests: at most one member of a group is built in every trial; the group is
/// built with its likeliest member's probability, a member picked in proportion to the
/// members' probabilities (0.6 x 0.6/1.2, 0.6 x 0.3/1.2, ...), as the output reports.
#[test]
fn at_most_one_project_of_a_duplicate_group_is_built() {
    let dir = folder();
    let mut rest = String::new();
    for (name, p) in [("d1", 0.6), ("d2", 0.3), ("d3", 0.3)] {
        rest += &(project(name, "north", "flat", 100.0, "study", "2026-01-01")
            + &format!("probability = {p:?}\ngroup = \"same-load\"\n"));
    }
    rest += &project("free", "south", "flat", 100.0, "study", "2026-01-01");
    let o = run_portfolio(
        dir.path(),
        &header(1, 1000, 4),
        &format!("\n[correlation]\nmarket_sd = 0.7\n{rest}"),
    );
    let mut built = [0usize; 4];
    for d in &o.draws {
        let in_group = d.projects[..3].iter().filter(|x| x.built).count();
        assert!(in_group <= 1, "{in_group} members built");
        for (k, b) in built.iter_mut().enumerate() {
            *b += usize::from(d.projects[k].built);
        }
    }
    let t = 1000.0;
    for (k, want) in [(0, 0.3), (1, 0.15), (2, 0.15), (3, 0.5)] {
        let share = built[k] as f64 / t;
        let se = (want * (1.0 - want) / t).sqrt();
        // Under the market factor the shares are the tool's quadrature (close to the plain
        // figures: the group's odds move together).
        let marginal = o.odds.marginal[k];
        assert!(
            (share - marginal).abs() < 3.0 * se,
            "{}: {share} vs {marginal}",
            pname(&o, k)
        );
        assert!(
            (marginal - want).abs() < 0.03,
            "{}: {marginal}",
            pname(&o, k)
        );
    }
    let group: usize = built[..3].iter().sum();
    let g = group as f64 / t;
    assert!(
        (g - 0.6).abs() < 3.0 * (0.24f64 / t).sqrt(),
        "group share {g}"
    );
}

/// The coincidence factor (a trial-year's highest hour over the sum of its projects' own
/// highest hours) is at most 1 for every zone, year and trial, and below 1 for a region of
/// noisy sites that do not peak together.
#[test]
fn the_coincidence_factor_is_at_most_one() {
    let dir = folder();
    let mut rest = String::new();
    for i in 0..8 {
        let (arch, zone) = if i % 3 == 0 {
            ("flat", "south")
        } else {
            ("chat", "north")
        };
        rest += &(project(
            &format!("c{i}"),
            zone,
            arch,
            40.0 + 10.0 * f64::from(i),
            "study",
            &format!("2026-0{}-01", 1 + i % 8),
        ) + "ramp_days = 60\ndelay_days = { dist = \"lognormal\", mean = 90, sd = 60 }\n");
    }
    let head = &(header(2, 60, 8) + "\nsite_trials = \"independent\"");
    let o = run_portfolio(dir.path(), head, &rest);
    let mut below = false;
    for y in &o.years {
        for (pk, sum) in y.peak.iter().zip(&y.sum_peaks) {
            for k in 0..3 {
                assert!(pk[k] <= sum[k] * (1.0 + 1e-12), "{} > {}", pk[k], sum[k]);
                below |= sum[k] > 0.0 && pk[k] < 0.99 * sum[k];
            }
        }
    }
    assert!(below, "noisy sites should not always peak together");
    let (h, rows) = read_csv(&dir.path().join("out/portfolio_trials.csv"));
    let c = col(&h, "coincidence_factor");
    for r in &rows {
        if !r[c].is_empty() {
            let cf: f64 = r[c].parse().unwrap();
            assert!(cf > 0.0 && cf <= 1.0, "{cf}");
        }
    }
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/portfolio_summary.json")).unwrap(),
    )
    .unwrap();
    let cf = summary["by_year"][1]["zones"]["total"]["coincidence_factor"]["mean"]
        .as_f64()
        .unwrap();
    assert!(cf > 0.0 && cf <= 1.0, "{cf}");
}

/// Common random numbers: removing a project leaves every other project's draws unchanged
/// (existence, delay, size), market factor and supply-chain delays included; so "with X" and
/// "without X" differ, trial by trial, by X's own load.
#[test]
fn removing_a_project_leaves_the_others_draws_unchanged() {
    let dir = folder();
    let mut projects = Vec::new();
    for i in 0..6 {
        let mw = 30.0 + f64::from(i);
        let fixed = project(&format!("q{i}"), "north", "chat", mw, "study", "2026-04-01");
        projects.push(
            fixed.replacen(&format!("mw = {mw:?}\n"), "", 1)
                + "delay_days = { dist = \"normal\", mean = 60, sd = 30 }\n\
                   mw = { dist = \"uniform\", min = 20, max = 40 }\n",
        );
    }
    let corr = "\n[correlation]\nmarket_sd = 0.8\nsupply_chain_days = { dist = \"lognormal\", mean = 30, sd = 20 }\n";
    let head = &header(1, 40, 2);
    let with = run_portfolio(dir.path(), head, &format!("{corr}{}", projects.concat()));
    let without_x: String = projects
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, p)| p.as_str())
        .collect();
    let without = run_portfolio(dir.path(), head, &format!("{corr}{without_x}"));
    for (a, b) in with.draws.iter().zip(&without.draws) {
        assert_eq!(a.market_z, b.market_z);
        let kept: Vec<_> = a
            .projects
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, d)| *d)
            .collect();
        assert_eq!(kept, b.projects);
    }
    // `--without q2` (Portfolio::without) gives the same draws as the file without it.
    let text = file(head, &format!("{corr}{}", projects.concat()));
    let src = Source::new(dir.path().join("p.toml").display().to_string(), text);
    let mut p = Portfolio::from_source(&src, "p", dir.path()).unwrap();
    assert!(
        p.without(&["Q9".into()])
            .unwrap_err()
            .contains("unknown project")
    );
    p.without(&["Q2".into()]).unwrap();
    let lib = Library::builtin().unwrap();
    let cut = study(p, &lib, &dir.path().join("out-cut"), None, true).unwrap();
    assert_eq!(cut.draws, without.draws);
    assert_eq!(cut.years[0].energy, without.years[0].energy);
    // So the difference of the regional energy is project X's own, trial by trial.
    for t in 0..40 {
        let diff = with.years[0].energy[t][2] - without.years[0].energy[t][2];
        let x = with.years[0].project_energy[t][2];
        assert!(
            (diff - x).abs() <= 1e-9 * with.years[0].energy[t][2],
            "{diff} vs {x}"
        );
    }
}

/// A composed portfolio of certain projects matches a direct simulation of the same projects
/// (one run file with a group per project, online at the same dates) within 1 % on annual
/// energy and peak.
#[test]
fn a_composed_portfolio_matches_a_direct_simulation() {
    let dir = folder();
    // A year-long flat archetype (the composition replays the year).
    std::fs::write(dir.path().join("flat-year.toml"), flat(8760, 1)).unwrap();
    let dates = ["2026-03-01", "2026-06-15", "2026-09-01"];
    let mut rest = "\n[[archetype]]\nname = \"flat-year\"\nrun = \"flat-year.toml\"\n".to_string();
    for (i, d) in dates.iter().enumerate() {
        rest += &project(&format!("g{i}"), "north", "flat-year", FLAT_MW, "built", d);
    }
    let o = run_portfolio(dir.path(), &header(1, 1, 1), &rest);
    let mut direct = "name = \"direct\"\nstart = \"2026-01-01\"\nhorizon_hours = 8760\nstep_s = 3600\nseed = 3\ntrials = 1\n".to_string();
    for (i, d) in dates.iter().enumerate() {
        direct += &format!(
            "[[site.group]]\nname = \"g{i}\"\nserver = \"DGX-H100\"\ncount = 10\npool = \"a\"\nonline = \"{d}\"\n"
        );
    }
    direct += TWIN;
    direct += &facility(1.2);
    let sc = scenario(&direct);
    let r = run_trial(&sc, 0);
    let y = &o.years[0];
    assert!(
        (y.energy[0][2] / r.summary.energy_mwh - 1.0).abs() < 0.01,
        "composed {} vs direct {} MWh",
        y.energy[0][2],
        r.summary.energy_mwh
    );
    assert!(
        (y.peak[0][2] / r.summary.peak_mw - 1.0).abs() < 0.01,
        "composed {} vs direct {} MW",
        y.peak[0][2],
        r.summary.peak_mw
    );
}

/// Every output file is byte-identical on one thread and on two.
#[test]
fn outputs_are_byte_identical_on_one_and_two_threads() {
    let dir = folder();
    let mut rest = "\n[correlation]\nmarket_sd = 0.5\nsupply_chain_days = { dist = \"lognormal\", mean = 30, sd = 20 }\n".to_string();
    for i in 0..10 {
        let arch = if i % 2 == 0 { "chat" } else { "flat" };
        rest += &(project(
            &format!("t{i}"),
            ["north", "south"][i % 2],
            arch,
            20.0 + i as f64,
            "study",
            "2026-05-01",
        ) + "ramp_days = 30\ndelay_days = { dist = \"lognormal\", mean = 90, sd = 60 }\n");
    }
    let text = file(&header(1, 30, 17), &rest);
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).unwrap();
    let files = |threads: &str| {
        let out = dir.path().join(format!("out-{threads}"));
        run_ok(&[
            "portfolio",
            arg(&path),
            "--out",
            arg(&out),
            "--threads",
            threads,
            "--quiet",
        ]);
        let mut names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| (n.clone(), std::fs::read(out.join(n)).unwrap()))
            .collect::<Vec<_>>()
    };
    let one = files("1");
    let two = files("2");
    assert_eq!(
        one.len(),
        6,
        "{:?}",
        one.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((n1, b1), (n2, b2)) in one.iter().zip(&two) {
        assert_eq!(n1, n2);
        assert!(b1 == b2, "{n1:?} differs between 1 and 2 threads");
    }
}

/// Bad input names the file, the line and the field, exits non-zero and never panics.
#[test]
fn bad_input_names_file_line_and_field() {
    let dir = folder();
    let good = file(
        &header(1, 4, 1),
        &(project("a", "north", "flat", 10.0, "study", "2026-01-01")
            + &project("b", "south", "chat", 10.0, "built", "2026-01-01")),
    );
    let path = dir.path().join("p.toml");
    let bad_out = dir.path().join("bad-out");
    let check = |from: &str, to: &str, field: &str| {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from} not found");
        std::fs::write(&path, &bad).unwrap();
        let err = fails(&["portfolio", arg(&path), "--quiet", "--out", arg(&bad_out)]);
        let at = format!(
            "{}:{}:",
            path.display(),
            line_of(&bad, to.lines().next().unwrap())
        );
        assert_says(&err, &[&at, &format!("`{field}`")]);
        err
    };
    let e = check("archetype = \"chat\"", "archetype = \"chatt\"", "archetype");
    assert!(e.contains("did you mean \"chat\""), "{e}");
    // (From, to, the field named.)
    let cases = [
        ("zone = \"south\"", "zone = \"east\"", "zone"),
        ("probability = 0.5", "probability = 2", "probability"),
        (
            "online = \"2026-01-01\"",
            "online = \"2026-02-30\"",
            "online",
        ),
        ("stage = \"built\"", "stage = \"biult\"", "stage"),
        (
            "mw = 10.0\nstage = \"built\"",
            "mw = -5\nstage = \"built\"",
            "mw",
        ),
        ("name = \"b\"", "name = \"A\"", "name"),
        // Names that are CSV cells: a comma in a stage's name, a leading `-` (a formula).
        ("[stage.study]", "[stage.\"st,udy\"]", "stage"),
        ("name = \"b\"", "name = \"-b\"", "name"),
        ("run = \"chat.toml\"", "run = \"missing.toml\"", "run"),
        ("source = \"estimate (test)\"", "source = \"\"", "source"),
        ("zone = \"south\"", "zoen = \"south\"", "zoen"),
        ("years = 1", "years = 0", "years"),
        (
            "mw = 10.0\nstage = \"built\"",
            "mw = { dist = \"lognormal\", mean = -3, sd = 1 }\nstage = \"built\"",
            "mean",
        ),
    ];
    for (from, to, field) in cases {
        check(from, to, field);
    }
}

/// The example queue runs: five hourly files, a projects table with every project, an
/// energised project (no supply-chain delay) online at its announced date in every trial.
#[test]
fn the_example_queue_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (file, out) = (repo("runs/portfolio-example.toml"), dir.path().join("out"));
    run_ok(&[
        "portfolio",
        arg(&file),
        "--trials",
        "20",
        "--out",
        arg(&out),
        "--quiet",
    ]);
    for y in 2026..=2030 {
        let (h, rows) = read_csv(&out.join(format!("portfolio_hourly_{y}.csv")));
        assert_eq!(h[0], "timestamp");
        assert_eq!(rows.len(), if y == 2028 { 8784 } else { 8760 });
        assert!(rows[0][0].ends_with("-06:00"), "{}", rows[0][0]);
    }
    let (_, rows) = read_csv(&out.join("portfolio_projects.csv"));
    assert_eq!(rows.len(), 32);
    let (h, rows) = read_csv(&out.join("portfolio_draws.csv"));
    let (p, d, b) = (col(&h, "project"), col(&h, "delay_days"), col(&h, "built"));
    let n01: Vec<_> = rows.iter().filter(|r| r[p] == "N01").collect();
    assert_eq!(n01.len(), 20);
    assert!(n01.iter().all(|r| r[d] == "0.0000" && r[b] == "1"));
}
