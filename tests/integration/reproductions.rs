//! Published figures reproduced, each test named for its paper: run files shipped in `runs/`
//! and the failure rate calibrated on Llama 3's pre-training.

use dcload::model::library::Library;
use dcload::scenario::Scenario;

use crate::common::*;

fn load(rel: &str) -> Scenario {
    let lib = Library::builtin().unwrap();
    Scenario::load(&repo(rel), &lib).unwrap_or_else(|e| panic!("{e}"))
}

/// de Vries, "The growing energy footprint of artificial intelligence", Joule 7(10), 2023:
/// 1.5 million NVIDIA servers (2027 shipments) at full load draw 85.4 TWh a year as DGX A100
/// (6.5 kW) and 134.0 TWh as DGX H100 (10.2 kW). Tolerance 0.1 TWh.
#[test]
fn de_vries_2023_fleet_upper_bound() {
    for (file, twh) in [
        ("runs/devries-2023-a100.toml", 85.4),
        ("runs/devries-2023-h100.toml", 134.0),
    ] {
        let sc = load(file);
        let r = trials(&sc);
        for t in &r {
            let got = t.summary.energy_mwh / 1e6;
            assert!(
                (got - twh).abs() <= 0.1,
                "{file}: {got:.3} TWh, paper {twh} TWh"
            );
        }
    }
}

/// de Vries (Joule 2023), after SemiAnalysis: ChatGPT's 195 million requests a day on 3,617
/// DGX A100-class servers at 6.5 kW need ~564 MWh a day, ~2.9 Wh per request. Tolerance 1 %.
#[test]
fn de_vries_2023_chatgpt_daily_energy_and_wh_per_request() {
    let sc = load("runs/devries-2023-chatgpt.toml");
    let days = sc.horizon_hours as f64 / 24.0;
    for t in trials(&sc) {
        let s = &t.summary;
        let mwh_per_day = s.energy_mwh / days;
        let wh_per_request = s.energy_mwh * 1e6 / s.requests_served;
        assert!(
            (mwh_per_day / 564.0 - 1.0).abs() < 0.01,
            "{mwh_per_day:.1} MWh/day, paper 564"
        );
        assert!(
            (wh_per_request / 2.9 - 1.0).abs() < 0.01,
            "{wh_per_request:.3} Wh/request, paper 2.9"
        );
        // The fleet serves (nearly) all requests: within 1 % of 195 million a day.
        let served_per_day = s.requests_served / days;
        assert!(
            (served_per_day / 195.0e6 - 1.0).abs() < 0.01,
            "{served_per_day:.4e} served/day"
        );
    }
}

/// Patterson et al., "Carbon Emissions and Large Neural Network Training" (arXiv 2104.10350,
/// 2021), Table 4: GPT-3 on 10,000 V100 for 14.8 days at 330 W per GPU (host share included) and
/// PUE 1.10 used 1,287 MWh. Stated as published (`watts_per_accelerator`), the job's IT energy is
/// exactly chips x W x hours and the facility's within 0.5 % of the paper (its own rounding).
#[test]
fn patterson_2021_gpt3_training_energy() {
    let sc = load("runs/patterson-2021-gpt3.toml");
    let s = &trials(&sc)[0].summary;
    assert_eq!(s.jobs.len(), 1);
    let j = &s.jobs[0];
    assert!(j.completed, "the job ends exactly at the 355.2 h horizon");
    let it = 10_000.0 * 330.0 * 14.8 * 24.0 / 1e6;
    assert!((j.energy_j / 3.6e9 / it - 1.0).abs() < 1e-9);
    assert!(
        s.idle_unallocated_mwh.abs() < 1e-6,
        "the job holds the whole pool"
    );
    assert!(
        (s.energy_mwh / 1287.0 - 1.0).abs() < 0.005,
        "{:.1} MWh, paper 1,287",
        s.energy_mwh
    );
}

/// Meta, "The Llama 3 Herd of Models" (Dubey et al. 2024): 419 unexpected interruptions in 54
/// days of pre-training on 16,384 H100 GPUs, about one every 3.1 hours. With the default failure
/// rate a 16,384-GPU job must see one interruption every 3.1 h on average (Monte Carlo
/// tolerance: 4 trials of 54 days give ~1,700 interruptions, sd ~2.4 %; we allow 8 %).
#[test]
fn dubey_2024_llama3_interruption_interval() {
    let sc = scenario(
        r#"
horizon_hours = 1296
step_s = 60
trials = 4
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
