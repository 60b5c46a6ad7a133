//! Where the energy goes: every joule of IT energy to one holder, counted requests, and the
//! published ways of stating power and work. Oracles are hand-derived from the library's figures.

use dcload::model::library::Library;

use crate::common::*;

const JOB: &str = r#"
name = "job"
start = "2025-01-01"
horizon_hours = 72
step_s = 60
trials = 1
[[site.group]]
name = "train"
server = "DGX-H100"
count = 13            # 104 accelerators
[[training]]
name = "run"
pool = "train"
accelerators = 96     # 12 servers' worth
watts_per_accelerator = 1100.0
duration_days = 2
start_days = [0]
[facility]
kind = "fixed"
pue = 1.2
"#;

/// A job of n accelerators at a stated average of W per accelerator for d days on a pool of
/// m > n: job MWh = n W d 24 / 10^6 (to 1e-9 relative); the m - n accelerators it does not hold,
/// and the whole pool after it ends, are `idle_unallocated`, never training.
#[test]
fn job_at_stated_watts_gets_exactly_its_energy() {
    let sc = scenario(JOB); // DGX H100: 8 x H100, 10.2 kW peak (library)
    let r = &trials(&sc)[0];
    let s = &r.summary;
    assert_eq!(s.jobs.len(), 1);
    let j = &s.jobs[0];
    let (n, w, d) = (96.0, 1100.0, 2.0);
    let want = n * w * d * 24.0 / 1e6;
    let got = j.energy_j / 3.6e9;
    assert!(
        (got / want - 1.0).abs() < 1e-9,
        "job {got} MWh, hand {want} MWh"
    );
    assert!(j.completed);
    assert_eq!(j.end_s, Some(2 * 86_400));
    // A job ending exactly at the horizon is completed, in its record too.
    let at_horizon = scenario(&JOB.replace("horizon_hours = 72", "horizon_hours = 48"));
    let s48 = &trials(&at_horizon)[0].summary;
    assert_eq!(s48.training_jobs_completed, 1);
    assert!(s48.jobs[0].completed);
    assert_eq!(s48.jobs[0].end_s, Some(48 * 3600));
    // Training sector = its job; the rest of the IT energy is unheld idle.
    assert!((s.sector_mwh[2] / want - 1.0).abs() < 1e-9);
    let pool = &sc.fleet.pools[0];
    let idle_per_acc = pool.idle_w_per_capacity;
    let m = pool.accelerators;
    let hand_idle = ((m - n) * 48.0 + m * 24.0) * idle_per_acc / 1e6;
    assert!(
        (s.idle_unallocated_mwh / hand_idle - 1.0).abs() < 1e-9,
        "idle_unallocated {} MWh, hand {hand_idle}",
        s.idle_unallocated_mwh
    );
    assert!(((s.sector_mwh[2] + s.idle_unallocated_mwh) / s.it_energy_mwh - 1.0).abs() < 1e-9);
}

/// The same job stated at the accelerator board alone: the board's curve is inverted and the
/// host follows at the same utilisation, so the job draws more than the board figure.
#[test]
fn accelerator_scope_adds_the_host_share() {
    let text = JOB.replace(
        "watts_per_accelerator = 1100.0",
        "watts_per_accelerator = 600.0\nwatts_scope = \"accelerator\"",
    );
    let sc = scenario(&text);
    let g = &sc.fleet.groups[0];
    let u = (600.0 - g.acc_idle_w) / (g.acc_tdp_w - g.acc_idle_w);
    assert!((sc.trainings[0].utilisation - u).abs() < 1e-12);
    let s = &trials(&sc)[0].summary;
    let avg = s.jobs[0].energy_j / 3600.0 / (96.0 * 48.0);
    assert!(
        avg > 600.0,
        "server share {avg} W must exceed the board's 600 W"
    );
}

/// A measured average outside what the pool can draw is refused, naming the field and range.
#[test]
fn impossible_watts_are_refused() {
    let err = resolve_err("job.toml", &JOB.replace("1100.0", "2000.0"));
    assert_says(&err, &["watts_per_accelerator", "1275.0", "job.toml:"]);
}

const CLASS: &str = r#"
name = "class"
start = "2025-01-01"
horizon_hours = 48
step_s = 60
trials = 2
[[site.group]]
name = "inf"
server = "DGX-H100"
count = 40
[[consumer]]
name = "chat"
pool = "inf"
requests_per_day = 2.0e6
wh_per_request = 2.9
work_cv = 0.8
[facility]
kind = "fixed"
pue = 1.0
"#;

/// A class stated at 2.9 Wh marginal per request reports 2.9 Wh per served request (0.5 %),
/// and a larger figure once its share of the pool's idle is added.
#[test]
fn marginal_wh_per_request_round_trips() {
    let sc = scenario(CLASS);
    for r in trials(&sc) {
        let (marg, full) = dcload::report::energy::wh_per_request(&sc, &r.summary, 0);
        assert!((marg / 2.9 - 1.0).abs() < 0.005, "{marg} Wh marginal");
        assert!(full > marg * 1.2, "with idle {full} Wh");
        // The class pays all the pool's energy here (it is the only holder), so fully loaded
        // = IT energy / served.
        let s = &r.summary;
        let all = s.it_energy_mwh * 1e6 / s.requests_served;
        assert!((full / all - 1.0).abs() < 1e-9, "{full} vs {all}");
    }
}

/// Requests are whole numbers: arrived = served + dropped + pending, exactly, in every trial,
/// also when the pool saturates and drops; with ample capacity nothing is pending at the end.
#[test]
fn request_counts_are_whole_and_conserved() {
    for (rpd, congested) in [(2.0e6, false), (4.0e7, true)] {
        let sc = scenario(&CLASS.replace("2.0e6", &format!("{rpd:e}")));
        for r in trials(&sc) {
            let c = &r.summary.classes[0];
            assert_eq!(c.arrived, c.served + c.dropped + c.pending, "{c:?}");
            if congested {
                assert!(c.dropped > 0, "a pool at 20x its capacity drops: {c:?}");
            } else {
                assert_eq!(c.dropped, 0);
                assert_eq!(c.pending, 0);
                assert_eq!(c.arrived, c.served + c.dropped);
            }
            // Poisson arrivals: 48 h of rpd/day within 5 standard deviations.
            let mean = rpd * 2.0;
            assert!((c.arrived as f64 - mean).abs() < 5.0 * mean.sqrt(), "{c:?}");
            // Hourly served counts are whole and sum to the trial's.
            let hourly: f64 = (0..48)
                .map(|h| at_hour(&sc, &r, h, dcload::sim::M_SERVED))
                .inspect(|x| assert_eq!(x.fract(), 0.0))
                .sum();
            assert!((hourly / c.served as f64 - 1.0).abs() < 1e-6);
        }
    }
}

/// A 70 B-parameter model's requests of 1,000 tokens in and 400 out, prefill at MFU 0.5 and
/// decode at 0.1.
const TOKENS: &str =
    "tokens_in = 1000\ntokens_out = 400\nactive_params_b = 70\nmfu = 0.5\ndecode_mfu = 0.1";

/// Accelerator-seconds of a [`TOKENS`] request's prefill and decode on an H100 (989 TFLOP/s
/// dense BF16, library): 2 x active parameters x tokens / (peak FLOP/s x MFU).
fn token_seconds() -> (f64, f64) {
    let flops = 989e12;
    let per = |tokens: f64, mfu: f64| 2.0 * 70e9 * tokens / (flops * mfu);
    (per(1000.0, 0.5), per(400.0, 0.1))
}

/// Token work from FLOP, per token kind.
#[test]
fn token_work_matches_the_flop_formula() {
    let sc = scenario(&CLASS.replace("wh_per_request = 2.9", TOKENS));
    let (tp, td) = token_seconds();
    let want = tp + td;
    let got = sc.consumers[0].work.mean;
    assert!((got / want - 1.0).abs() < 1e-12, "{got} vs {want}");
}

/// Per-state power: the marginal energy per request is prefill time x (prefill W - idle) +
/// decode time x (decode W - idle), per accelerator.
#[test]
fn per_state_power_sets_marginal_energy() {
    let sc = scenario(&CLASS.replace(
        "wh_per_request = 2.9\nwork_cv = 0.8",
        &format!("{TOKENS}\nprefill_w_per_accelerator = 1200\ndecode_w_per_accelerator = 600"),
    ));
    let idle = sc.fleet.pools[0].idle_w_per_capacity;
    let (tp, td) = token_seconds();
    let want_wh = (tp * (1200.0 - idle) + td * (600.0 - idle)) / 3600.0;
    for r in trials(&sc) {
        let (marg, _) = dcload::report::energy::wh_per_request(&sc, &r.summary, 0);
        assert!(
            (marg / want_wh - 1.0).abs() < 1e-6,
            "{marg} Wh vs hand {want_wh} Wh"
        );
    }
}

/// Every hour, IT = consumer + industrial + training + defense + idle_unallocated; over the
/// horizon the classes, jobs, twins and missions sum to their sectors.
#[test]
fn holders_sum_to_it_every_hour() {
    let lib = Library::builtin().unwrap();
    let mut sc = dcload::scenario::Scenario::default_study(&lib).unwrap();
    sc.horizon_hours = 24 * 21;
    sc.horizon_s = sc.horizon_hours * 3600;
    sc.trials = 1;
    let r = dcload::sim::run_trial(&sc, 0);
    let nm = sc.metrics().len();
    let pos = |id| sc.metric_pos(id).unwrap();
    for h in 0..sc.horizon_hours as usize {
        let row = &r.hourly[h * nm..(h + 1) * nm];
        let parts: f64 = (0..4).map(|k| f64::from(row[pos(k)])).sum::<f64>()
            + f64::from(row[pos(dcload::sim::M_IDLE_UNALLOC)]);
        let total = f64::from(row[pos(dcload::sim::M_IT_TOTAL)]);
        assert!(
            (parts / total - 1.0).abs() < 1e-5,
            "hour {h}: {parts} vs {total}"
        );
    }
    let s = &r.summary;
    let classes: f64 = s.classes.iter().map(|c| c.mwh).sum();
    let jobs: f64 = s.jobs.iter().map(|j| j.energy_j / 3.6e9).sum();
    let twins: f64 = s.twin_mwh.iter().sum();
    let missions: f64 = s.mission_mwh.iter().sum();
    for (part, sector) in [(classes, 0), (twins, 1), (jobs, 2), (missions, 3)] {
        assert!(
            (part / s.sector_mwh[sector] - 1.0).abs() < 1e-9,
            "sector {sector}: parts {part} vs {}",
            s.sector_mwh[sector]
        );
    }
    let all = classes + jobs + twins + missions + s.idle_unallocated_mwh;
    assert!((all / s.it_energy_mwh - 1.0).abs() < 1e-9);
    assert!(s.idle_unallocated_mwh > 0.0);
}

/// Under a cap, the work a job was due but did not get is on its own record (jobs.csv
/// `shed_acc_h`), and the records add up to the trial's shed training work.
#[test]
fn a_capped_job_records_the_work_it_lost() {
    let text = JOB.replace(
        "[facility]",
        "[grid]\nimport_limit_mw = 0.1\nlimit_policy = \"cap\"\n\n[facility]",
    );
    let sc = scenario(&text);
    let s = &trials(&sc)[0].summary;
    let shed_h: f64 = s.jobs.iter().map(|j| j.shed_acc_s / 3600.0).sum();
    assert!(s.shed_training_acc_h > 0.0, "the cap sheds training");
    assert!(
        (shed_h / s.shed_training_acc_h - 1.0).abs() < 1e-9,
        "jobs {shed_h} vs trial {}",
        s.shed_training_acc_h
    );
    // Uncapped, nothing is lost.
    let free = &trials(&scenario(JOB))[0].summary;
    assert_eq!(free.jobs[0].shed_acc_s, 0.0);
}

/// Issue 23: the per-request figure publications state (Epoch AI's ~0.3 Wh per GPT-4o query:
/// the busy accelerators' power, idle included, times their time, times the PUE) is printed:
/// `wh_per_request_attributed` = the class's attributed MWh / served x 1e6, exactly, and
/// `wh_per_request_attributed_at_meter` weighs each hour's share by that hour's facility / IT
/// ratio, so at a fixed PUE it is the first times the PUE. On a physics facility it lies
/// between the lowest and highest hourly PUE times the first. Both in classes.csv, trials.csv
/// and summary.json.
#[test]
fn attributed_wh_per_request_is_class_energy_over_served_times_the_meter_ratio() {
    let pue = 1.14;
    let text = without_distributions(&preset(
        "runs/chat-national.toml",
        &[
            ("horizon_hours = 8760", "horizon_hours = 72"),
            ("trials = 20", "trials = 2"),
            (
                "pue = { dist = \"uniform\", min = 1.08, max = 1.2 }",
                "pue = 1.14",
            ),
        ],
    ));
    let sc = scenario(&text);
    let r = trials(&sc);
    let dir = tempfile::tempdir().unwrap();
    write_outputs(dir.path(), &sc, &r);
    let (h, rows) = read_csv(&dir.path().join("classes.csv"));
    let (ca, cm) = (
        col(&h, "wh_per_request_attributed"),
        col(&h, "wh_per_request_attributed_at_meter"),
    );
    let mut checked = 0;
    for t in &r {
        for (i, c) in t.summary.classes.iter().enumerate() {
            if c.served == 0 {
                continue;
            }
            let (attr, at_meter) = dcload::report::energy::wh_per_request_attributed(&t.summary, i);
            assert_eq!(attr, c.mwh / c.served as f64 * 1e6);
            assert!(
                (at_meter / (attr * pue) - 1.0).abs() < 1e-9,
                "{at_meter} vs {attr} x {pue}"
            );
            let row = &rows[t.summary.trial as usize * sc.consumers.len() + i];
            assert_eq!(row[ca], format!("{attr:.4}"));
            assert_eq!(row[cm], format!("{at_meter:.4}"));
            checked += 1;
        }
    }
    assert!(checked > 0);
    let (th, trows) = read_csv(&dir.path().join("trials.csv"));
    let name = &sc.consumers[0].name;
    let k = col(
        &th,
        &format!("class.{name}.wh_per_request_attributed_at_meter"),
    );
    let (attr0, meter0) = dcload::report::energy::wh_per_request_attributed(&r[0].summary, 0);
    assert!((num(&trows[0][k]) - meter0).abs() < 1e-3, "{}", trows[0][k]);
    let s = summary_json(dir.path()).to_string();
    assert!(
        s.contains(&format!("class.{name}.wh_per_request_attributed")),
        "summary.json"
    );
    assert!(meter0 > attr0);

    // A physics facility: the meter figure is the attributed one times a ratio between the
    // hours' lowest and highest PUE.
    let sc = scenario(&without_distributions(&default_short(72, 300)));
    let r = &trials(&sc)[0];
    let k = sc
        .metric_pos(dcload::model::metrics::M_PUE)
        .expect("pue column");
    let nm = sc.metric_ids.len();
    let hours: Vec<f64> = (0..72).map(|hh| f64::from(r.hourly[hh * nm + k])).collect();
    let (lo, hi) = hours
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    for i in 0..sc.consumers.len() {
        let (attr, at_meter) = dcload::report::energy::wh_per_request_attributed(&r.summary, i);
        if attr > 0.0 {
            let ratio = at_meter / attr;
            assert!(
                ratio >= lo - 1e-4 && ratio <= hi + 1e-4,
                "class {i}: {ratio} outside hourly PUE {lo}..{hi}"
            );
        }
    }
}
