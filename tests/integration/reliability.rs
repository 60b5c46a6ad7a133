//! Server failures: the Llama 3 calibration, and what redundancy buys a defense mission.

use crate::common::*;

/// Meta, "The Llama 3 Herd of Models" (Dubey et al. 2024): 419 unexpected interruptions in 54
/// days of pre-training on 16,384 H100 GPUs, about one every 3.1 hours. With the default failure
/// rate a 16,384-GPU job must see one interruption every 3.1 h on average (Monte Carlo
/// tolerance: 4 trials of 54 days give ~1,700 interruptions, sd ~2.4 %; we allow 8 %).
#[test]
fn llama3_interruption_interval() {
    let sc = scenario(
        r#"
horizon_hours = 1296
step_s = 60
trials = 4
[site]
[[site.group]]
name = "cluster"
server = "DGX-H100"
count = 2048
[[training]]
name = "llama3"
pool = "cluster"
accelerators = 16384
duration_days = 1000
continuous = true
checkpoint_interval_min = 60
checkpoint_duration_min = 2
[facility]
kind = "fixed"
pue = 1.1
[failures]
repair_hours = 24
"#,
    );
    let r = trials(&sc);
    let n: u64 = r.iter().map(|t| t.summary.training_interruptions).sum();
    let interval_h = sc.horizon_hours as f64 * r.len() as f64 / n as f64;
    let paper = 54.0 * 24.0 / 419.0;
    assert!(
        (interval_h / paper - 1.0).abs() < 0.08,
        "one interruption every {interval_h:.2} h, paper {paper:.2} h"
    );
    for t in &r {
        // Lost progress: on average half a checkpoint interval of the whole job per interruption.
        let per = t.summary.training_lost_acc_h / t.summary.training_interruptions as f64;
        assert!(
            per > 0.2 * 16384.0 && per < 0.8 * 16384.0,
            "lost {per} acc-h per interruption"
        );
    }
}

#[test]
fn redundancy_orders_mission_availability() {
    // Three copies of the same mission (8 servers' worth of work), each on its own enclave sized
    // for its policy, under a high failure rate so that failures matter.
    let sc = scenario(&format!(
        "{ENCLAVES}[failures]\nrate_per_acc_hour = 0.001\nrepair_hours = 24\n"
    ));
    let r = trials(&sc);
    let mean = |i: usize| {
        r.iter()
            .map(|t| t.summary.mission_availability[i])
            .sum::<f64>()
            / r.len() as f64
    };
    let (n, n1, two) = (mean(0), mean(1), mean(2));
    assert!(
        two >= n1 && n1 >= n,
        "availability 2N {two:.4} >= N+1 {n1:.4} >= N {n:.4}"
    );
    assert!(
        n < 0.9 && two > 0.99,
        "the failure rate must matter: N {n:.4}, 2N {two:.4}"
    );
    // Failed servers draw no power: the plain enclave uses less energy than with no failures.
    let no_fail = scenario(ENCLAVES);
    let e_fail = r[0].summary.sector_mwh[3];
    let e_ok = trials(&no_fail)[0].summary.sector_mwh[3];
    assert!(
        e_fail < e_ok,
        "failed servers must not draw power: {e_fail} vs {e_ok}"
    );
}

/// Three copies of one mission (8 servers' worth of work) on enclaves sized for N, N+1
/// (n = 4, m = 1) and 2N.
const ENCLAVES: &str = r#"
horizon_hours = 2000
step_s = 300
trials = 3
[site]
[[site.group]]
name = "n"
server = "DGX-H100"
count = 8
[[site.group]]
name = "n1"
server = "DGX-H100"
count = 10
[[site.group]]
name = "twon"
server = "DGX-H100"
count = 16
[[defense]]
name = "plain"
pool = "n"
accelerators = 64
utilisation = 0.7
[[defense]]
name = "n-plus-1"
pool = "n1"
accelerators = 64
utilisation = 0.7
redundancy = { policy = "n+m", n = 4, m = 1 }
[[defense]]
name = "two-n"
pool = "twon"
accelerators = 64
utilisation = 0.7
redundancy = { policy = "active-active", copies = 2 }
[facility]
kind = "fixed"
pue = 1.2
"#;

#[test]
fn failed_servers_draw_no_power_with_the_physical_facility_too() {
    let base = std::fs::read_to_string(repo("runs/default.toml"))
        .unwrap()
        .replace("trials = 20", "trials = 1")
        .replace("horizon_hours = 8760", "horizon_hours = 240")
        .replace("step_s = 60 ", "step_s = 300 ");
    let with = format!("{base}\n[failures]\nrate_per_acc_hour = 0.002\nrepair_hours = 48\n");
    let (a, b) = (trials(&scenario(&with)), trials(&scenario(&base)));
    // The defense enclave runs at a fixed tempo: with a fifth of its servers down on average it
    // must draw clearly less.
    assert!(
        a[0].summary.sector_mwh[3] < 0.95 * b[0].summary.sector_mwh[3],
        "{} vs {}",
        a[0].summary.sector_mwh[3],
        b[0].summary.sector_mwh[3]
    );
}
