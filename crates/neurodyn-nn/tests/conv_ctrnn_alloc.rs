//! The convolutional CTRNN's time loop allocates nothing once its workspace has grown: a
//! counting allocator sees no allocation in a second forward and backward pass of the same
//! sizes (its own test binary, for the global allocator).

// A global allocator can only be written with `unsafe`; this one forwards to the system's.
#![allow(unsafe_code)]

mod common;

use neurodyn_core::Rng;
use neurodyn_nn::layers::{numel, ConvCtrnn, ConvCtrnnWorkspace, InitState, WinogradTile};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_second_pass_allocates_nothing() {
    let net = common::four_area_conv(8, 3, (3, 4), 0.2);
    // By im2col, and by Winograd with either tile.
    for tile in [None, Some(WinogradTile::F2), Some(WinogradTile::F4)] {
        second_pass_allocates_nothing(&net.clone().with_winograd_tile(tile));
    }
}

fn second_pass_allocates_nothing(net: &ConvCtrnn) {
    let mut rng = Rng::new(2);
    let params: Vec<f32> = net
        .init_params(&mut rng)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let batch = 3;
    let image: Vec<f32> = (0..batch * numel(net.in_shape()))
        .map(|_| rng.normal() as f32)
        .collect();
    let (steps, read) = (6, 3);
    let d_logits = vec![0.1f32; read * batch * net.n_classes()];
    let mut grads = vec![0.0f32; params.len()];
    let mut d_image = vec![0.0f32; image.len()];
    let mut ws = ConvCtrnnWorkspace::default();
    // (forward, backward) allocations of one pass.
    let mut pass = |ws: &mut ConvCtrnnWorkspace<f32>| {
        let before = ALLOCS.load(Ordering::SeqCst);
        net.forward(&params, ws, &image, InitState::Zero, batch, steps, read);
        let mid = ALLOCS.load(Ordering::SeqCst);
        net.backward(&params, ws, &d_logits, &mut grads, Some(&mut d_image), None);
        (mid - before, ALLOCS.load(Ordering::SeqCst) - mid)
    };
    pass(&mut ws);
    let n = pass(&mut ws);
    assert_eq!(
        n,
        (0, 0),
        "(forward, backward) allocations over a grown workspace, Winograd {:?}",
        net.winograd_maps()
    );
}
