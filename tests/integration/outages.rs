//! Grid outages: UPS ride-through, generators, fuel autonomy, unserved energy.

use crate::common::*;

fn site(outage_hours: f64, backup: &str) -> String {
    format!(
        r#"
horizon_hours = 240
step_s = 60
trials = 2
[site]
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 100
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 0.8
[facility]
kind = "fixed"
pue = 1.2
[grid.outages]
scheduled = [{{ start_day = 2.0, hours = {outage_hours} }}]
{backup}
"#
    )
}

#[test]
fn an_outage_longer_than_the_fuel_leaves_energy_unserved_a_shorter_one_does_not() {
    // ~0.9 MW of load; 2 MW of generators with 12 h of fuel at full output (~26 h at this load).
    let backup = "[backup]\nups_ride_through_min = 10\ngenerator_mw = 2.0\ngenerator_start_s = 30\nfuel_hours = 12";
    for t in trials(&scenario(&site(6.0, backup))) {
        let s = &t.summary;
        assert!((s.outage_hours - 6.0).abs() < 1e-9);
        assert_eq!(s.unserved_mwh, 0.0, "a 6 h outage is covered");
        assert!(s.ups_mwh > 0.0, "the UPS bridges the generator start");
        // Generators carry the rest: energy balance over the outage.
        let demand_mwh = s.energy_mwh / 240.0 * 6.0;
        assert!((s.ups_mwh + s.generator_mwh - demand_mwh).abs() < 0.01 * demand_mwh);
        assert!((s.generator_co2_t - s.fuel_l * 2.70 / 1000.0).abs() < 1e-9);
    }
    for t in trials(&scenario(&site(72.0, backup))) {
        assert!(
            t.summary.unserved_mwh > 1.0,
            "72 h outlasts the fuel: {}",
            t.summary.unserved_mwh
        );
        // The tank: 12 h x 2 MW x 270 L/MWh.
        assert!(
            (t.summary.fuel_l - 12.0 * 2.0 * 270.0).abs() < 1.0,
            "fuel {}",
            t.summary.fuel_l
        );
    }
    // Generators that fail to start: only the UPS, then darkness.
    let dead = backup.to_string() + "\ngenerator_fail_to_start = 1.0";
    for t in trials(&scenario(&site(6.0, &dead))) {
        assert_eq!(t.summary.generator_mwh, 0.0);
        assert!(t.summary.unserved_mwh > 4.0);
    }
}

#[test]
fn ups_redundancy_decides_what_a_module_failure_does() {
    // Modules fail often here to make the point; N leaves the load unprotected far more than 2N.
    let run = |red: &str| {
        let backup = format!(
            "[backup]\nups_ride_through_min = 10\ngenerator_mw = 2.0\nfuel_hours = 12\nups_redundancy = \"{red}\"\n\
             ups_modules = 4\nups_module_failures_per_year = 50\nups_module_repair_hours = 24"
        );
        let r = trials(&scenario(&site(6.0, &backup)));
        r.iter()
            .map(|t| t.summary.ups_unprotected_hours)
            .sum::<f64>()
    };
    let (n, n1, two) = (run("N"), run("N+1"), run("2N"));
    assert!(
        n > n1 && n1 >= two,
        "unprotected hours: N {n} N+1 {n1} 2N {two}"
    );
}
