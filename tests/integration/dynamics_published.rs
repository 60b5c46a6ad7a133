//! The training swing against published figures (issue 24, item 1).
//!
//! No public *measured* sub-second training power trace could be shipped or read here (see
//! docs/methods/dynamics.md, "Validation"): the one H100/B200 node dataset at 20 ms (Elsayed,
//! Al-Obaidi and Farag, York University, 2025) is CC BY-NC-ND 4.0 and its CSVs are not in the
//! public snapshot; other traces found carry no licence. So this case checks the window against
//! the figures the measurement papers *state*, not against a trace:
//! - Latif et al., "Single-Node Power Demand During AI Training: Measurements on an 8-GPU NVIDIA
//!   H100 System", IEEE Access 13 (2025) 61740-61747 (arXiv 2412.08602): the largest power an
//!   8x H100 HGX node drew while training ResNet and Llama2-13b was about 8.4 kW, 18 % below the
//!   10.2 kW rating, with the GPUs near full utilisation.
//! - Newkirk et al., arXiv 2506.14551 (same Brookhaven node): computationally intensive training
//!   runs at 76 % of the 10.2 kW rating.
//! - Choukse et al., arXiv 2508.14318 (Microsoft, OpenAI, NVIDIA): communication phases near idle,
//!   compute near TDP, swings mostly at 0.2-3 Hz.

use dcload::dynamics::swing::BoardPower;
use dcload::dynamics::{spectrum, window};

use crate::dynamics::training_window;

/// DGX-H100 in models/servers.toml: host 1,400-4,600 W, 8 boards 75-700 W (10.2 kW at full use).
const NODES: f64 = 1000.0;
const NODE_IDLE_KW: f64 = 1.4 + 8.0 * 0.075;
const NODE_MAX_KW: f64 = 10.2;
/// Latif et al. 2025: measured maximum in training.
const MEASURED_PEAK_KW: f64 = 8.4;
/// Newkirk et al. 2025: intensive training at 76 % of the rating.
const STATED_MEAN_KW: f64 = 0.76 * NODE_MAX_KW;

/// 1,000 DGX-H100 nodes training at `mean_kw` per node: compute at `compute` per board,
/// communication at the board's idle (arXiv 2508.14318: "near idle").
fn nodes(compute: BoardPower, mean_kw: f64) -> window::Waveform {
    let mut inp = training_window(2.0, 0.0, 75.0, 600.0, NODES * mean_kw / 1000.0);
    let j = &mut inp.jobs[0];
    j.accelerators = 8.0 * NODES;
    j.idle_w = NODE_IDLE_KW * 1000.0 / 8.0;
    j.busy_w = (NODE_MAX_KW - NODE_IDLE_KW) * 1000.0 / 8.0;
    j.swing.compute = compute;
    j.swing.communication = BoardPower::Watts(75.0);
    window::build(&inp, &Default::default())
}

fn per_node_kw(mw: f64) -> f64 {
    mw * 1000.0 / NODES
}

#[test]
fn an_h100_node_window_meets_the_published_peak_mean_and_band() {
    // The one fitted number: the board's compute level that puts the node at the measured 8.4 kW
    // (a linear node between 2.0 and 10.2 kW: utilisation 0.780, 563 W per board).
    let u = (MEASURED_PEAK_KW - NODE_IDLE_KW) / (NODE_MAX_KW - NODE_IDLE_KW);
    let compute_w = 75.0 + u * (700.0 - 75.0);
    let w = nodes(BoardPower::Watts(compute_w), STATED_MEAN_KW);
    assert!(w.warnings.is_empty(), "{:?}", w.warnings);
    let hi = per_node_kw(w.training.iter().cloned().fold(f64::MIN, f64::max));
    let lo = per_node_kw(w.training.iter().cloned().fold(f64::MAX, f64::min));
    let mean = per_node_kw(window::mean(&w.training));
    // The other published figures, not fitted: the stated mean (76 % of the rating) is reached
    // with a duty from 0 to 1 under that peak and an idle trough, and the node swings between
    // the trough and the measured peak.
    assert!(
        (hi - MEASURED_PEAK_KW).abs() <= 0.02 * MEASURED_PEAK_KW,
        "peak {hi} kW per node; Latif et al. measured {MEASURED_PEAK_KW} kW"
    );
    assert!(
        (mean - STATED_MEAN_KW).abs() <= 0.01 * STATED_MEAN_KW,
        "mean {mean} kW per node; Newkirk et al. state {STATED_MEAN_KW} kW"
    );
    assert!(
        (lo - NODE_IDLE_KW).abs() <= 0.02 * NODE_IDLE_KW,
        "trough {lo}"
    );
    let duty = w.calibration[0].duty[0];
    assert!(duty > 0.5 && duty < 1.0, "duty {duty}");
    // arXiv 2508.14318: the swing's energy sits at 0.2-3 Hz.
    let s = spectrum::psd(&w.training, w.step_s);
    let k = s.peak_in(0.05, 10.0).unwrap();
    assert!(
        (0.2..=3.0).contains(&s.freq_hz[k]),
        "peak {} Hz",
        s.freq_hz[k]
    );
    assert!(s.band_share(0.2, 3.0) > 0.5, "{}", s.band_share(0.2, 3.0));
}

#[test]
fn compute_at_tdp_overstates_the_measured_h100_node_peak_by_a_fifth() {
    // The dynamics file's default (compute at TDP) on the same node peaks at the 10.2 kW rating:
    // 21 % above what Latif et al. measured in real training. Stating compute_w from a
    // measurement, as above, is what makes the swing the measured one.
    let w = nodes(BoardPower::TdpShare(1.0), STATED_MEAN_KW);
    let hi = per_node_kw(w.training.iter().cloned().fold(f64::MIN, f64::max));
    assert!((hi - NODE_MAX_KW).abs() < 0.02 * NODE_MAX_KW, "{hi}");
    let over = hi / MEASURED_PEAK_KW - 1.0;
    assert!((over - 0.214).abs() < 0.02, "{over}");
}
