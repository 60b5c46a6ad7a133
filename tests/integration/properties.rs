//! Physics invariants over random studies (proptest): no negative power, IT power never above
//! the installed peak, facility power never below IT power, sectors adding up to IT.

use proptest::prelude::*;

use dcload::model::metrics::M_LOAD_BANK;
use dcload::sim::{
    M_COOLING, M_DRYBULB, M_FACILITY, M_FACILITY_PEAK, M_INLET_MAX, M_IT_TOTAL, M_LOSSES, M_PUE,
    M_WETBULB, METRICS,
};

use crate::common::*;

#[allow(clippy::too_many_arguments)]
fn study(
    racks: u32,
    chat_per_day: f64,
    twin_util: f64,
    job_frac: f64,
    defense_util: f64,
    facility: &str,
    step_s: u64,
    seed: u64,
    phased: bool,
) -> String {
    // Five groups of `racks` racks each: inference (with a legacy group in its pool), twins,
    // training and a defense enclave.
    let groups: String = [
        ("inf", "dgx-h100-x4", ""),
        ("legacy", "dgx-h100-x1-legacy", "pool = \"inf\"\n"),
        ("tw", "ovx-l40s-x8", ""),
        ("tr", "dgx-h100-x8-liquid", ""),
        ("enc", "dgx-h100-x4", ""),
    ]
    .map(|(name, rack, pool)| {
        // A phased study: training comes online on day 2 after a half-day load-bank test,
        // the enclave on day 3 (their plant and electrical modules with them).
        let online = match (phased, name) {
            (true, "tr") => "online = \"2026-01-02\"\n",
            (true, "enc") => "online = \"2026-01-03\"\n",
            _ => "",
        };
        format!(
            "[[site.group]]\nname = \"{name}\"\nrack = \"{rack}\"\ncount = {racks}\n{pool}{online}"
        )
    })
    .concat();
    let (start, bank) = if phased {
        (
            "start = \"2026-01-01\"\n",
            "\n[[facility.load_bank]]\ngroup = \"tr\"\nshare = 0.6\ndays = 0.5\n",
        )
    } else {
        ("", "")
    };
    format!(
        r#"
{start}horizon_hours = 72
step_s = {step_s}
seed = {seed}
trials = 1
{groups}[[consumer]]
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
{facility}{bank}
"#,
        video = chat_per_day / 1000.0,
        job_acc = ((f64::from(racks) * 64.0 * job_frac).floor()).max(1.0),
        def_acc = f64::from(racks) * 16.0,
    )
}

fn facility() -> impl Strategy<Value = String> {
    let fixed = (1.0f64..2.5).prop_map(|pue| format!("kind = \"fixed\"\npue = {pue}"));
    let physics = (
        prop::sample::select(vec!["phoenix", "lulea", "singapore", "ashburn", "dallas"]),
        prop::sample::select(vec!["air-chiller-legacy", "air-chiller-economiser", "hybrid-dlc"]),
        prop::sample::select(vec!["liquid-dry-cooler", "immersion", "hybrid-dlc"]),
        0.3f64..2.0,
        1u32..300,
        0.0f64..15.0,
        prop::sample::select(vec!["enterprise-2n", "hyperscale"]),
    )
        .prop_map(|(climate, air, liquid, margin, day, amp, el)| {
            format!(
                "kind = \"physics\"\nclimate = \"{climate}\"\ndesign_margin = {margin}\nelectrical = \"{el}\"\n\
                 heat_wave = {{ day_of_year = {day}, days = 3, amplitude_c = {amp} }}\n\
                 plants = {{ air = \"{air}\", liquid = \"{liquid}\" }}"
            )
        });
    prop_oneof![fixed, physics]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn power_is_physical(
        racks in 1u32..40,
        chat in 0.0f64..5.0e8,
        twin_util in 0.0f64..=1.0,
        job_frac in 0.05f64..=1.0,
        defense_util in 0.0f64..=1.0,
        facility in facility(),
        step_s in prop::sample::select(vec![60u64, 300, 900, 3600]),
        seed in any::<u64>(),
        phased in any::<bool>(),
    ) {
        // A build-out with a load-bank test needs a physics plant to test.
        let phased = phased && facility.contains("physics");
        let sc = scenario(&study(racks, chat, twin_util, job_frac, defense_util, &facility, step_s, seed, phased));
        let physics = sc.facility.is_physics();
        let peak_mw = sc.fleet.peak_w() / 1e6;
        let idle_mw: f64 = sc.fleet.groups.iter().map(|g| g.power_w(0.0)).sum::<f64>() / 1e6;
        let r = run_trial_0(&sc);
        let nm = sc.metrics().len();
        for h in 0..sc.horizon_hours as usize {
            let row = &r[h * nm..(h + 1) * nm];
            for (m, v) in row.iter().enumerate() {
                prop_assert!(v.is_finite(), "hour {h} {} = {v}", METRICS[m]);
                if !METRICS[m].ends_with("_c") {
                    prop_assert!(*v >= 0.0, "hour {h} {} = {v}", METRICS[m]);
                }
            }
            let it = f64::from(row[M_IT_TOTAL]);
            let fac = f64::from(row[M_FACILITY]);
            prop_assert!(it <= peak_mw * (1.0 + 1e-5), "IT {it} above installed peak {peak_mw}");
            // Before its online date a group draws nothing, not even idle.
            prop_assert!(phased || it >= idle_mw * (1.0 - 1e-5), "IT {it} below idle floor {idle_mw}");
            prop_assert!(fac >= it * (1.0 - 1e-6), "facility {fac} < IT {it}");
            prop_assert!(f64::from(row[M_FACILITY_PEAK]) >= fac * (1.0 - 1e-5));
            // The four sectors and the unheld idle (no sector's) add up to IT.
            let idle_pos = sc.metric_pos(dcload::sim::M_IDLE_UNALLOC).unwrap();
            let sectors: f64 = row[..4].iter().map(|x| f64::from(*x)).sum::<f64>()
                + f64::from(row[idle_pos]);
            prop_assert!((sectors - it).abs() <= 1e-4 * it.max(1.0));
            if physics {
                // Energy balance: facility = IT + load bank + cooling + losses (hourly means,
                // f32 rounding).
                let cooling = f64::from(row[M_COOLING]);
                let losses = f64::from(row[M_LOSSES]);
                let bank = sc.metric_pos(M_LOAD_BANK).map_or(0.0, |k| f64::from(row[k]));
                prop_assert_eq!(bank > 0.0, phased && (12..24).contains(&h), "hour {}: load bank {}", h, bank);
                prop_assert!((fac - (it + bank + cooling + losses)).abs() <= 1e-5 * fac.max(1.0),
                    "hour {h}: facility {fac} != IT {it} + load bank {bank} + cooling {cooling} + losses {losses}");
                prop_assert!(f64::from(row[M_PUE]) >= 1.0 - 1e-6);
                let inlet = f64::from(row[M_INLET_MAX]);
                prop_assert!((10.0..=70.0).contains(&inlet), "hour {h}: inlet {inlet}");
                prop_assert!(f64::from(row[M_WETBULB]) <= f64::from(row[M_DRYBULB]) + 1e-4);
            }
        }
    }
}

fn run_trial_0(sc: &dcload::scenario::Scenario) -> Vec<f32> {
    dcload::sim::run_trial(sc, 0).hourly
}
