//! One trial-year of the default study at 60 s steps (525,600 steps), on one thread, with its
//! physical facility (Ashburn weather, plants, thermal state) and with a fixed PUE.
//! Targets: fixed-PUE engine at most 100 ms a trial-year; the physics at most 1.5x that.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dcload::engine::run_trial;
use dcload::library::Library;
use dcload::study::Scenario;

fn engine(c: &mut Criterion) {
    let lib = Library::builtin().expect("library");
    let sc = Scenario::default_study(&lib).expect("default study");
    let mut g = c.benchmark_group("engine");
    g.sample_size(20);
    let mut trial = 0u32;
    g.bench_function("default_trial_year_60s", |b| {
        b.iter(|| {
            trial = trial.wrapping_add(1);
            black_box(run_trial(black_box(&sc), trial))
        })
    });
    // The same campus with the fixed-PUE facility: the engine's cost without facility physics
    // (the figure before the physics existed), for comparison.
    let head = dcload::study::DEFAULT_RUN
        .split("[facility]")
        .next()
        .expect("default run has a facility table");
    let text = format!("{head}[facility]\nkind = \"fixed\"\npue = 1.25\n");
    let src = dcload::error::Source::new("bench.toml", text);
    let fixed =
        Scenario::from_source(&src, "bench", std::path::Path::new("."), &lib).expect("fixed study");
    g.bench_function("fixed_pue_trial_year_60s", |b| {
        b.iter(|| {
            trial = trial.wrapping_add(1);
            black_box(run_trial(black_box(&fixed), trial))
        })
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
