//! The time loops of [`crate::Network`]: forward over all steps, then backward through time, over
//! the whole batch or over parts of it in parallel.
//!
//! Samples never interact inside a step (the weights are only read; batch norm, which couples
//! them, keeps its batch whole), so with more than one thread the batch is cut into parts of
//! consecutive samples and each part runs the whole time loop on its own thread: one hand-off
//! per pass instead of one per step, and each thread keeps its own copy of the recurrent weights
//! hot in its own cache. Every time-major buffer `(T, B, width)` is cut into each part's rows of
//! every step before the loop (a few small vectors of slices per pass; nothing is allocated
//! inside the loop). In the backward pass each part accumulates its weight gradients into its
//! own buffer; the parts are added in order afterwards, so results are the same for the same
//! thread count.

use crate::cell::{Cell, StepBwd, StepCtx, StepFwd};
use crate::real::Real;
use rayon::prelude::*;

/// Sample boundaries of the parts: `[0, c₁, …, batch]`.
pub(crate) fn cuts(batch: usize, parts: usize) -> Vec<usize> {
    (0..=parts).map(|p| p * batch / parts).collect()
}

/// Each part's rows of every step of a time-major buffer of `steps` blocks of `batch` rows of
/// `width` values: `[part][step]`.
fn rows_mut<'a, T>(
    buf: &'a mut [T],
    steps: usize,
    width: usize,
    cuts: &[usize],
) -> Vec<Vec<&'a mut [T]>> {
    let parts = cuts.len() - 1;
    let mut out: Vec<Vec<&'a mut [T]>> = (0..parts).map(|_| Vec::with_capacity(steps)).collect();
    let batch = cuts[parts];
    if width == 0 {
        for o in &mut out {
            o.extend((0..steps).map(|_| <&mut [T]>::default()));
        }
        return out;
    }
    for block in buf.chunks_exact_mut(batch * width).take(steps) {
        let mut rest = block;
        for (p, o) in out.iter_mut().enumerate() {
            let (part, tail) = rest.split_at_mut((cuts[p + 1] - cuts[p]) * width);
            o.push(part);
            rest = tail;
        }
    }
    out
}

/// As [`rows_mut`], read-only.
fn rows<'a, T>(buf: &'a [T], steps: usize, width: usize, cuts: &[usize]) -> Vec<Vec<&'a [T]>> {
    let parts = cuts.len() - 1;
    let batch = cuts[parts];
    (0..parts)
        .map(|p| {
            (0..steps)
                .map(|t| {
                    let start = (t * batch + cuts[p]) * width;
                    &buf[start..start + (cuts[p + 1] - cuts[p]) * width]
                })
                .collect()
        })
        .collect()
}

/// The context of one part: its own size, one thread when the parts run in parallel.
fn part_ctx(ctx: StepCtx, cuts: &[usize], p: usize) -> StepCtx {
    StepCtx {
        batch: cuts[p + 1] - cuts[p],
        threads: if cuts.len() > 2 { 1 } else { ctx.threads },
        ..ctx
    }
}

/// Run `work` on every part, in parallel when there is more than one.
fn each<P: Send>(parts: Vec<P>, work: impl Fn(P) + Sync + Send) {
    if parts.len() == 1 {
        parts.into_iter().for_each(work);
    } else {
        parts.into_par_iter().for_each(work);
    }
}

/// Time-major buffers of a forward pass (`u`, `noise`, `cache`: `T` blocks; `states`, `rates`:
/// `T+1` blocks, the first holding the initial state and its rates).
pub(crate) struct FwdBufs<'a, T> {
    pub u: &'a [T],
    pub noise: &'a [T],
    pub states: &'a mut [T],
    pub rates: &'a mut [T],
    pub cache: &'a mut [T],
    pub buffers: &'a mut [T],
}

/// All `n_steps` forward steps, over the parts of the batch cut at `cuts`.
pub(crate) fn forward<T: Real>(
    cell: &dyn Cell<T>,
    eff: &[T],
    ctx: StepCtx,
    n_steps: usize,
    cuts: &[usize],
    b: FwdBufs<'_, T>,
) {
    let (g, s, h) = (cell.input_width(), cell.state_len(), cell.n_units());
    let parts = cuts.len() - 1;
    assert!(
        parts == 1 || b.buffers.is_empty(),
        "cells with batch-coupled buffers run the batch whole"
    );
    let u = rows(b.u, n_steps, g, cuts);
    let noise = rows(b.noise, n_steps, cell.noise_len(), cuts);
    let states = rows_mut(b.states, n_steps + 1, s, cuts);
    let rates = rows_mut(b.rates, n_steps + 1, h, cuts);
    let cache = rows_mut(b.cache, n_steps, cell.cache_len(), cuts);
    let mut buffers = Some(b.buffers);
    let work: Vec<_> = u
        .into_iter()
        .zip(noise)
        .zip(states)
        .zip(rates)
        .zip(cache)
        .enumerate()
        .map(|(p, ((((u, n), s), r), c))| (p, u, n, s, r, c, buffers.take().unwrap_or_default()))
        .collect();
    each(
        work,
        |(p, u, noise, mut states, mut rates, mut cache, buffers)| {
            let ctx = part_ctx(ctx, cuts, p);
            for t in 0..n_steps {
                let (s_done, s_rest) = states.split_at_mut(t + 1);
                let (r_done, r_rest) = rates.split_at_mut(t + 1);
                cell.step(
                    eff,
                    ctx,
                    StepFwd {
                        u: u[t],
                        s_prev: s_done[t],
                        r_prev: r_done[t],
                        noise: noise[t],
                        s_next: s_rest[0],
                        r_next: r_rest[0],
                        cache: cache[t],
                        buffers: &mut *buffers,
                        t,
                    },
                );
            }
        },
    );
}

/// Time-major buffers of a backward pass, and where it writes.
pub(crate) struct BwdBufs<'a, T> {
    pub u: &'a [T],
    pub states: &'a [T],
    pub rates: &'a [T],
    pub cache: &'a [T],
    pub noise: &'a [T],
    /// ∂L/∂R `(T, B, H)` from the readout and activity penalties.
    pub d_r: &'a [T],
    pub d_u: &'a mut [T],
    pub d_aux: &'a mut [T],
    /// `(B, state_len)` each: ∂L/∂s of the step after (zero on entry) and scratch.
    pub d_s_a: &'a mut [T],
    pub d_s_b: &'a mut [T],
    /// One gradient buffer per part, zero on entry; the first is the network's.
    pub d_eff: Vec<&'a mut [T]>,
}

/// All `n_steps` backward steps, over the parts cut at `cuts`. Returns whether ∂L/∂s₀ ended in
/// `d_s_b` (an odd number of steps) rather than `d_s_a`.
pub(crate) fn backward<T: Real>(
    cell: &dyn Cell<T>,
    eff: &[T],
    ctx: StepCtx,
    n_steps: usize,
    cuts: &[usize],
    b: BwdBufs<'_, T>,
) -> bool {
    let (g, s, h) = (cell.input_width(), cell.state_len(), cell.n_units());
    let u = rows(b.u, n_steps, g, cuts);
    let states = rows(b.states, n_steps + 1, s, cuts);
    let rates = rows(b.rates, n_steps + 1, h, cuts);
    let cache = rows(b.cache, n_steps, cell.cache_len(), cuts);
    let noise = rows(b.noise, n_steps, cell.noise_len(), cuts);
    let d_r = rows(b.d_r, n_steps, h, cuts);
    let d_u = rows_mut(b.d_u, n_steps, g, cuts);
    let d_aux = rows_mut(b.d_aux, n_steps, cell.aux_len(), cuts);
    let d_s_a = rows_mut(b.d_s_a, 1, s, cuts);
    let d_s_b = rows_mut(b.d_s_b, 1, s, cuts);
    let mut work = Vec::with_capacity(cuts.len() - 1);
    let mut d_eff = b.d_eff.into_iter();
    for (p, (((((((((u, st), r), c), n), dr), du), da), dsa), dsb)) in u
        .into_iter()
        .zip(states)
        .zip(rates)
        .zip(cache)
        .zip(noise)
        .zip(d_r)
        .zip(d_u)
        .zip(d_aux)
        .zip(d_s_a)
        .zip(d_s_b)
        .enumerate()
    {
        let de = d_eff.next().expect("one gradient buffer per part");
        work.push((p, u, st, r, c, n, dr, du, da, dsa, dsb, de));
    }
    each(
        work,
        |(p, u, states, rates, cache, noise, d_r, mut d_u, mut d_aux, mut a, mut b, d_eff)| {
            let ctx = part_ctx(ctx, cuts, p);
            let (mut next, mut prev) = (a.pop().expect("one block"), b.pop().expect("one block"));
            for t in (0..n_steps).rev() {
                cell.backward_step(
                    eff,
                    ctx,
                    StepBwd {
                        u: u[t],
                        s_prev: states[t],
                        r_prev: rates[t],
                        s_next: states[t + 1],
                        r_next: rates[t + 1],
                        cache: cache[t],
                        noise: noise[t],
                        d_s_next: next,
                        d_r: d_r[t],
                        d_s_prev: &mut *prev,
                        d_u: &mut *d_u[t],
                        d_aux: &mut *d_aux[t],
                        d_eff: &mut *d_eff,
                        t,
                    },
                );
                std::mem::swap(&mut next, &mut prev);
            }
        },
    );
    n_steps % 2 == 1
}
