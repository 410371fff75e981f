//! Seed 000's CNN trained on the embedded MNIST digits from code, and scored on the 2,000
//! held-out ones: conv 3×3 pad 1 (1→6) → ReLU → maxpool 2 → conv 3×3 pad 1 (6→16) → ReLU →
//! maxpool 2 → fc 784→120 → ReLU → fc 120→84 → ReLU → fc 84→10, inputs normalised with MNIST's
//! mean 0.1307 and s.d. 0.3081, cross-entropy, Adam (lr 1e-3), batches reshuffled every epoch.
//!
//! `cargo run --release -p neurodyn-nn --example mnist_cnn [EPOCHS [BATCH [SEED [THREADS]]]]`
//! (defaults: 5 epochs, batch 64, seed 0, one thread). Prints each epoch's training loss and accuracy, the
//! held-out accuracy and the wall time.

use neurodyn_core::Rng;
use neurodyn_data::{embedded_mnist_split, ImageSet, MNIST_MEAN, MNIST_STD};
use neurodyn_nn::layers::{
    Act, Conv2d, FeedForward, Flatten, Layer, Linear, Pool2d, PoolKind, StackWorkspace,
};
use neurodyn_nn::{Activation, Optimizer, OptimizerConfig};
use std::time::Instant;

/// Seed 000's network for 1×28×28 inputs.
fn lenet(rng: &mut Rng) -> FeedForward<f32> {
    let relu = |s| -> Box<dyn Layer<f32>> { Box::new(Act::new(s, Activation::Relu)) };
    let conv = |s, o| Conv2d::new(s, o, (3, 3), (1, 1), (1, 1), (1, 1), true).expect("conv");
    let pool = |s| Pool2d::new(PoolKind::Max, s, 2, 2).expect("pool");
    let layers: Vec<Box<dyn Layer<f32>>> = vec![
        Box::new(conv([1, 28, 28], 6)),
        relu([6, 28, 28]),
        Box::new(pool([6, 28, 28])),
        Box::new(conv([6, 14, 14], 16)),
        relu([16, 14, 14]),
        Box::new(pool([16, 14, 14])),
        Box::new(Flatten::new([16, 7, 7])),
        Box::new(Linear::new([784, 1, 1], 120, true)),
        relu([120, 1, 1]),
        Box::new(Linear::new([120, 1, 1], 84, true)),
        relu([84, 1, 1]),
        Box::new(Linear::new([84, 1, 1], 10, true)),
    ];
    FeedForward::new(layers, rng).expect("shapes chain")
}

/// Accuracy of `net` on all of `set`, in batches of 500.
fn accuracy(net: &FeedForward<f32>, set: &ImageSet, ws: &mut StackWorkspace<f32>) -> f64 {
    let mut correct = 0;
    let mut x = Vec::new();
    let idx: Vec<usize> = (0..set.len()).collect();
    for chunk in idx.chunks(500) {
        x.resize(chunk.len() * set.image_len(), 0.0);
        set.normalize_into(chunk, &[MNIST_MEAN], &[MNIST_STD], &mut x);
        let out = net.forward(ws, &x, chunk.len(), false, 1);
        correct += out
            .chunks_exact(10)
            .zip(chunk)
            .filter(|(row, &i)| neurodyn_nn::layers::argmax(row) == usize::from(set.labels()[i]))
            .count();
    }
    correct as f64 / set.len() as f64
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: EPOCHS BATCH SEED THREADS"))
        .collect();
    let epochs = args.first().copied().unwrap_or(5);
    let batch = args.get(1).copied().unwrap_or(64);
    let seed = args.get(2).copied().unwrap_or(0) as u64;
    let threads = args.get(3).copied().unwrap_or(1);
    let (train, test) = embedded_mnist_split(0).expect("embedded digits");
    let mut rng = Rng::new(seed);
    let mut net = lenet(&mut rng);
    let mut opt = Optimizer::new(OptimizerConfig::default(), net.params.len());
    let mut ws = StackWorkspace::default();
    let (mut grads, mut d_out, mut x) = (vec![0.0f32; net.params.len()], Vec::new(), Vec::new());
    let mut order: Vec<usize> = (0..train.len()).collect();
    let t0 = Instant::now();
    for epoch in 1..=epochs {
        rng.shuffle(&mut order);
        let (mut loss_sum, mut correct, mut batches) = (0.0, 0, 0);
        for chunk in order.chunks(batch) {
            x.resize(chunk.len() * train.image_len(), 0.0);
            train.normalize_into(chunk, &[MNIST_MEAN], &[MNIST_STD], &mut x);
            let labels: Vec<i64> = chunk
                .iter()
                .map(|&i| i64::from(train.labels()[i]))
                .collect();
            net.forward(&mut ws, &x, chunk.len(), true, threads);
            let (loss, c) = net.cross_entropy(&ws, &labels, &mut d_out);
            net.backward(&mut ws, &d_out, &mut grads);
            opt.update(&mut net.params, &grads, 1e-3);
            loss_sum += loss;
            correct += c;
            batches += 1;
        }
        println!(
            "epoch {epoch}: loss {:.4}, training accuracy {:.4}, {:.1} s",
            loss_sum / batches as f64,
            correct as f64 / train.len() as f64,
            t0.elapsed().as_secs_f64()
        );
    }
    let train_s = t0.elapsed().as_secs_f64();
    let acc = accuracy(&net, &test, &mut ws);
    println!(
        "held-out accuracy {acc:.4} on {} digits; training {train_s:.1} s ({:.0} images/s)",
        test.len(),
        (epochs * train.len()) as f64 / train_s
    );
}
