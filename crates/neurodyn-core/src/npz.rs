//! `.npz` files numpy opens: a named set of typed n-d arrays, written atomically.
//!
//! [`Npz::save`] writes to `NAME.tmp` beside the target and renames it into place, so an
//! interrupted write never leaves a half file where a good one was. The bytes depend only on the
//! arrays (every zip entry carries the same fixed date), so identical runs write identical files.
//! [`Npz::load`] reads any array of dtype f32, f64, i64, i32, u8 or bool (numpy's defaults and the
//! common small ones) and text (numpy's `<U` and `|S` dtypes), from both `np.savez` and
//! `np.savez_compressed` files, and reports a truncated or foreign file by its path.

use crate::error::{CoreError, Result};
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use std::fs::File;
use std::io::{Read, Write};
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
    /// uint8 (pixels)
    U8(ArrayD<u8>),
    /// text (numpy `<U`, fixed-width UTF-32): names, the task, the format.
    Str(ArrayD<String>),
}

impl NpArray {
    /// The array's shape.
    pub fn shape(&self) -> &[usize] {
        match self {
            NpArray::F32(a) => a.shape(),
            NpArray::F64(a) => a.shape(),
            NpArray::I64(a) => a.shape(),
            NpArray::U8(a) => a.shape(),
            NpArray::Str(a) => a.shape(),
        }
    }
    /// Whether the array holds text rather than numbers.
    pub fn is_text(&self) -> bool {
        matches!(self, NpArray::Str(_))
    }
    /// The strings of a text array, row-major (`None` for numbers).
    pub fn to_strings(&self) -> Option<Vec<String>> {
        match self {
            NpArray::Str(a) => Some(a.iter().cloned().collect()),
            _ => None,
        }
    }
    /// The values as f32 (converted from any numeric dtype; text is NaN), row-major. Arrays
    /// taken through [`Npz::require`] are numeric.
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            NpArray::F32(a) => a.iter().copied().collect(),
            NpArray::F64(a) => a.iter().map(|&v| v as f32).collect(),
            NpArray::I64(a) => a.iter().map(|&v| v as f32).collect(),
            NpArray::U8(a) => a.iter().map(|&v| f32::from(v)).collect(),
            NpArray::Str(a) => vec![f32::NAN; a.len()],
        }
    }
    /// The values as f64 (text is NaN), row-major.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            NpArray::F32(a) => a.iter().map(|&v| v as f64).collect(),
            NpArray::F64(a) => a.iter().copied().collect(),
            NpArray::I64(a) => a.iter().map(|&v| v as f64).collect(),
            NpArray::U8(a) => a.iter().map(|&v| f64::from(v)).collect(),
            NpArray::Str(a) => vec![f64::NAN; a.len()],
        }
    }
    /// The values as i64 if the array is integral, row-major.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        match self {
            NpArray::I64(a) => Some(a.iter().copied().collect()),
            NpArray::U8(a) => Some(a.iter().map(|&v| i64::from(v)).collect()),
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
    /// Add a uint8 array (e.g. pixels).
    pub fn u8(&mut self, name: &str, shape: &[usize], data: Vec<u8>) -> Result<&mut Self> {
        let a = array(name, shape, data)?;
        self.arrays.push((name.to_string(), NpArray::U8(a)));
        Ok(self)
    }
    /// Add a text array (numpy dtype `<U`, as wide as its longest string).
    pub fn strings(&mut self, name: &str, shape: &[usize], data: Vec<String>) -> Result<&mut Self> {
        let a = array(name, shape, data)?;
        self.arrays.push((name.to_string(), NpArray::Str(a)));
        Ok(self)
    }
    /// Add one string as a 0-d text array (`str(z[name])` in numpy).
    pub fn text(&mut self, name: &str, value: &str) -> Result<&mut Self> {
        self.strings(name, &[], vec![value.to_string()])
    }
    /// The array called `name`.
    pub fn get(&self, name: &str) -> Option<&NpArray> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
    /// The string of the 0-d (or one-element) text array `name`, if the file has one.
    pub fn get_text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            NpArray::Str(a) if a.len() == 1 => a.iter().next().cloned(),
            _ => None,
        }
    }
    /// The numeric array called `name`, or an error naming the file and the arrays it does have
    /// (or saying that the array holds text).
    pub fn require(&self, name: &str, path: &Path) -> Result<&NpArray> {
        if let Some(a) = self.get(name).filter(|a| a.is_text()) {
            return Err(CoreError::Npz {
                path: path.to_path_buf(),
                message: format!(
                    "array '{name}' holds text (shape {:?}) where numbers are expected",
                    a.shape()
                ),
            });
        }
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

    /// Write all arrays to `path` (uncompressed), atomically: into a temporary file beside it,
    /// renamed over `path` once complete. On failure the temporary file is removed and `path` is
    /// left as it was.
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("npz.tmp");
        let written = self.save_to(&tmp, path);
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    fn save_to(&self, tmp: &Path, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| CoreError::Io {
            path: tmp.to_path_buf(),
            source: e,
        };
        let npy_err = |name: &str, e: ndarray_npy::WriteNpyError| CoreError::Npz {
            path: tmp.to_path_buf(),
            message: format!("array '{name}': {e}"),
        };
        let zip_err = |e: zip::result::ZipError| CoreError::Npz {
            path: tmp.to_path_buf(),
            message: e.to_string(),
        };
        {
            let file = File::create(tmp).map_err(io)?;
            let mut w = zip::ZipWriter::new(file);
            // Stored entries with a fixed date: the file's bytes depend on the arrays alone.
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .last_modified_time(zip::DateTime::default())
                .large_file(false);
            let mut bytes = Vec::new();
            for (name, a) in &self.arrays {
                bytes.clear();
                match a {
                    NpArray::F32(x) => x.write_npy(&mut bytes),
                    NpArray::F64(x) => x.write_npy(&mut bytes),
                    NpArray::I64(x) => x.write_npy(&mut bytes),
                    NpArray::U8(x) => x.write_npy(&mut bytes),
                    NpArray::Str(x) => {
                        write_text_npy(x, &mut bytes);
                        Ok(())
                    }
                }
                .map_err(|e| npy_err(name, e))?;
                let large = bytes.len() >= u32::MAX as usize;
                w.start_file(format!("{name}.npy"), opts.large_file(large))
                    .map_err(zip_err)?;
                w.write_all(&bytes).map_err(io)?;
            }
            let file = w.finish().map_err(zip_err)?;
            file.sync_all().map_err(io)?;
        }
        std::fs::rename(tmp, path).map_err(|e| CoreError::Io {
            path: path.to_path_buf(),
            source: e,
        })
    }

    /// Read every array of `path`.
    pub fn load(path: &Path) -> Result<Npz> {
        if path.is_dir() {
            return Err(CoreError::Npz {
                path: path.to_path_buf(),
                message: "is a directory, not an .npz file".into(),
            });
        }
        let file = File::open(path).map_err(|e| CoreError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Self::read_from(file, path)
    }

    /// Read every array of an `.npz` held in memory; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Npz> {
        Self::read_from(std::io::Cursor::new(bytes), path)
    }

    fn read_from<R: Read + std::io::Seek>(reader: R, path: &Path) -> Result<Npz> {
        let bad = |m: String| CoreError::Npz {
            path: path.to_path_buf(),
            message: m,
        };
        let mut zip = zip::ZipArchive::new(reader)
            .map_err(|e| bad(format!("not a readable .npz (truncated or not a zip): {e}")))?;
        let mut out = Npz::new();
        for k in 0..zip.len() {
            let mut entry = zip.by_index(k).map_err(|e| bad(e.to_string()))?;
            let name = entry.name().trim_end_matches(".npy").to_string();
            // Read at most the size the archive declares, then check the array's header against
            // the bytes actually there before anything is allocated for its shape.
            let size = entry.size();
            crate::memory::ensure_fits(
                &format!("{}: array '{name}'", path.display()),
                size as f64,
                "the file is corrupt, or too large for this machine",
            )?;
            let mut bytes = Vec::new();
            (&mut entry)
                .take(size)
                .read_to_end(&mut bytes)
                .map_err(|e| bad(format!("array '{name}' is unreadable: {e}")))?;
            if let Some((shape, declared)) = npy_declared_bytes(&bytes) {
                if declared.is_none_or(|d| d > bytes.len()) {
                    return Err(bad(format!(
                        "array '{name}' declares shape {shape:?} but holds {} bytes (truncated or corrupt)",
                        bytes.len()
                    )));
                }
            }
            let Some(a) = read_npy_any(&bytes) else {
                return Err(bad(format!(
                    "array '{name}' is unreadable (truncated, or a dtype other than f32/f64/i64/i32/u8/bool)"
                )));
            };
            out.arrays.push((name, a));
        }
        Ok(out)
    }
}

/// An `.npy` file's array in the first of f32, f64, i64, i32, u8 and bool that reads it (i32 and
/// bool as i64, u8 as itself).
fn read_npy_any(b: &[u8]) -> Option<NpArray> {
    if let Some(a) = read_text_npy(b) {
        Some(NpArray::Str(a))
    } else if let Ok(a) = ArrayD::<f32>::read_npy(b) {
        Some(NpArray::F32(a))
    } else if let Ok(a) = ArrayD::<f64>::read_npy(b) {
        Some(NpArray::F64(a))
    } else if let Ok(a) = ArrayD::<i64>::read_npy(b) {
        Some(NpArray::I64(a))
    } else if let Ok(a) = ArrayD::<i32>::read_npy(b) {
        Some(NpArray::I64(a.mapv(i64::from)))
    } else if let Ok(a) = ArrayD::<u8>::read_npy(b) {
        Some(NpArray::U8(a))
    } else if let Ok(a) = ArrayD::<bool>::read_npy(b) {
        Some(NpArray::I64(a.mapv(i64::from)))
    } else {
        None
    }
}

/// An `.npy` v1 header for `descr` and `shape`, padded so the data starts at a multiple of 64.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b
}

/// A text array as numpy's `<U{width}`: each string as `width` little-endian UTF-32 code
/// points, zero-padded (numpy strips the padding when it reads them).
fn write_text_npy(a: &ArrayD<String>, out: &mut Vec<u8>) {
    let width = a
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .max(1);
    out.extend_from_slice(&npy_header(&format!("<U{width}"), a.shape()));
    for s in a.iter() {
        let n = s.chars().count();
        for c in s.chars() {
            out.extend_from_slice(&u32::from(c).to_le_bytes());
        }
        out.extend(std::iter::repeat_n(0u8, 4 * (width - n)));
    }
}

/// The parts of an `.npy` header: dtype string, Fortran order, shape, and where the data starts.
fn npy_parts(b: &[u8]) -> Option<(String, bool, Vec<usize>, usize)> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return None;
    }
    let (len, start): (usize, usize) = match b[6] {
        1 => (usize::from(u16::from_le_bytes([b[8], b[9]])), 10),
        _ if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        _ => return None,
    };
    let end = start.checked_add(len)?;
    let header = std::str::from_utf8(b.get(start..end)?).ok()?;
    let after = |key: &str| header.find(key).map(|i| &header[i + key.len()..]);
    let descr = after("'descr'")?;
    let descr = descr[descr.find('\'')? + 1..]
        .split('\'')
        .next()?
        .to_string();
    let fortran = after("'fortran_order'")?
        .trim_start_matches([':', ' '])
        .starts_with("True");
    let shape = after("'shape'")?;
    let shape = &shape[shape.find('(')? + 1..shape.find(')')?];
    let dims: Vec<usize> = shape
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    Some((descr, fortran, dims, end))
}

/// A text array (`<U`/`|U` UTF-32 or `|S` bytes, C order) from `.npy` bytes; `None` for any other
/// dtype, a Fortran-order array, or data that does not fit the header.
fn read_text_npy(b: &[u8]) -> Option<ArrayD<String>> {
    let (descr, fortran, shape, start) = npy_parts(b)?;
    let (wide, width) = if let Some(w) = descr.strip_prefix("<U").or(descr.strip_prefix("|U")) {
        (true, w.parse::<usize>().ok()?)
    } else if let Some(w) = descr.strip_prefix("|S") {
        (false, w.parse::<usize>().ok()?)
    } else {
        return None;
    };
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let item = if wide { width.checked_mul(4)? } else { width };
    let data = b.get(start..start.checked_add(count.checked_mul(item)?)?)?;
    if fortran && shape.len() > 1 {
        return None;
    }
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let cell = &data[k * item..(k + 1) * item];
        let s: String = if wide {
            let chars: Option<String> = cell
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .take_while(|&c| c != 0)
                .map(char::from_u32)
                .collect();
            chars?
        } else {
            let n = cell.iter().position(|&c| c == 0).unwrap_or(item);
            String::from_utf8_lossy(&cell[..n]).into_owned()
        };
        out.push(s);
    }
    ArrayD::from_shape_vec(IxDyn(&shape), out).ok()
}

/// The shape an `.npy` file's header declares and the bytes (header included) that its data
/// then needs, or `None` when the header cannot be parsed (left to the reader to report). The
/// byte count is `None` when it overflows.
fn npy_declared_bytes(b: &[u8]) -> Option<(Vec<usize>, Option<usize>)> {
    let (descr, _, dims, start) = npy_parts(b)?;
    let digits: usize = descr
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    // Text of width w takes 4w bytes per item in numpy's UTF-32 `U` dtype.
    let item = if descr.contains('U') {
        digits.checked_mul(4)
    } else {
        Some(digits)
    };
    let data = dims
        .iter()
        .try_fold(item?, |acc, &d| acc.checked_mul(d))
        .and_then(|d| d.checked_add(start));
    Some((dims, data))
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

    #[test]
    fn a_header_declaring_more_than_the_file_holds_is_refused_before_allocating() {
        let dir = std::env::temp_dir().join(format!("nd-npz-big-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        // A valid version-1 header (padded to 64 bytes) claiming 1.2e14 bytes, then 16 bytes.
        let npy = |shape: &str| {
            let mut h = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
            while (10 + h.len() + 1) % 64 != 0 {
                h.push(' ');
            }
            h.push('\n');
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            b.extend_from_slice(&(h.len() as u16).to_le_bytes());
            b.extend_from_slice(h.as_bytes());
            b.extend_from_slice(&[0u8; 16]);
            b
        };
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.join(name);
            let mut w = zip::ZipWriter::new(File::create(&p).expect("create"));
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            w.start_file("inputs.npy", opts).expect("entry");
            std::io::Write::write_all(&mut w, bytes).expect("write");
            w.finish().expect("finish");
            p
        };
        let huge = write("huge.npz", &npy("(100000000, 100000, 3)"));
        let err = Npz::load(&huge).expect_err("refused").to_string();
        assert!(
            err.contains("inputs")
                && err.contains("[100000000, 100000, 3]")
                && err.contains("huge.npz"),
            "{err}"
        );
        // Overflowing the byte count is refused too; a header that fits its data is read.
        let over = write("over.npz", &npy("(18446744073709551615, 2)"));
        assert!(Npz::load(&over).is_err());
        let fits = write("fits.npz", &npy("(2, 2)"));
        let z = Npz::load(&fits).expect("four floats");
        assert_eq!(z.get("inputs").expect("inputs").shape(), [2, 2]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn text_arrays_round_trip_and_files_are_byte_identical() {
        let dir = std::env::temp_dir().join(format!("nd-npz-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut z = Npz::new();
        z.text("task_name", "PerceptualDecisionMaking")
            .expect("task");
        z.strings(
            "input_names",
            &[3],
            vec!["fixation".into(), "stimulus θ".into(), String::new()],
        )
        .expect("names");
        z.f64("dt_ms", &[], vec![20.0]).expect("dt");
        let (a, b) = (dir.join("a.npz"), dir.join("b.npz"));
        z.save(&a).expect("save a");
        std::thread::sleep(std::time::Duration::from_millis(1100));
        z.save(&b).expect("save b");
        let bytes = std::fs::read(&a).expect("read a");
        assert_eq!(
            bytes,
            std::fs::read(&b).expect("read b"),
            "same arrays, same bytes"
        );
        let back = Npz::load(&a).expect("load");
        assert_eq!(back, z);
        assert_eq!(
            back.get_text("task_name").as_deref(),
            Some("PerceptualDecisionMaking")
        );
        assert!(back.get("input_names").expect("names").is_text());
        let e = back
            .require("input_names", &a)
            .expect_err("text is not numbers");
        assert!(e.to_string().contains("holds text"), "{e}");
        // numpy's header for the names: width 10 code points, shape (3,).
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("'descr': '<U10'") && text.contains("'shape': (3,)"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
