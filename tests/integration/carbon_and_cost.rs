//! Carbon and cost: hourly emissions are the hour's energy times the hour's grid intensity; the
//! tariff's energy charge is the energy times the price.

use dcload::base::time::SimTime;
use dcload::model::grid::{CarbonProfile, Tariff};
use dcload::model::library::Library;
use dcload::sim::{M_CO2, M_FACILITY};

use crate::common::*;

const RUN: &str = r#"
start = "2025-06-30"
utc_offset = "-05:00"
horizon_hours = 240
step_s = 300
trials = 2
[[site.group]]
name = "inf"
rack = "dgx-h100-x4"
count = 100
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.0e7
[facility]
kind = "fixed"
pue = 1.2
[grid]
carbon = "pjm"
tariff = "ie-eurostat-flat"
"#;

/// A built-in library file of `kind` (`grid`, `tariffs`): its name and text.
fn library_file(kind: &str, name: &str) -> (String, String) {
    let lib = Library::builtin().unwrap();
    let src = lib.file(kind, name).unwrap();
    (src.name.clone(), src.text.clone())
}

#[test]
fn emissions_are_energy_times_intensity_hour_by_hour() {
    let sc = scenario(RUN);
    let (name, text) = library_file("grid", "pjm");
    let profile = CarbonProfile::from_toml(&name, &text).unwrap();
    let off = profile.utc_offset_s();
    let (fac, co2) = (
        sc.metric_pos(M_FACILITY).unwrap(),
        sc.metric_pos(M_CO2).unwrap(),
    );
    let nm = sc.metrics().len();
    for t in trials(&sc) {
        let mut total = 0.0;
        for h in 0..sc.horizon_hours as usize {
            let time = SimTime::from_hours(h as u64);
            let month0 = sc.calendar.local_date(time, off).month as usize - 1;
            let g = profile.g_per_kwh(month0, sc.calendar.hour_of_day(time, off) as usize);
            let mwh = f64::from(t.hourly[h * nm + fac]);
            let got = f64::from(t.hourly[h * nm + co2]);
            assert!(
                (got - mwh * g / 1000.0).abs() <= 1e-4 * got.max(1e-3),
                "hour {h}: {got} t vs {} MWh x {g} g/kWh",
                mwh
            );
            total += got;
        }
        assert!(
            (t.summary.co2_t - total).abs() < 1e-3 * total,
            "{} vs {total}",
            t.summary.co2_t
        );
        // PJM's intensity falls between 200 and 800 g/kWh in every hour.
        assert!(
            t.summary.co2_t > 0.2 * t.summary.energy_mwh
                && t.summary.co2_t < 0.8 * t.summary.energy_mwh
        );
    }
}

#[test]
fn a_flat_tariff_charges_energy_times_price() {
    let sc = scenario(RUN);
    let (name, text) = library_file("tariffs", "ie-eurostat-flat");
    let tariff = Tariff::from_toml(&name, &text).unwrap();
    let price = tariff.energy_price_per_mwh(7, 0, 12);
    for t in trials(&sc) {
        let s = &t.summary;
        assert!(
            (s.cost_energy - s.energy_mwh * price).abs() < 1e-3 * s.cost_energy,
            "{} vs {}",
            s.cost_energy,
            s.energy_mwh * price
        );
        assert!(
            (s.cost_total - (s.cost_energy + s.cost_demand + s.cost_fixed)).abs()
                < 1e-6 * s.cost_total
        );
    }
}
