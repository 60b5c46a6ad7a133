//! One trial-year of the default study at 60 s steps (525,600 steps), on one thread.
//! Target: at most 100 ms, so 1,000 trials finish in under a minute on 2 cores.

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
    // The same campus with the physical facility (weather, plants, thermal state) in Phoenix.
    let text = dcload::study::DEFAULT_RUN
        .replace(
            "kind = \"fixed\"",
            "kind = \"physics\"\nclimate = \"phoenix\"",
        )
        .replace("pue = 1.25", "");
    let src = dcload::error::Source::new("bench.toml", text);
    let phys = Scenario::from_source(&src, "bench", std::path::Path::new("."), &lib)
        .expect("physics study");
    g.bench_function("physics_trial_year_60s", |b| {
        b.iter(|| {
            trial = trial.wrapping_add(1);
            black_box(run_trial(black_box(&phys), trial))
        })
    });
    g.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
