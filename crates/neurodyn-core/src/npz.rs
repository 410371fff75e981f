//! `.npz` files numpy opens: a named set of typed n-d arrays, written atomically.
//!
//! [`Npz::save`] writes to `NAME.tmp` beside the target and renames it into place, so an
//! interrupted write never leaves a half file where a good one was. [`Npz::load`] reads any array of
//! dtype f32, f64, i64, i32, u8 or bool (numpy's defaults and the common small ones), from both
//! `np.savez` and `np.savez_compressed` files, and reports a truncated or foreign file by its path.

use crate::error::{CoreError, Result};
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzReader, NpzWriter};
use std::fs::File;
use std::path::Path;

/// One typed array.
#[derive(Clone, Debug, PartialEq)]
pub enum NpArray {
    /// float32
    F32(ArrayD<f32>),
    /// float64
    F64(ArrayD<f64>),
    /// int64
    I64(ArrayD<i64>),
}

impl NpArray {
    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            NpArray::F32(a) => a.shape(),
            NpArray::F64(a) => a.shape(),
            NpArray::I64(a) => a.shape(),
        }
    }
    /// The values as f32 (converted from any dtype), row-major.
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            NpArray::F32(a) => a.iter().copied().collect(),
            NpArray::F64(a) => a.iter().map(|&v| v as f32).collect(),
            NpArray::I64(a) => a.iter().map(|&v| v as f32).collect(),
        }
    }
    /// The values as f64, row-major.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            NpArray::F32(a) => a.iter().map(|&v| v as f64).collect(),
            NpArray::F64(a) => a.iter().copied().collect(),
            NpArray::I64(a) => a.iter().map(|&v| v as f64).collect(),
        }
    }
    /// The values as i64 if the array is integral, row-major.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        match self {
            NpArray::I64(a) => Some(a.iter().copied().collect()),
            _ => None,
        }
    }
}

/// An ordered collection of named arrays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Npz {
    /// `(name, array)` in write order.
    pub arrays: Vec<(String, NpArray)>,
}

fn array<T: Clone>(what: &str, shape: &[usize], data: Vec<T>) -> Result<ArrayD<T>> {
    let n: usize = shape.iter().product();
    if n != data.len() {
        return Err(CoreError::shape(what, shape, &[data.len()]));
    }
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| CoreError::invalid(what, e.to_string()))
}

impl Npz {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add a float32 array of the given shape (row-major data).
    pub fn f32(&mut self, name: &str, shape: &[usize], data: Vec<f32>) -> Result<&mut Self> {
        let a = array(name, shape, data)?;
        self.arrays.push((name.to_string(), NpArray::F32(a)));
        Ok(self)
    }
    /// Add a float64 array.
    pub fn f64(&mut self, name: &str, shape: &[usize], data: Vec<f64>) -> Result<&mut Self> {
        let a = array(name, shape, data)?;
        self.arrays.push((name.to_string(), NpArray::F64(a)));
        Ok(self)
    }
    /// Add an int64 array.
    pub fn i64(&mut self, name: &str, shape: &[usize], data: Vec<i64>) -> Result<&mut Self> {
        let a = array(name, shape, data)?;
        self.arrays.push((name.to_string(), NpArray::I64(a)));
        Ok(self)
    }
    /// The array called `name`.
    pub fn get(&self, name: &str) -> Option<&NpArray> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
    /// The array called `name`, or an error naming the file and the arrays it does have.
    pub fn require(&self, name: &str, path: &Path) -> Result<&NpArray> {
        self.get(name).ok_or_else(|| CoreError::Npz {
            path: path.to_path_buf(),
            message: format!(
                "no array named '{name}' (it has: {})",
                self.arrays
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    }

    /// Write all arrays to `path` (uncompressed), atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("npz.tmp");
        let io = |e: std::io::Error| CoreError::Io {
            path: tmp.clone(),
            source: e,
        };
        let npz_err = |e: ndarray_npy::WriteNpzError| CoreError::Npz {
            path: tmp.clone(),
            message: e.to_string(),
        };
        {
            let file = File::create(&tmp).map_err(io)?;
            let mut w = NpzWriter::new(file);
            for (name, a) in &self.arrays {
                match a {
                    NpArray::F32(x) => w.add_array(name.as_str(), x),
                    NpArray::F64(x) => w.add_array(name.as_str(), x),
                    NpArray::I64(x) => w.add_array(name.as_str(), x),
                }
                .map_err(npz_err)?;
            }
            let file = w.finish().map_err(npz_err)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, path).map_err(|e| CoreError::Io {
            path: path.to_path_buf(),
            source: e,
        })
    }

    /// Read every array of `path`.
    pub fn load(path: &Path) -> Result<Npz> {
        let bad = |m: String| CoreError::Npz {
            path: path.to_path_buf(),
            message: m,
        };
        let file = File::open(path).map_err(|e| CoreError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let mut r = NpzReader::new(file)
            .map_err(|e| bad(format!("not a readable .npz (truncated or not a zip): {e}")))?;
        let names = r.names().map_err(|e| bad(e.to_string()))?;
        let mut out = Npz::new();
        for raw in names {
            let name = raw.trim_end_matches(".npy").to_string();
            let a = if let Ok(a) = r.by_name::<ndarray::OwnedRepr<f32>, IxDyn>(&raw) {
                NpArray::F32(a)
            } else if let Ok(a) = r.by_name::<ndarray::OwnedRepr<f64>, IxDyn>(&raw) {
                NpArray::F64(a)
            } else if let Ok(a) = r.by_name::<ndarray::OwnedRepr<i64>, IxDyn>(&raw) {
                NpArray::I64(a)
            } else if let Ok(a) = r.by_name::<ndarray::OwnedRepr<i32>, IxDyn>(&raw) {
                NpArray::I64(a.mapv(i64::from))
            } else if let Ok(a) = r.by_name::<ndarray::OwnedRepr<u8>, IxDyn>(&raw) {
                NpArray::I64(a.mapv(i64::from))
            } else if let Ok(a) = r.by_name::<ndarray::OwnedRepr<bool>, IxDyn>(&raw) {
                NpArray::I64(a.mapv(i64::from))
            } else {
                return Err(bad(format!(
                    "array '{name}' is unreadable (truncated, or a dtype other than f32/f64/i64/i32/u8/bool)"
                )));
            };
            out.arrays.push((name, a));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation_is_an_error() {
        let dir = std::env::temp_dir().join(format!("nd-npz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("a.npz");
        let mut z = Npz::new();
        z.f32("x", &[2, 3], (0..6).map(|v| v as f32).collect())
            .expect("x");
        z.i64("y", &[3], vec![1, 2, 3]).expect("y");
        z.save(&p).expect("save");
        let back = Npz::load(&p).expect("load");
        assert_eq!(back, z);
        let bytes = std::fs::read(&p).expect("read");
        std::fs::write(&p, &bytes[..bytes.len() / 2]).expect("write");
        let err = Npz::load(&p).unwrap_err().to_string();
        assert!(err.contains("a.npz"), "{err}");
        assert!(z.f32("bad", &[4], vec![1.0]).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
