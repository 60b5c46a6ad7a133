//! Seconds-scale stress (issue 13): the fast window, its mitigations, its spectrum, compliance
//! with a utility's specification and a fleet's ride-through of a voltage-disturbance sequence.

use std::path::PathBuf;

use dcload::base::error::Source;
use dcload::dynamics::mitigation::{self, Control, Storage};
use dcload::dynamics::ridethrough::{self, Disturbance};
use dcload::dynamics::swing::{BoardPower, Swing};
use dcload::dynamics::window::{self, FastParams, Hour, Inputs, Job, Shaping};
use dcload::dynamics::{Settings, inputs_from_engine, spectrum};
use dcload::model::library::Library;
use dcload::scenario::Scenario;

use crate::common::{arg, assert_says, fails, line_of, read_csv, repo, run_ok};

pub(crate) fn fixture(name: &str) -> PathBuf {
    repo(&format!("tests/fixtures/dynamics/{name}"))
}

fn settings(name: &str) -> Settings {
    let p = fixture(name);
    let text = std::fs::read_to_string(&p).unwrap();
    Settings::parse(
        &Source::new(p.display().to_string(), text),
        p.parent().unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn disturbance(name: &str) -> Disturbance {
    let p = fixture(name);
    let text = std::fs::read_to_string(&p).unwrap();
    Disturbance::parse(&Source::new(p.display().to_string(), text))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A training-only hour: one job of 10,000 accelerators (TDP 700 W) computing at TDP and
/// communicating at `comm` x TDP, with no checkpoints and no failures.
pub(crate) fn training_window(
    iteration_s: f64,
    comm: f64,
    board_idle_w: f64,
    duration_s: f64,
    training_mw: f64,
) -> Inputs {
    Inputs {
        t0_s: 0.0,
        duration_s,
        step_s: 0.05,
        hours: vec![Hour {
            start_s: 0.0,
            training_mw,
            it_mw: training_mw,
            facility_mw: training_mw * 1.1,
            ..Hour::default()
        }],
        before: None,
        after: None,
        jobs: vec![Job {
            name: "test".into(),
            start_s: -1.0e6,
            end_s: None,
            accelerators: 10_000.0,
            idle_w: 300.0,
            busy_w: 1000.0,
            board_idle_w,
            tdp_w: 700.0,
            swing: Swing {
                iteration_s,
                compute_share: 0.7,
                compute: BoardPower::TdpShare(1.0),
                communication: BoardPower::TdpShare(comm),
            },
            checkpoint_interval_s: 0.0,
            checkpoint_duration_s: 0.0,
            checkpoint_utilisation: 0.1,
            failure_rate_per_s: 0.0,
            restart_s: 0.0,
        }],
        params: FastParams {
            steady_sd: 0.0,
            ..FastParams::default()
        },
        seed: 7,
        trial: 0,
    }
}

#[test]
fn a_training_job_peaks_at_one_over_its_iteration_time_with_harmonics() {
    // Communication at 0.3 x TDP on a 70 W idle board: utilisation 2/9; the mean that keeps
    // the stated compute share of 0.7: 10,000 x (300 + 1000 x (2/9 + 0.7 x 7/9)) W.
    let keeps_duty = 10_000.0 * (300.0 + 1000.0 * (2.0 / 9.0 + 0.7 * 7.0 / 9.0)) / 1e6;
    for t_iter in [1.6, 3.0] {
        let w = window::build(
            &training_window(t_iter, 0.3, 70.0, 400.0, keeps_duty),
            &Shaping::default(),
        );
        let s = spectrum::psd(&w.facility, 0.05);
        let f0 = 1.0 / t_iter;
        let k = s.peak_in(0.05, 10.0).unwrap();
        assert!(
            (s.freq_hz[k] - f0).abs() <= s.df + 1e-12,
            "T = {t_iter} s: peak at {} Hz, expected {f0} Hz within one bin ({} Hz)",
            s.freq_hz[k],
            s.df
        );
        let mut band: Vec<f64> = (1..s.psd.len())
            .filter(|&i| s.freq_hz[i] >= 0.05 && s.freq_hz[i] <= 10.0)
            .map(|i| s.psd[i])
            .collect();
        band.sort_by(f64::total_cmp);
        let median = band[band.len() / 2];
        let near = |f: f64| {
            (1..s.psd.len())
                .filter(|&i| (s.freq_hz[i] - f).abs() <= s.df + 1e-12)
                .map(|i| s.psd[i])
                .fold(0.0, f64::max)
        };
        for n in [2.0, 3.0] {
            // A compute share of 0.7 gives harmonics of relative amplitude |sin(pi n 0.7)| / n.
            assert!(
                near(n * f0) > 1e3 * median,
                "T = {t_iter} s: harmonic {n} at {} Hz: {} vs median {median}",
                n * f0,
                near(n * f0)
            );
            assert!(
                near(n * f0) < s.psd[k],
                "harmonic {n} above the fundamental"
            );
        }
        // Between the harmonics there is (almost) nothing.
        assert!(near(1.5 * f0) < 1e-3 * s.psd[k]);
    }
}

#[test]
fn a_power_floor_at_share_f_bounds_the_per_accelerator_swing_to_one_minus_f() {
    // Communication at zero dynamic power, board idle at zero: the unmitigated swing is the whole
    // TDP; the mean (6 MW on 10,000 accelerators at 300 W idle + 1000 W x u) puts compute at 1.
    let shape = 0.7;
    let inp = training_window(
        2.0,
        0.0,
        0.0,
        120.0,
        10_000.0 * (300.0 + 1000.0 * shape) / 1e6,
    );
    for f in [0.2, 0.5, 0.8] {
        let w = window::build(
            &inp,
            &Shaping {
                power_floor: Some(f),
                burn_fill_to: None,
            },
        );
        let j = &w.jobs[0];
        let swing = |x: &[f64]| {
            let hi = x.iter().cloned().fold(f64::MIN, f64::max);
            let lo = x.iter().cloned().fold(f64::MAX, f64::min);
            hi - lo
        };
        let a = swing(&j.board_w);
        let am = swing(&j.board_mitigated_w);
        assert!((a - 700.0).abs() < 1e-9, "unmitigated swing {a} W");
        assert!(
            am <= (1.0 - f) * a + 1e-9 && am >= (1.0 - f) * a - 1e-9,
            "f = {f}: swing {am} W, expected (1 - f) x {a} W"
        );
        // The floor only adds power, and its energy is what it adds: f x TDP on 30 % of the time
        // (the board's 700 W of the accelerator's 1,000 W dynamic; the host is not floored).
        assert!(
            w.facility_shaped
                .iter()
                .zip(&w.facility)
                .all(|(m, u)| m >= u)
        );
        let expect_mwh = 10_000.0 * 700.0 * f * 0.3 * 120.0 / 3.6e9;
        assert!(
            (w.floor_mwh - expect_mwh).abs() < 0.01 * expect_mwh,
            "floor energy {} MWh, expected {expect_mwh}",
            w.floor_mwh
        );
    }
    // With an idle board (70 W) the floor still caps the swing at (1 - f) of TDP.
    let inp = training_window(2.0, 0.0, 70.0, 60.0, 10.0);
    let w = window::build(
        &inp,
        &Shaping {
            power_floor: Some(0.5),
            burn_fill_to: None,
        },
    );
    let b = &w.jobs[0].board_mitigated_w;
    let lo = b.iter().cloned().fold(f64::MAX, f64::min);
    assert!((lo - 350.0).abs() < 1e-9, "floored minimum {lo} W");
}

#[test]
fn storage_of_stated_energy_and_power_keeps_the_ramp_and_its_accounts_close() {
    let dt = 0.05;
    // A 50 MW job start at 60 s and stop at 300 s, with a 10 MW iteration swing at 0.5 Hz.
    let load: Vec<f64> = (0..12_000)
        .map(|k| {
            let t = k as f64 * dt;
            let base = if (60.0..300.0).contains(&t) {
                100.0
            } else {
                50.0
            };
            base + if (t % 2.0) < 1.4 { 5.0 } else { -5.0 }
        })
        .collect();
    let limit = 1.0; // MW/s
    let battery = |energy_mwh: f64| Storage {
        energy_mwh,
        power_mw: 60.0,
        round_trip_efficiency: 0.85,
        soc0: 0.5,
        restore_s: 1800.0,
        control: Control::Ramp { mw_per_s: limit },
    };
    // A 50 MW step at 1 MW/s takes 50^2 / 2 MW s = 0.35 MWh each way: 2 MWh is enough.
    let r = mitigation::apply(&load, dt, &battery(2.0));
    assert_eq!(r.limited_steps, 0);
    let ramp = mitigation::max_step_ramp(&r.grid, dt);
    assert!(ramp <= limit + 1e-9, "grid ramp {ramp} MW/s");
    assert!(mitigation::max_step_ramp(&load, dt) > 100.0);
    assert!(
        r.balance_error_mwh().abs() < 1e-9,
        "{}",
        r.balance_error_mwh()
    );
    assert!(r.energy_in_mwh > 0.0 && r.energy_out_mwh > 0.0 && r.losses_mwh > 0.0);
    // Losses are what the round trip costs: in x (1 - sqrt eta) + out x (1 / sqrt eta - 1).
    let h = 0.85f64.sqrt();
    let expect = r.energy_in_mwh * (1.0 - h) + r.energy_out_mwh * (1.0 / h - 1.0);
    assert!((r.losses_mwh - expect).abs() < 1e-9);
    // Energy conservation at the meter: grid energy = load energy + in - out.
    let e = |x: &[f64]| x.iter().sum::<f64>() * dt / 3600.0;
    assert!((e(&r.grid) - e(&load) - r.energy_in_mwh + r.energy_out_mwh).abs() < 1e-9);
    // Too small a battery cannot: it runs empty, the grid takes the rest, the ramp breaks.
    let small = mitigation::apply(&load, dt, &battery(0.05));
    assert!(small.limited_steps > 0);
    assert!(mitigation::max_step_ramp(&small.grid, dt) > limit);
    assert!(small.balance_error_mwh().abs() < 1e-9);
}

#[test]
fn the_window_mean_equals_the_hourly_engines_for_that_hour() {
    let lib = Library::builtin().unwrap();
    let set = settings("dyn.toml");
    let sc = Scenario::load(set.run.as_ref().unwrap(), &lib).unwrap();
    for trial in 0..2 {
        let (tsc, _) = sc.for_trial(trial).unwrap();
        let r = dcload::sim::run_trial(&tsc, trial);
        let col = |name: &str| tsc.metrics().iter().position(|m| *m == name).unwrap();
        let ncol = tsc.metrics().len();
        for hour in [5usize, 20, 30, 41] {
            let inp = inputs_from_engine(
                &tsc,
                &r,
                trial,
                hour as f64 * 3600.0,
                3600.0,
                0.1,
                set.params.clone(),
            );
            assert!(!inp.jobs.is_empty(), "the fixture trains in hour {hour}");
            let w = window::build(&inp, &Shaping::default());
            let hourly = |name: &str| r.hourly[hour * ncol + col(name)] as f64;
            // Monte Carlo tolerance: 1 % of the hour (checkpoint phase, failures, noise).
            for (got, name) in [
                (window::mean(&w.facility), "facility_mw"),
                (window::mean(&w.it), "it_total_mw"),
                (window::mean(&w.training), "it_training_mw"),
                (window::mean(&w.consumer), "it_consumer_mw"),
            ] {
                let want = hourly(name);
                assert!(
                    (got - want).abs() <= 0.01 * want,
                    "trial {trial} hour {hour}: window {name} {got} MW, hourly {want} MW"
                );
            }
            // Facility = IT + cooling + losses at every step, with PUE >= 1.
            for k in 0..w.len() {
                assert!(w.facility[k] >= w.it[k] && w.it[k] > 0.0);
                assert!((w.facility[k] - w.it[k] - w.cooling[k] - w.losses[k]).abs() < 1e-9);
            }
        }
    }
}

/// The sites of a fleet file with their drop times under the fixture's dips.
fn fleet_outcome(file: &str) -> Vec<ridethrough::TrialOutcome> {
    let set = settings(file);
    let d = disturbance("july2024.toml");
    assert_eq!(d.dips.len(), 6);
    assert!(d.dips.last().unwrap().time_s - d.dips[0].time_s <= 82.0);
    assert!(
        d.dips.iter().all(|x| x.depth <= 0.1),
        "all within the +-10 % band"
    );
    ridethrough::run(set.fleet.as_ref().unwrap(), &d, 42)
}

#[test]
fn a_july_2024_like_sequence_drops_exactly_the_sites_whose_settings_say_so() {
    let out = fleet_outcome("fleet.toml");
    for t in &out {
        let got: Vec<Option<f64>> = t.drop_times.clone();
        // Groups a..g in file order (see tests/fixtures/dynamics/fleet.toml for the reasoning).
        assert_eq!(
            got,
            vec![Some(27.0), None, None, None, Some(82.0), None, Some(63.0)]
        );
        assert_eq!(t.dropped(), 3);
        assert_eq!(t.dropped_mw(), 100.0 + 500.0 + 700.0);
        let at = |s: usize| t.lost_mw[s];
        assert_eq!(at(20), 0.0);
        assert_eq!(at(50), 100.0);
        assert_eq!(at(70), 800.0);
        assert_eq!(at(90), 1300.0);
        // e returns at once after 1800 s; a and g after 3600 s, over a 600 s ramp.
        assert_eq!(at(1900), 800.0);
        assert!((at(3927) - (100.0 * 0.5 + 700.0 * (1.0 - 264.0 / 600.0))).abs() < 1e-9);
        assert_eq!(at(4300), 0.0);
    }
}

#[test]
fn a_fleet_set_to_ride_through_drops_none() {
    let out = fleet_outcome("ridethrough.toml");
    assert_eq!(out.len(), 20);
    for t in &out {
        assert_eq!(t.sites.len(), 50);
        assert!(t.sites.iter().all(|s| s.mw > 0.0));
        assert_eq!(t.dropped(), 0);
        assert!(t.lost_mw.iter().all(|&x| x == 0.0));
    }
    // The same fleet with lock-after-three settings drops sites (the test can fail).
    let mut set = settings("ridethrough.toml");
    let fleet = set.fleet.as_mut().unwrap();
    fleet.groups[0].lock_count = dcload::input::uncertain::Dist::Uniform { min: 3.0, max: 3.0 };
    let out = ridethrough::run(fleet, &disturbance("july2024.toml"), 42);
    assert!(out.iter().all(|t| t.dropped() > 0));
}

#[test]
fn bad_dynamics_input_names_file_line_field_and_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let dynf = fixture("dyn.toml").display().to_string();
    let fleet = fixture("fleet.toml").display().to_string();
    // `dcload ARGS FILE`, FILE holding `text`: the refusal.
    let refused = |args: &[&str], name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        fails(&[args, &[arg(&p)]].concat())
    };
    let spec = ["dynamics", dynf.as_str(), "--spec"];
    // A spec file with a share above 1.
    let e = refused(
        &spec,
        "bad-spec.toml",
        "[spectral]\nband_hz = [0.1, 20.0]\nmax_share = 1.5\n",
    );
    assert_says(&e, &["bad-spec.toml:3", "max_share", "0 to 1"]);
    // A spec field that does not exist.
    let e = refused(
        &spec,
        "typo-spec.toml",
        "[[ramp]]\nwindow_s = 1.0\nup_mw_per_sec = 5.0\n",
    );
    assert_says(&e, &["typo-spec.toml:3", "up_mw_per_sec"]);
    let disturbance = ["dynamics", fleet.as_str(), "--disturbance"];
    // A disturbance dip deeper than the whole voltage.
    let e = refused(
        &disturbance,
        "bad-dist.toml",
        "[[dip]]\ntime_s = 0.0\ndepth = 0.5\nduration_s = 0.1\n[[dip]]\ntime_s = 5.0\ndepth = 1.5\nduration_s = 0.1\n",
    );
    assert_says(&e, &["bad-dist.toml:7", "depth", "at most 1"]);
    // Dips out of order.
    let e = refused(
        &disturbance,
        "order-dist.toml",
        "[[dip]]\ntime_s = 10.0\ndepth = 0.05\nduration_s = 0.1\n[[dip]]\ntime_s = 5.0\ndepth = 0.05\nduration_s = 0.1\n",
    );
    assert_says(&e, &["order-dist.toml:6", "time_s"]);
    // A bad value in the dynamics file itself.
    let campus = format!("run = {:?}", fixture("campus.toml").display().to_string());
    let e = refused(
        &["dynamics"],
        "bad-dyn.toml",
        &format!("{campus}\n[training]\niteration_s = 2.0\ncompute_share = 1.4\n"),
    );
    assert_says(&e, &["bad-dyn.toml:4", "compute_share", "at most 1"]);
    // A name that would write outside out/ (as a run file's name would): refused, nothing
    // written beside the temporary folder.
    for bad in ["../../escaped", "/tmp/abs-dyn", "a/b"] {
        let e = refused(
            &["dynamics"],
            "bad-name.toml",
            &format!("name = {bad:?}\n{campus}\n"),
        );
        assert_says(&e, &["bad-name.toml", "name", "plain folder name"]);
    }
    assert!(!dir.path().join("escaped").exists());
    // A name with a control character (an escape sequence would reach the terminal in every
    // "wrote out/<name>/..." line): refused, and echoed escaped (found by scripts/fuzz.sh).
    let e = refused(
        &["dynamics"],
        "esc-name.toml",
        &format!("name = \"\\u001b[31mred\"\n{campus}\n"),
    );
    assert_says(&e, &["esc-name.toml", "name", "control characters"]);
    assert!(!e.contains('\u{1b}'), "{e:?}");
    // A negative site size in the fleet.
    let july = format!(
        "disturbance = {:?}",
        fixture("july2024.toml").display().to_string()
    );
    let negative = std::fs::read_to_string(fixture("fleet.toml"))
        .unwrap()
        .replace("run = \"campus.toml\"", &campus)
        .replace("disturbance = \"july2024.toml\"", &july)
        .replacen("mw = 200", "mw = -200", 1);
    let e = refused(&["dynamics"], "bad-fleet.toml", &negative);
    // At the second group's own line (the first group's `mw =` comes first in the file).
    let at = format!("bad-fleet.toml:{}:", line_of(&negative, "mw = -200"));
    assert_says(&e, &[&at, "fleet.group[1].mw", "0 or more"]);
    // A group name a CSV cell or a terminal would misread, refused at its line as a run
    // file's names are.
    for bad in ["b,c", "say \\\"b\\\"", "=1+1", "esc\\u001b[31m"] {
        let text = negative.replacen("mw = -200", "mw = 200", 1).replace(
            "name = \"b-three-in-ten-seconds\"",
            &format!("name = \"{bad}\""),
        );
        let e = refused(&["dynamics"], "bad-group.toml", &text);
        let at = format!("bad-group.toml:{}:", line_of(&text, "# dips are at least"));
        assert_says(&e, &[&at, "`name`", "CSV"]);
        assert!(
            !e.contains('\u{1b}'),
            "an escape reached the terminal: {e:?}"
        );
    }
    // Flags: a zero step, a window past the study's end, a trial the study does not have.
    let e = fails(&["dynamics", &dynf, "--step-ms", "0"]);
    assert_says(&e, &["--step-ms", "1 to 1000"]);
    let e = fails(&["dynamics", &dynf, "--start-hour", "47.99"]);
    assert_says(&e, &["--start-hour", "inside the study"]);
    let e = fails(&["dynamics", &dynf, "--trial", "5"]);
    assert_says(&e, &["--trial", "0 to 1"]);
    // A spectral band the step cannot see (Nyquist of 250 ms: 2 Hz).
    let e = refused(
        &["dynamics", &dynf, "--step-ms", "250", "--spec"],
        "fast-spec.toml",
        "[spectral]\nband_hz = [2.0, 20.0]\nmax_share = 0.2\n",
    );
    assert_says(&e, &["fast-spec.toml", "Nyquist"]);
}

#[test]
fn dynamics_command_writes_its_folder_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for run in ["a", "b"] {
        let out = dir.path().join(run);
        let (fleet, spec) = (fixture("fleet.toml"), fixture("spec.toml"));
        run_ok(&[
            "dynamics",
            arg(&fleet),
            "--spec",
            arg(&spec),
            "--out",
            arg(&out),
        ]);
        for f in [
            "waveform.csv",
            "spectrum.csv",
            "compliance.csv",
            "compliance.json",
            "ridethrough.csv",
            "ridethrough_trials.csv",
            "plots/waveform.svg",
            "plots/spectrum.svg",
            "plots/ridethrough.svg",
        ] {
            assert!(out.join(f).is_file(), "{run}: no {f}");
        }
        files.push(out);
    }
    for f in [
        "waveform.csv",
        "spectrum.csv",
        "compliance.csv",
        "ridethrough.csv",
    ] {
        assert_eq!(
            std::fs::read(files[0].join(f)).unwrap(),
            std::fs::read(files[1].join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    let (h, rows) = read_csv(&files[0].join("waveform.csv"));
    assert_eq!(rows.len(), 2400);
    assert_eq!(h[0], "t_s");
    let (_, rows) = read_csv(&files[0].join("compliance.csv"));
    // Three ramp/deviation/spectral checks, unmitigated and mitigated.
    assert_eq!(rows.len(), 8);
    let (_, rows) = read_csv(&files[0].join("ridethrough.csv"));
    assert_eq!(rows.len(), 7201);
}

/// A specification's limit may be any number; the console table and compliance.csv print it
/// compactly (1e308 printed its 309 digits and six decimals: 316 characters).
#[test]
fn a_huge_spec_limit_is_printed_compactly() {
    let dir = tempfile::tempdir().unwrap();
    let spec = std::fs::read_to_string(fixture("spec.toml"))
        .unwrap()
        .replace("band_mw = 10.0", "band_mw = 1e308");
    let spec_path = dir.path().join("huge-spec.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("o");
    let dynf = fixture("dyn.toml");
    let res = run_ok(&[
        "dynamics",
        arg(&dynf),
        "--spec",
        arg(&spec_path),
        "--out",
        arg(&out),
    ]);
    let console = String::from_utf8_lossy(&res.stdout).into_owned();
    let csv = std::fs::read_to_string(out.join("compliance.csv")).unwrap();
    for text in [&console, &csv] {
        assert!(text.contains("1e308"), "{text}");
        assert!(text.lines().all(|l| l.len() < 200), "{text}");
    }
}
