//! Criterion bench of the representation analyses' largest product: a correlation-distance RDM
//! of 1,000 conditions × 10,000 features (issue target ≤ 40 ms on 2 cores). The same data in
//! rsatoolbox and numpy: `scripts/bench_rdm_rsatoolbox.py`; numbers in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, Criterion};
use neurodyn_analysis::rdm::{self, RdmConfig};
use neurodyn_analysis::Features;

fn bench(c: &mut Criterion) {
    let (n, p) = (1000, 10_000);
    let data: Vec<f64> = (0..n * p)
        .map(|k| ((k as f64) * 0.618_033_988_7).fract() + (k / p) as f64 * 1e-3)
        .collect();
    let labels: Vec<i64> = (0..n as i64).map(|i| i % 10).collect();
    let x = Features {
        name: "layer",
        data: &data,
        n_rows: n,
        n_features: p,
        labels: &labels,
    };
    let cfg = RdmConfig::default();
    let mut g = c.benchmark_group("rdm");
    g.sample_size(10);
    g.bench_function("correlation 1000x10000", |b| {
        b.iter(|| rdm::run(&x, &cfg).expect("rdm"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
