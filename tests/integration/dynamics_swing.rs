//! The training swing as an input (issue 24, item 1): the per-accelerator swing the dynamics
//! file states is the one the waveform shows; calibration to the hourly engine moves the duty,
//! and where it cannot keep the swing, compliance.json says so.

use dcload::dynamics::swing::{BoardPower, Swing};
use dcload::dynamics::{spectrum, window};

use crate::common::{arg, run_ok};
use crate::dynamics::{fixture, training_window};

fn spread(x: &[f64]) -> f64 {
    let hi = x
        .iter()
        .cloned()
        .filter(|v| !v.is_nan())
        .fold(f64::MIN, f64::max);
    let lo = x
        .iter()
        .cloned()
        .filter(|v| !v.is_nan())
        .fold(f64::MAX, f64::min);
    hi - lo
}

#[test]
fn the_stated_swing_appears_in_the_waveform_within_2_percent_unless_a_warning_says_why() {
    // Compute at TDP (700 W), communication at 0.3 x TDP (210 W) on a 70 W idle board: a stated
    // swing of 490 W per accelerator, 7.78 MW on 10,000 accelerators (1000 W per unit of
    // utilisation at the meter). The jobs' mean spans 5.22 MW (duty 0) to 13 MW (duty 1).
    let stated_w = 490.0;
    let stated_mw = 10_000.0 * 1000.0 * (490.0 / 630.0) / 1e6;
    for (training_mw, warned) in [
        (6.0, false),
        (10.0, false),
        (12.5, false),
        (14.0, true),
        (4.0, true),
    ] {
        let w = window::build(
            &training_window(2.0, 0.3, 70.0, 120.0, training_mw),
            &Default::default(),
        );
        let board = spread(&w.jobs[0].board_w);
        let mw = spread(&w.training);
        let within = |got: f64, want: f64| (got - want).abs() <= 0.02 * want;
        if warned {
            assert!(
                !w.warnings.is_empty(),
                "{training_mw} MW: no warning, swing {board} W"
            );
        } else {
            assert!(w.warnings.is_empty(), "{training_mw} MW: {:?}", w.warnings);
            assert!(
                within(board, stated_w) && within(mw, stated_mw),
                "{training_mw} MW: the waveform swings {board} W per accelerator, {mw} MW; stated {stated_w} W, {stated_mw} MW"
            );
            // The mean is the hour's: calibration moved the duty, not the swing.
            let m = window::mean(&w.training);
            assert!((m - training_mw).abs() < 0.01 * training_mw, "{m}");
        }
    }
    // A communication level below the board's idle cannot be: the warning names the job.
    let w = window::build(
        &training_window(2.0, 0.05, 70.0, 120.0, 9.0),
        &Default::default(),
    );
    assert!(
        w.warnings
            .iter()
            .any(|m| m.contains("test") && m.contains("665")),
        "{:?}",
        w.warnings
    );
    assert!((spread(&w.jobs[0].board_w) - 630.0).abs() < 1e-6);
}

#[test]
fn each_job_swings_at_its_own_iteration_time() {
    let mut inp = training_window(2.0, 0.3, 70.0, 400.0, 20.0);
    let mut other = inp.jobs[0].clone();
    other.name = "other".into();
    other.swing = Swing {
        iteration_s: 0.8,
        compute_share: 0.5,
        compute: BoardPower::Watts(650.0),
        communication: BoardPower::Watts(150.0),
    };
    inp.jobs.push(other);
    let w = window::build(&inp, &Default::default());
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    let s = spectrum::psd(&w.facility, 0.05);
    let near = |f: f64| {
        (1..s.psd.len())
            .filter(|&i| (s.freq_hz[i] - f).abs() <= s.df + 1e-12)
            .map(|i| s.psd[i])
            .fold(0.0, f64::max)
    };
    let between = near(0.9);
    assert!(near(0.5) > 1e3 * between && near(1.25) > 1e3 * between);
    // The second job's swing is its own 500 W.
    assert!((spread(&w.jobs[1].board_w) - 500.0).abs() < 1e-6);
}

#[test]
fn compliance_json_gives_each_jobs_stated_and_effective_swing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    run_ok(&[
        "dynamics",
        arg(&fixture("dyn.toml")),
        "--out",
        arg(&out),
        "--no-plots",
    ]);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compliance.json")).unwrap())
            .unwrap();
    let jobs = j["jobs"].as_array().unwrap();
    assert!(!jobs.is_empty());
    let warnings: Vec<String> = j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    for job in jobs {
        let name = job["name"].as_str().unwrap();
        let stated = job["stated"]["swing_w"].as_f64().unwrap();
        let eff = job["effective"]["swing_w"].as_f64().unwrap();
        assert!(
            (stated - eff).abs() <= 0.02 * stated || warnings.iter().any(|w| w.contains(name)),
            "{name}: stated {stated} W, effective {eff} W, no warning: {warnings:?}"
        );
        // The fixture states the frontier job's swing on its own line.
        if name.starts_with("frontier") {
            assert_eq!(job["iteration_s"].as_f64(), Some(2.5));
            assert_eq!(job["stated"]["compute_w"].as_f64(), Some(680.0));
        }
    }
}

#[test]
fn a_jobs_end_moves_its_idle_with_it() {
    // The job ends 60 s into the window; the engine's hour holds its 10,000 accelerators' idle
    // (300 W) as unallocated for the rest of the hour.
    let mut inp = training_window(2.0, 0.3, 70.0, 120.0, 0.0);
    let end = 60.0;
    inp.jobs[0].end_s = Some(end);
    let held = end / 3600.0;
    inp.hours[0].training_mw = 10_000.0 * (300.0 + 1000.0 * 0.7) / 1e6 * held;
    inp.hours[0].idle_mw = 10_000.0 * 300.0 * (1.0 - held) / 1e6;
    let w = window::build(&inp, &Default::default());
    let dynamic_mw = 10_000.0 * 1000.0 / 1e6;
    let worst_drop = w.it.windows(2).map(|p| p[0] - p[1]).fold(0.0f64, f64::max);
    assert!(
        worst_drop <= dynamic_mw + 1e-9,
        "IT drops {worst_drop} MW in one step; the job's dynamic power is at most {dynamic_mw} MW"
    );
    // At the end IT drops by the job's dynamic power at its last step, not by its idle too.
    let k_end = (end / 0.05) as usize;
    let u_last = (w.jobs[0].board_w[k_end - 1] - 70.0) / 630.0;
    let drop = w.it[k_end - 1] - w.it[k_end];
    assert!(
        (drop - dynamic_mw * u_last).abs() < 1e-6,
        "IT drops {drop} MW at the job's end; its dynamic power was {} MW",
        dynamic_mw * u_last
    );
    // After the end the idle is there, before it not (the held accelerators' idle is the job's).
    assert!(
        (w.idle[k_end + 1] - 3.0).abs() < 1e-9,
        "{}",
        w.idle[k_end + 1]
    );
    assert!(w.idle[k_end - 1].abs() < 1e-9, "{}", w.idle[k_end - 1]);
}
