//! A long window at a fine step (issue 24 item 7): the window kept lean and waveform.csv
//! written as it is computed give the full window's values to the bit; plots are decimated,
//! titled, and drawn as PNG beside SVG; the step limit is what memory allows.

use dcload::base::error::Source;
use dcload::dynamics::window::{self, Shaping, Stepper};
use dcload::dynamics::{Settings, inputs_from_engine};
use dcload::model::library::Library;
use dcload::scenario::Scenario;

use crate::common::{arg, assert_says, fails, read_csv, run_ok};
use crate::dynamics::fixture;

fn engine_inputs() -> window::Inputs {
    let p = fixture("dyn.toml");
    let text = std::fs::read_to_string(&p).unwrap();
    let set = Settings::parse(
        &Source::new(p.display().to_string(), text),
        p.parent().unwrap(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sc = Scenario::load(set.run.as_ref().unwrap(), &Library::builtin().unwrap()).unwrap();
    let (tsc, _) = sc.for_trial(0).unwrap();
    let r = dcload::sim::run_trial(&tsc, 0);
    // Across an hour boundary, with jobs, checkpoints and failures.
    inputs_from_engine(&tsc, &r, 0, 20.5 * 3600.0, 3600.0, 0.1, set.params.clone())
}

#[test]
fn the_lean_window_and_a_second_pass_give_the_full_windows_values_to_the_bit() {
    let inp = engine_inputs();
    assert!(!inp.jobs.is_empty());
    let shaping = Shaping {
        power_floor: Some(0.5),
        burn_fill_to: Some(0.8),
    };
    let full = window::build(&inp, &shaping);
    let lean = window::build_lean(&inp, &shaping);
    assert_eq!(full.facility, lean.facility);
    assert_eq!(full.facility_shaped, lean.facility_shaped);
    assert!(lean.it.is_empty() && lean.training.is_empty() && lean.jobs.is_empty());
    let n = full.len() as f64;
    assert_eq!(lean.totals.it / n, window::mean(&full.it));
    assert_eq!(lean.totals.training / n, window::mean(&full.training));
    assert_eq!(lean.totals.facility / n, window::mean(&full.facility));
    assert_eq!(lean.floor_mwh, full.floor_mwh);
    assert_eq!(lean.burn_mwh, full.burn_mwh);
    let held: Vec<usize> = full
        .jobs
        .iter()
        .map(|j| j.board_w.iter().filter(|b| !b.is_nan()).count())
        .collect();
    assert_eq!(lean.totals.held_steps, held);
    // A second pass, as waveform.csv is written: every series equal to the bit.
    for (k, s) in Stepper::new(&inp, &shaping).enumerate() {
        assert_eq!(
            [
                s.training, s.consumer, s.idle, s.it, s.cooling, s.losses, s.facility
            ],
            [
                full.training[k],
                full.consumer[k],
                full.idle[k],
                full.it[k],
                full.cooling[k],
                full.losses[k],
                full.facility[k]
            ],
            "step {k}"
        );
    }
}

#[test]
fn a_long_window_draws_decimated_titled_plots_as_svg_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let fleet = fixture("fleet.toml");
    // 1,000 s at 5 ms: 200,000 steps, every one in waveform.csv.
    run_ok(&[
        "dynamics",
        arg(&fleet),
        "--duration-s",
        "1000",
        "--step-ms",
        "5",
        "--battery-mw",
        "5",
        "--out",
        arg(&out),
    ]);
    let (_, rows) = read_csv(&out.join("waveform.csv"));
    assert_eq!(rows.len(), 200_000);
    assert!(!out.join("waveform.csv.partial").exists());
    let svg = std::fs::read_to_string(out.join("plots/waveform.svg")).unwrap();
    // Two series of 200,000 points drew 5.6 MB; decimated to two points per pixel column.
    assert!(svg.len() < 400_000, "waveform.svg is {} bytes", svg.len());
    assert_says(
        &svg,
        &[
            "fleet-fixture (trial 0 of",
            "+ 1000 s at 5 ms",
            "mitigation: battery 5 MW / 1 MWh",
        ],
    );
    let spectrum = std::fs::read_to_string(out.join("plots/spectrum.svg")).unwrap();
    assert!(
        spectrum.len() < 400_000,
        "spectrum.svg is {} bytes",
        spectrum.len()
    );
    assert_says(&spectrum, &["+ 1000 s at 5 ms"]);
    if cfg!(feature = "png") {
        for p in ["waveform", "spectrum", "ridethrough"] {
            let png = std::fs::read(out.join(format!("plots/{p}.png"))).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{p}.png is not a PNG");
        }
    }
}

#[test]
fn a_window_beyond_the_step_limit_is_refused_naming_the_limit() {
    let fleet = fixture("fleet.toml");
    // A day at 1 ms: 86.4 M steps, above the 2e7 the checks' series allow.
    let err = fails(&[
        "dynamics",
        arg(&fleet),
        "--duration-s",
        "86400",
        "--step-ms",
        "1",
        "--no-plots",
    ]);
    assert_says(
        &err,
        &["--duration-s", "at most 2e7 steps", "86400 s / 1 ms"],
    );
}
