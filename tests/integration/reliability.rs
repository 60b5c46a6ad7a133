//! Failures and redundancy: servers that fail draw no power and cost a mission its
//! availability (N, N+1, 2N); redundancy policies cost energy on purpose (2N draws twice, hot
//! standby between).

use crate::common::*;

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
    let base = edit(&default_short(240, 300), &[("trials = 20", "trials = 1")]);
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

fn mission(pool_racks: u32, redundancy: &str) -> String {
    format!(
        r#"
horizon_hours = 720
step_s = 300
seed = 7
trials = 2
[[site.group]]
name = "enclave"
rack = "dgx-h100-x4"
count = {pool_racks}
[[defense]]
name = "fusion"
pool = "enclave"
accelerators = 800        # one copy: 25 racks x 4 servers x 8 H100
utilisation = 0.7
jitter_sd = 0.1
redundancy = {redundancy}
random_surges = {{ per_year = 20, hours = 24, multiplier = 1.3 }}
[facility]
kind = "fixed"
pue = 1.2
"#
    )
}

fn defense_it_mwh(text: &str) -> Vec<f64> {
    let sc = scenario(text);
    trials(&sc)
        .iter()
        .map(|t| t.summary.sector_mwh[3])
        .collect()
}

#[test]
fn two_n_active_active_draws_twice_and_hot_standby_sits_between() {
    // The enclave holds exactly what each policy reserves.
    let none = defense_it_mwh(&mission(25, r#"{ policy = "none" }"#));
    let aa = defense_it_mwh(&mission(50, r#"{ policy = "active-active", copies = 2 }"#));
    let hs = defense_it_mwh(&mission(50, r#"{ policy = "hot-standby", standby = 1 }"#));
    for t in 0..none.len() {
        assert!(
            (aa[t] / none[t] - 2.0).abs() < 1e-9,
            "2N/N = {}",
            aa[t] / none[t]
        );
        assert!(
            hs[t] > none[t] && hs[t] < aa[t],
            "none {} hs {} aa {}",
            none[t],
            hs[t],
            aa[t]
        );
    }
    // Same seed, different trials: the noise differs between trials.
    assert_ne!(none[0], none[1]);
}

#[test]
fn an_enclave_too_small_for_its_redundancy_is_refused() {
    let text = mission(25, r#"{ policy = "active-active", copies = 2 }"#);
    let err = resolve_err("m.toml", &text);
    assert_says(&err, &["m.toml:", "accelerators", "1600"]);
}
