//! Redundancy policies: what "inefficient on purpose" costs in energy.

use crate::common::*;

fn mission(pool_racks: u32, redundancy: &str) -> String {
    format!(
        r#"
horizon_hours = 720
step_s = 300
seed = 7
trials = 2
[site]
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
    let lib = dcload::model::library::Library::builtin().unwrap();
    let text = mission(25, r#"{ policy = "active-active", copies = 2 }"#);
    let err = dcload::scenario::Scenario::from_source(
        &dcload::base::error::Source::new("m.toml", text),
        "m",
        std::path::Path::new("."),
        &lib,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("m.toml:") && err.contains("accelerators") && err.contains("1600"),
        "{err}"
    );
}
