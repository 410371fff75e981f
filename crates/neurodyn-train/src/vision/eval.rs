//! Scoring a trained image classifier (accuracy overall and per class, the confusion matrix, the
//! mean cross-entropy) and recording every layer's output for a set of images.

use crate::vision::network::VisionNet;
use neurodyn_core::Npz;
use neurodyn_data::ImageSet;
use neurodyn_nn::layers::{argmax, numel, StackWorkspace};
use serde::Serialize;

/// Images per forward pass when scoring or recording.
const CHUNK: usize = 250;

/// How the inputs are normalised: per-channel mean and standard deviation (f32, as the data
/// crate takes them).
#[derive(Clone, Debug, PartialEq)]
pub struct Normalize {
    /// Means (one, or one per channel).
    pub mean: Vec<f32>,
    /// Standard deviations.
    pub std: Vec<f32>,
}

/// The accuracy on one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassRow {
    /// The class name.
    pub class: String,
    /// Fraction of its images classified as it (0 when it has none).
    pub accuracy: f64,
    /// Its images.
    pub n: usize,
}

/// The score of a network on a set of images.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScore {
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Images scored.
    pub n: usize,
    /// Mean cross-entropy (nats).
    pub loss: f64,
    /// Accuracy per class, by label.
    pub per_class: Vec<ClassRow>,
    /// `confusion[true][predicted]`: image counts.
    pub confusion: Vec<Vec<u64>>,
}

/// Run `net` over the images at `indices` of `set` in evaluation mode, `CHUNK` at a time, and
/// hand each chunk's indices and the workspace (every layer's output) to `visit`.
pub(crate) fn for_chunks(
    net: &VisionNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
    threads: usize,
    mut visit: impl FnMut(&[usize], &StackWorkspace<f32>),
) {
    let mut ws = StackWorkspace::default();
    let mut x = Vec::new();
    for chunk in indices.chunks(CHUNK) {
        x.resize(chunk.len() * set.image_len(), 0.0);
        set.normalize_into(chunk, &norm.mean, &norm.std, &mut x);
        net.net.forward(&mut ws, &x, chunk.len(), false, threads);
        visit(chunk, &ws);
    }
}

impl ClassScore {
    /// The score of a confusion matrix (`confusion[true][predicted]`) and the summed loss over
    /// its images, with `class_names` for the per-class rows.
    pub fn from_confusion(
        confusion: Vec<Vec<u64>>,
        loss_sum: f64,
        class_names: &[String],
    ) -> ClassScore {
        let k = confusion.len();
        let n = confusion.iter().flatten().sum::<u64>() as usize;
        let correct: u64 = (0..k).map(|c| confusion[c][c]).sum();
        let per_class = (0..k)
            .map(|c| {
                let n_c: u64 = confusion[c].iter().sum();
                ClassRow {
                    class: class_names[c].clone(),
                    accuracy: if n_c == 0 {
                        0.0
                    } else {
                        confusion[c][c] as f64 / n_c as f64
                    },
                    n: n_c as usize,
                }
            })
            .collect();
        ClassScore {
            accuracy: correct as f64 / n.max(1) as f64,
            n,
            loss: loss_sum / n.max(1) as f64,
            per_class,
            confusion,
        }
    }
}

/// Score `net` on the images at `indices` of `set`.
pub fn score(
    net: &VisionNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
    threads: usize,
) -> ClassScore {
    let k = set.n_classes();
    let n_out = numel(net.net.out_shape());
    let mut confusion = vec![vec![0u64; k]; k];
    let mut loss_sum = 0.0;
    let mut d_out = Vec::new();
    let n_layers = net.net.layers.len();
    for_chunks(net, set, indices, norm, threads, |chunk, ws| {
        let labels: Vec<i64> = chunk.iter().map(|&i| i64::from(set.labels()[i])).collect();
        let (loss, _) = net.net.cross_entropy(ws, &labels, &mut d_out);
        loss_sum += loss * chunk.len() as f64;
        for (row, &l) in ws.acts[n_layers].chunks_exact(n_out).zip(&labels) {
            confusion[l as usize][argmax(row).min(k - 1)] += 1;
        }
    });
    ClassScore::from_confusion(confusion, loss_sum, set.class_names())
}

/// The arrays every `activations.npz` starts with, for the images at `indices` of `set`:
/// `images` (the raw pixels `(image, C, H, W)`, uint8), `labels`, `predicted` (one class per
/// image) and `index` (the images' positions in `set`), int64.
pub(crate) fn image_arrays(
    set: &ImageSet,
    indices: &[usize],
    predicted: Vec<i64>,
) -> neurodyn_core::Result<Npz> {
    let n = indices.len();
    let mut z = Npz::new();
    let [c, h, w] = [set.channels(), set.height(), set.width()];
    let pixels: Vec<u8> = indices
        .iter()
        .flat_map(|&i| set.image(i).iter().copied())
        .collect();
    z.u8("images", &[n, c, h, w], pixels)?;
    let labels = indices
        .iter()
        .map(|&i| i64::from(set.labels()[i]))
        .collect();
    z.i64("labels", &[n], labels)?;
    z.i64("predicted", &[n], predicted)?;
    z.i64("index", &[n], indices.iter().map(|&i| i as i64).collect())?;
    Ok(z)
}

/// Every layer's output for the images at `indices` of `set`, as `activations.npz` holds them:
/// one f32 array per layer named by [`VisionNet::output_names`], `(image, C, H, W)`, or
/// `(image, features)` when the output is `(C, 1, 1)`; `images` (the raw pixels `(image, C, H,
/// W)`, uint8), `labels`, `predicted` and `index` (the images' positions in `set`), int64.
pub fn record(
    net: &VisionNet,
    set: &ImageSet,
    indices: &[usize],
    norm: &Normalize,
    threads: usize,
) -> neurodyn_core::Result<Npz> {
    let n_layers = net.net.layers.len();
    let mut outputs: Vec<Vec<f32>> = vec![Vec::new(); n_layers];
    let mut predicted = Vec::with_capacity(indices.len());
    let n_out = numel(net.net.out_shape());
    for_chunks(net, set, indices, norm, threads, |_, ws| {
        for (l, out) in outputs.iter_mut().enumerate() {
            out.extend_from_slice(&ws.acts[l + 1]);
        }
        predicted.extend(
            ws.acts[n_layers]
                .chunks_exact(n_out)
                .map(|row| argmax(row) as i64),
        );
    });
    let n = indices.len();
    let mut z = image_arrays(set, indices, predicted)?;
    for ((layer, name), out) in net.net.layers.iter().zip(&net.output_names).zip(outputs) {
        let [c, h, w] = layer.out_shape();
        let shape: Vec<usize> = if h == 1 && w == 1 {
            vec![n, c]
        } else {
            vec![n, c, h, w]
        };
        z.f32(name, &shape, out)?;
    }
    Ok(z)
}
