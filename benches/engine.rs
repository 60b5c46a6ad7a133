//! The engine's cost: one trial-year of the default study at 60 s steps (525,600 steps), on one
//! thread, with its physical facility (Ashburn weather, plants, thermal state) and with a fixed
//! PUE; and each layer's step alone (an hour of steps, 60 calls), to see where a trial's time
//! goes. Targets (issue 11): physics trial-year <= 30 ms, fixed PUE <= 15 ms.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dcload::base::time::SimTime;
use dcload::model::fleet::Sector;
use dcload::model::library::Library;
use dcload::scenario::Scenario;
use dcload::sim::bus::PoolStep;
use dcload::sim::facility::FacilityLayer;
use dcload::sim::fleet::FleetLayer;
use dcload::sim::hourly::{HourlyMeter, HourlySetup, StepFigures};
use dcload::sim::meter::{Claim, Meter, PoolPower};
use dcload::sim::workload::{StepClock, WorkloadModels, Workloads};
use dcload::sim::{Trial, run_trial};

fn fixed_pue(lib: &Library) -> Scenario {
    let head = dcload::scenario::DEFAULT_RUN
        .split("[facility]")
        .next()
        .expect("default run has a facility table");
    let text = format!("{head}[facility]\nkind = \"fixed\"\npue = 1.25\n");
    let src = dcload::base::error::Source::new("bench.toml", text);
    Scenario::from_source(&src, "bench", std::path::Path::new("."), lib).expect("fixed study")
}

fn trial_year(c: &mut Criterion) {
    let lib = Library::builtin().expect("library");
    let sc = Scenario::default_study(&lib).expect("default study");
    let fixed = fixed_pue(&lib);
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    let mut trial = 0u32;
    g.bench_function("default_trial_year_60s", |b| {
        b.iter(|| {
            trial = trial.wrapping_add(1);
            black_box(run_trial(black_box(&sc), trial))
        })
    });
    g.bench_function("fixed_pue_trial_year_60s", |b| {
        b.iter(|| {
            trial = trial.wrapping_add(1);
            black_box(run_trial(black_box(&fixed), trial))
        })
    });
    g.finish();
}

/// Each layer's step over one simulated hour (60 steps) of the default study, from a state a
/// day into the year (so queues, jobs and thermal nodes are warm).
fn layers(c: &mut Criterion) {
    let lib = Library::builtin().expect("library");
    let sc = Scenario::default_study(&lib).expect("default study");
    let mut g = c.benchmark_group("layers");
    g.sample_size(30);
    // The whole pipeline, for scale: one hour of Trial::step.
    let mut tr = Trial::new(&sc, 1);
    for s in 0..1440 {
        tr.step(s, true);
    }
    let mut step = 1440;
    let total = sc.horizon_s / sc.step_s;
    g.bench_function("trial_step_1h", |b| {
        b.iter(|| {
            if step + 60 > total {
                tr = Trial::new(&sc, 1);
                step = 0;
            }
            for _ in 0..60 {
                black_box(tr.step(step, true));
                step += 1;
            }
        })
    });
    let wm = WorkloadModels::of(&sc);
    let mut pending = Vec::new();
    let mut work = Workloads::new(&wm, sc.seed, 1, sc.step_s, sc.horizon_s, &mut pending);
    work.on_hour(&wm, SimTime(86_400));
    let training_busy: Vec<f64> = sc.trainings.iter().map(|t| t.job_accelerators).collect();
    let mut pools = vec![PoolStep::default(); sc.fleet.pools.len()];
    let mut fleet = FleetLayer::new(&sc.fleet, sc.seed, 1);
    let mut fac = FacilityLayer::new(&sc.facility, sc.horizon_hours as usize, sc.seed, 1);
    let mut k = 0u64;
    g.bench_function("workload_serve_1h", |b| {
        b.iter(|| {
            for _ in 0..60 {
                fleet.open_pools(&sc.fleet, fac.thermal(), &mut pools);
                let clock = StepClock {
                    t: SimTime(86_400 + (k % 3600) * 60),
                    dt: sc.step_s,
                    week_step: (k % 10_080) as usize,
                    week_step_fixed: (k % 10_080) as usize,
                };
                work.serve(&wm, &training_busy, &mut pools, clock, false, None);
                k += 1;
            }
            black_box(&pools);
        })
    });
    g.bench_function("fleet_power_1h", |b| {
        b.iter(|| {
            let mut w = 0.0;
            for _ in 0..60 {
                w += fleet.power(&sc.fleet, &mut pools, fac.thermal());
            }
            black_box(w)
        })
    });
    let it_w = fleet.power(&sc.fleet, &mut pools, fac.thermal());
    let group_it = fleet.group_it.clone();
    g.bench_function("facility_step_physics_1h", |b| {
        b.iter(|| {
            let mut w = 0.0;
            for i in 0..60 {
                w += fac
                    .step(it_w, &group_it, 24 + i / 60, 60.0)
                    .power
                    .facility_w;
            }
            black_box(w)
        })
    });
    // The energy meter: the default study's holders (5 classes, a twin, a mission and the job
    // slots) on the pools' power.
    let mut holders: Vec<(usize, Sector)> = Vec::new();
    holders.extend(sc.consumers.iter().map(|c| (c.pool, Sector::Consumer)));
    holders.extend(sc.twins.iter().map(|w| (w.pool, Sector::Industrial)));
    holders.extend(sc.defenses.iter().map(|d| (d.pool, Sector::Defense)));
    for t in &sc.trainings {
        holders.extend((0..t.max_concurrent).map(|_| (t.pool, Sector::Training)));
    }
    let n = holders.len();
    let mut meter = Meter::new(
        holders,
        [sc.consumers.len(), sc.twins.len(), sc.defenses.len()],
        pools.len(),
    );
    for (i, c) in meter.claims.iter_mut().enumerate() {
        *c = Claim {
            held: 100.0 + i as f64,
            weight: 50.0 + i as f64,
        };
    }
    let pp: Vec<PoolPower> = pools
        .iter()
        .map(|p| PoolPower {
            power_w: p.power_w,
            idle_w: p.idle_w,
            capacity: p.capacity,
        })
        .collect();
    g.bench_function("meter_attribute_1h", |b| {
        b.iter(|| {
            let mut w = 0.0;
            for _ in 0..60 {
                w += meter.attribute(&pp, 60.0).idle_unallocated_w;
            }
            black_box((w, n))
        })
    });
    let ids = sc.metric_ids.clone();
    g.bench_function("hourly_record_1h", |b| {
        b.iter(|| {
            let mut m = HourlyMeter::new(HourlySetup {
                step_s: 60,
                total_steps: 60,
                hours: 1,
                metric_ids: &ids,
                physics_water_l_per_kwh: Some(7.6),
                fixed_water: None,
                carbon_g_per_kwh: None,
                ramp_thresholds_mw: &dcload::sim::summary::RAMP_THRESHOLDS_MW,
                intervals: None,
                system_peaks: &[],
            });
            for i in 0..60 {
                m.record(&StepFigures {
                    it_w: it_w + i as f64,
                    facility_w: 1.2 * it_w,
                    ..StepFigures::default()
                });
            }
            black_box(m.hourly)
        })
    });
    g.finish();
}

criterion_group!(benches, layers, trial_year);
criterion_main!(benches);
