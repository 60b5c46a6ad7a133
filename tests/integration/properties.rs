//! Physics invariants over random studies (proptest): no negative power, IT power never above
//! the installed peak, facility power never below IT power, sectors adding up to IT.

use proptest::prelude::*;

use dcload::engine::{M_FACILITY, M_FACILITY_PEAK, M_IT_TOTAL, METRICS};

use crate::common::*;

#[allow(clippy::too_many_arguments)]
fn study(
    racks: u32,
    chat_per_day: f64,
    twin_util: f64,
    job_frac: f64,
    defense_util: f64,
    pue: f64,
    step_s: u64,
    seed: u64,
) -> String {
    format!(
        r#"
horizon_hours = 72
step_s = {step_s}
seed = {seed}
trials = 1
[site]
[[site.group]]
name = "inf"
rack = "dgx-h100-x4"
count = {racks}
[[site.group]]
name = "legacy"
rack = "dgx-h100-x1-legacy"
count = {racks}
pool = "inf"
[[site.group]]
name = "tw"
rack = "ovx-l40s-x8"
count = {racks}
[[site.group]]
name = "tr"
rack = "dgx-h100-x8-liquid"
count = {racks}
[[site.group]]
name = "enc"
rack = "dgx-h100-x4"
count = {racks}
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = {chat_per_day}
[[consumer]]
name = "video"
preset = "video"
pool = "inf"
requests_per_day = {video}
[[twin]]
name = "t"
pool = "tw"
base_utilisation = {twin_util}
jitter_sd = 0.3
random_campaigns = {{ per_year = 50, days = 1, extra_utilisation = 0.5 }}
[[training]]
name = "j"
pool = "tr"
accelerators = {job_acc}
duration_days = 0.5
duration_cv = 0.5
jobs_per_year = 700
checkpoint_interval_min = 30
checkpoint_duration_min = 5
[[defense]]
name = "d"
pool = "enc"
accelerators = {def_acc}
utilisation = {defense_util}
jitter_sd = 0.5
redundancy = {{ policy = "active-active", copies = 2 }}
random_surges = {{ per_year = 100, hours = 6, multiplier = 3.0 }}
[facility]
kind = "fixed"
pue = {pue}
"#,
        video = chat_per_day / 1000.0,
        job_acc = ((f64::from(racks) * 64.0 * job_frac).floor()).max(1.0),
        def_acc = f64::from(racks) * 16.0,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn power_is_physical(
        racks in 1u32..40,
        chat in 0.0f64..5.0e8,
        twin_util in 0.0f64..=1.0,
        job_frac in 0.05f64..=1.0,
        defense_util in 0.0f64..=1.0,
        pue in 1.0f64..2.5,
        step_s in prop::sample::select(vec![60u64, 300, 900, 3600]),
        seed in any::<u64>(),
    ) {
        let sc = scenario(&study(racks, chat, twin_util, job_frac, defense_util, pue, step_s, seed));
        let peak_mw = sc.fleet.peak_w() / 1e6;
        let idle_mw: f64 = sc.fleet.groups.iter().map(|g| g.power_w(0.0)).sum::<f64>() / 1e6;
        let r = run_trial_0(&sc);
        let nm = METRICS.len();
        for h in 0..sc.horizon_hours as usize {
            let row = &r[h * nm..(h + 1) * nm];
            for (m, v) in row.iter().enumerate() {
                prop_assert!(*v >= 0.0 && v.is_finite(), "hour {h} {} = {v}", METRICS[m]);
            }
            let it = f64::from(row[M_IT_TOTAL]);
            let fac = f64::from(row[M_FACILITY]);
            prop_assert!(it <= peak_mw * (1.0 + 1e-5), "IT {it} above installed peak {peak_mw}");
            prop_assert!(it >= idle_mw * (1.0 - 1e-5), "IT {it} below idle floor {idle_mw}");
            prop_assert!(fac >= it * (1.0 - 1e-6), "facility {fac} < IT {it}");
            prop_assert!(f64::from(row[M_FACILITY_PEAK]) >= fac * (1.0 - 1e-5));
            let sectors: f64 = row[..4].iter().map(|x| f64::from(*x)).sum();
            prop_assert!((sectors - it).abs() <= 1e-4 * it.max(1.0));
        }
    }
}

fn run_trial_0(sc: &dcload::study::Scenario) -> Vec<f32> {
    dcload::engine::run_trial(sc, 0).hourly
}
