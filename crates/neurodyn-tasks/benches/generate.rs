//! Criterion benches of trial generation: a batch of 16 AntiReach trials at dt 100 ms (target
//! ≤ 80 µs; neurogym takes ~8 ms) and a PerceptualDecisionMaking stream at dt 20 ms, 16 rows ×
//! 100-step windows (1000 windows should take well under a second).

use criterion::{criterion_group, criterion_main, Criterion};
use neurodyn_tasks::{build, sample_batch, Layout, Stream, TaskConfig};

fn generation(c: &mut Criterion) {
    let anti = build("AntiReach", &TaskConfig::with_dt(100.0)).expect("AntiReach");
    let mut seed = 0u64;
    c.bench_function("AntiReach batch 16 dt100", |b| {
        b.iter(|| {
            seed += 1;
            sample_batch(anti.as_ref(), 16, seed).expect("batch")
        })
    });
    let pdm = build("PerceptualDecisionMaking", &TaskConfig::with_dt(20.0)).expect("PDM");
    let mut stream =
        Stream::new(pdm.as_ref(), 16, 100, 0, Layout::TimeMajor, true).expect("stream");
    c.bench_function("PDM stream window 16x100 dt20", |b| {
        b.iter(|| stream.next_window())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = generation
}
criterion_main!(benches);
