//! Artefacts of the fast window removed (issue 24 item 5): hourly means interpolated so the
//! hour boundaries do not step, checkpoints at the job's schedule in the calibration, and the
//! host's power kept apart from the accelerators' under a power floor.

use dcload::dynamics::profile::Profile;
use dcload::dynamics::window::{self, Hour, Shaping};

use crate::dynamics::training_window;

/// Mean of `x` over steps [a, b).
fn mean(x: &[f64], a: usize, b: usize) -> f64 {
    x[a..b].iter().sum::<f64>() / (b - a) as f64
}

/// Largest one-step change of `x` other than at step `skip`.
fn largest_step_but(x: &[f64], skip: usize) -> f64 {
    (1..x.len())
        .filter(|&k| k != skip)
        .map(|k| (x[k] - x[k - 1]).abs())
        .fold(0.0, f64::max)
}

#[test]
fn hour_boundaries_do_not_step_and_each_hour_keeps_the_engines_mean() {
    // Two hours of inference, twins and idle with no noise, the second 1.27 MW higher in IT
    // and with a higher cooling ratio: the staircase stepped 1.27 MW of IT at the boundary.
    let hour = |start_s: f64, consumer: f64, cooling: f64| Hour {
        start_s,
        consumer_mw: consumer,
        industrial_mw: 5.0,
        idle_mw: 2.0,
        it_mw: consumer + 7.0,
        cooling_mw: Some(cooling),
        losses_mw: Some(1.0),
        facility_mw: consumer + 8.0 + cooling,
        ..Hour::default()
    };
    let mut inp = training_window(2.0, 0.3, 70.0, 7200.0, 0.0);
    inp.jobs.clear();
    inp.step_s = 0.5;
    inp.params.cooling_tau_s = 1.0;
    inp.hours = vec![hour(0.0, 20.0, 4.0), hour(3600.0, 21.27, 4.48)];
    inp.before = Some(hour(-3600.0, 20.0, 4.0));
    inp.after = Some(hour(7200.0, 21.27, 4.48));
    let w = window::build(&inp, &Shaping::default());
    let k = (3600.0 / inp.step_s) as usize;
    let step = (w.it[k] - w.it[k - 1]).abs();
    let elsewhere = largest_step_but(&w.it, k);
    assert!(
        step <= 1e-3 && step <= 2.0 * elsewhere + 1e-9,
        "IT steps {step} MW at the hour boundary (largest step elsewhere {elsewhere} MW)"
    );
    let cstep = (w.cooling[k] - w.cooling[k - 1]).abs();
    assert!(cstep <= 1e-3, "cooling steps {cstep} MW at the boundary");
    for (h, (a, b)) in [(0, (0, k)), (1, (k, 2 * k))] {
        let want = inp.hours[h].consumer_mw;
        let got = mean(&w.consumer, a, b);
        assert!(
            (got - want).abs() < 1e-3 * want,
            "hour {h}: consumer mean {got} MW, the engine's {want} MW"
        );
        let want_it = inp.hours[h].it_mw;
        let got_it = mean(&w.it, a, b);
        assert!(
            (got_it - want_it).abs() < 1e-3 * want_it,
            "hour {h}: IT {got_it}"
        );
    }
    // The profile itself: exact hour means, continuous at the boundary.
    let p = Profile::new(&[20.0, 21.27], Some(20.0), Some(21.27));
    assert!((p.at(0, 1.0) - p.at(1, 0.0)).abs() < 1e-12);
}

#[test]
fn a_whole_hour_window_at_a_jobs_start_has_the_engines_training_mean() {
    // The job starts 10 minutes into the hour and checkpoints every hour for 15 minutes at a
    // tenth of its utilisation: its first checkpoint falls after this hour. A statistical duty
    // (a quarter of the time checkpointing) put the window's training mean several % high.
    let mut inp = training_window(2.0, 0.3, 70.0, 3600.0, 0.0);
    let j = &mut inp.jobs[0];
    j.start_s = 600.0;
    j.checkpoint_interval_s = 3600.0;
    j.checkpoint_duration_s = 900.0;
    j.checkpoint_utilisation = 0.1;
    inp.step_s = 0.1;
    // The engine's hour: 50 minutes of the job at utilisation 0.6 on average.
    let train = 10_000.0 * (300.0 + 1000.0 * 0.6) / 1e6 * (3000.0 / 3600.0);
    inp.hours[0].training_mw = train;
    inp.hours[0].idle_mw = 10_000.0 * 300.0 / 1e6 * (600.0 / 3600.0);
    inp.hours[0].it_mw = train + inp.hours[0].idle_mw;
    let w = window::build(&inp, &Shaping::default());
    let got = window::mean(&w.training);
    assert!(
        (got - train).abs() < 0.002 * train,
        "window training mean {got} MW, the engine's {train} MW ({:+.2} %)",
        100.0 * (got / train - 1.0)
    );
    // An hour with the job's first checkpoint in it (10 to 25 minutes) keeps its mean too.
    let mut inp2 = inp.clone();
    inp2.jobs[0].start_s = -3000.0;
    inp2.hours[0].training_mw = 10_000.0 * (300.0 + 1000.0 * 0.5) / 1e6;
    inp2.hours[0].idle_mw = 0.0;
    let w2 = window::build(&inp2, &Shaping::default());
    let (got2, want2) = (window::mean(&w2.training), inp2.hours[0].training_mw);
    assert!(
        (got2 - want2).abs() < 0.002 * want2,
        "with a checkpoint: {got2} MW, the engine's {want2} MW"
    );
}

#[test]
fn a_power_floor_raises_the_accelerators_not_the_hosts() {
    // 300 W idle and 1,000 W dynamic per accelerator, of which the board's 0-700 W range is
    // 700 W and the host's 300 W. Communication at zero: the floor at f lifts each
    // communicating accelerator by f x 700 W; the host stays at its communication-phase draw.
    let inp = training_window(2.0, 0.0, 0.0, 120.0, 10_000.0 * (300.0 + 700.0) / 1e6);
    for f in [0.3, 0.6] {
        let w = window::build(
            &inp,
            &Shaping {
                power_floor: Some(f),
                burn_fill_to: None,
            },
        );
        let b = &w.jobs[0].board_w;
        // A step wholly in the communication phase (board at its idle, 0 W).
        let k = (0..b.len()).find(|&k| b[k] == 0.0 && k > 400).unwrap();
        let gain_mw = w.training_shaped[k] - w.training[k];
        let want = 10_000.0 * f * 700.0 / 1e6;
        assert!(
            (gain_mw - want).abs() < 1e-9,
            "f = {f}: the floor adds {gain_mw} MW, expected {want} MW (board only, host not floored)"
        );
        let expect_mwh = 10_000.0 * 700.0 * f * 0.3 * 120.0 / 3.6e9;
        assert!(
            (w.floor_mwh - expect_mwh).abs() < 0.01 * expect_mwh,
            "floor energy {} MWh, expected {expect_mwh}",
            w.floor_mwh
        );
    }
}
