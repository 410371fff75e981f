//! A labelled `(row, feature)` matrix: one layer's activations on a set of images (rows =
//! images, features = the layer's flattened output), with one class label per row. The input of
//! the representation analyses ([`crate::rdm`], [`crate::dprime`]).

use crate::error::{AnalysisError, Result};

/// A borrowed `(n_rows, n_features)` row-major matrix with a class label per row.
#[derive(Clone, Copy, Debug)]
pub struct Features<'a> {
    /// What the matrix is (a layer name), used in error messages.
    pub name: &'a str,
    /// Values, row-major, `n_rows * n_features` long.
    pub data: &'a [f64],
    /// Rows (images).
    pub n_rows: usize,
    /// Features (units) per row.
    pub n_features: usize,
    /// Class label of each row.
    pub labels: &'a [i64],
}

impl<'a> Features<'a> {
    /// Check the shapes and that every value is finite; errors name the array, the row and the
    /// feature.
    pub fn validate(&self) -> Result<()> {
        if self.n_features == 0 {
            return Err(AnalysisError::empty(format!(
                "'{}' has no features",
                self.name
            )));
        }
        if self.data.len() != self.n_rows * self.n_features {
            return Err(AnalysisError::shape(
                format!("'{}' values", self.name),
                &[self.n_rows, self.n_features],
                &[self.data.len()],
            ));
        }
        if self.labels.len() != self.n_rows {
            return Err(AnalysisError::shape(
                format!("labels of '{}' (one per row)", self.name),
                &[self.n_rows],
                &[self.labels.len()],
            ));
        }
        if let Some(i) = self.data.iter().position(|v| !v.is_finite()) {
            return Err(AnalysisError::config(
                self.name,
                format!(
                    "value {} at row {} (label {}), feature {} is not finite",
                    self.data[i],
                    i / self.n_features,
                    self.labels[i / self.n_features],
                    i % self.n_features
                ),
            ));
        }
        Ok(())
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.data[i * self.n_features..(i + 1) * self.n_features]
    }

    /// Whether every feature takes one value over all rows (nothing to decode or regress on).
    pub fn is_constant(&self) -> bool {
        let p = self.n_features;
        (0..p).all(|j| (0..self.n_rows).all(|i| self.data[i * p + j] == self.data[j]))
    }

    /// The distinct labels, ascending.
    pub fn classes(&self) -> Vec<i64> {
        let mut c = self.labels.to_vec();
        c.sort_unstable();
        c.dedup();
        c
    }
}
