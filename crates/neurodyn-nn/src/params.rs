//! A network's parameters: named matrices stored back to back in one flat buffer.
//!
//! One flat buffer keeps the optimizer, gradient clipping, checkpoints and the gradient checks
//! trivial (they see a single slice), while names and shapes keep the file format and the user's
//! view meaningful (`cell.w_rec` is `(n_rec, n_rec)`, row-major, `w[i, j]` = weight from unit j to i).

use crate::real::Real;

/// Name and shape of one parameter tensor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    /// Dotted name, e.g. `cell.w_rec`.
    pub name: String,
    /// Rows (1 for vectors).
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

impl ParamSpec {
    /// A `rows × cols` parameter.
    pub fn new(name: &str, rows: usize, cols: usize) -> Self {
        ParamSpec {
            name: name.to_string(),
            rows,
            cols,
        }
    }
    /// Number of scalars.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }
    /// Whether it holds no scalar.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The layout of a flat parameter buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// Tensors in storage order.
    pub specs: Vec<ParamSpec>,
    /// Start offset of each tensor.
    pub offsets: Vec<usize>,
    /// Total number of scalars.
    pub total: usize,
}

impl Layout {
    /// Lay out tensors back to back.
    pub fn new(specs: Vec<ParamSpec>) -> Self {
        let mut offsets = Vec::with_capacity(specs.len());
        let mut at = 0;
        for s in &specs {
            offsets.push(at);
            at += s.len();
        }
        Layout {
            specs,
            offsets,
            total: at,
        }
    }
    /// Index of the tensor called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.specs.iter().position(|s| s.name == name)
    }
    /// Range of tensor `i` in the flat buffer.
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i] + self.specs[i].len()
    }
    /// Range of the tensor called `name`.
    pub fn range_of(&self, name: &str) -> Option<std::ops::Range<usize>> {
        self.index(name).map(|i| self.range(i))
    }
}

/// Split a flat buffer into consecutive mutable pieces of the given lengths.
pub fn split_mut<'a, T>(mut buf: &'a mut [T], lens: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(lens.len());
    for &l in lens {
        let (a, b) = buf.split_at_mut(l);
        out.push(a);
        buf = b;
    }
    out
}

/// Split a flat buffer into consecutive pieces of the given lengths.
pub fn split<'a, T>(mut buf: &'a [T], lens: &[usize]) -> Vec<&'a [T]> {
    let mut out = Vec::with_capacity(lens.len());
    for &l in lens {
        let (a, b) = buf.split_at(l);
        out.push(a);
        buf = b;
    }
    out
}

/// Write a cell's initial values (f64) into its parameter tensors, which lie back to back in
/// `params` in the order of `specs`; `pieces[i]` must hold exactly the i-th tensor's values.
pub fn write_initial<T: Real>(params: &mut [T], specs: &[ParamSpec], pieces: &[&[f64]]) {
    assert_eq!(
        specs.len(),
        pieces.len(),
        "write_initial: one piece per parameter tensor"
    );
    let mut at = 0;
    for (spec, piece) in specs.iter().zip(pieces) {
        assert_eq!(
            piece.len(),
            spec.len(),
            "initial values of {} have the wrong length",
            spec.name
        );
        for (d, &v) in params[at..at + piece.len()].iter_mut().zip(piece.iter()) {
            *d = T::c(v);
        }
        at += piece.len();
    }
}

/// Convert a buffer between float types.
pub fn cast<A: Real, B: Real>(v: &[A]) -> Vec<B> {
    v.iter().map(|&x| B::c(x.f())).collect()
}
