//! IDX files, the format of MNIST, Fashion-MNIST and KMNIST (LeCun et al., 1998), raw or gzipped.
//!
//! Layout (big-endian): two zero bytes, a type code (0x08 = unsigned byte, the only one read
//! here), the rank `r`, then `r` dimensions as u32, then the row-major data. Images are rank 3
//! (magic 0x00000803, `N x H x W`), labels rank 1 (magic 0x00000801, `N`). A file whose first
//! two bytes are the gzip magic `1f 8b` is decompressed on the fly.
//!
//! The header is checked before any data is read, and the data buffer only ever grows with bytes
//! actually present, so a header declaring 2^40 items over a few bytes is a
//! [`DataError::Truncated`], not an allocation failure.
//!
//! ```
//! use neurodyn_data::idx;
//! let bytes = idx::encode(&[2, 3], &[1, 2, 3, 4, 5, 6]);
//! let a = idx::parse(&bytes, "a.idx")?;
//! assert_eq!((a.dims.as_slice(), a.data.as_slice()), (&[2usize, 3][..], &[1u8, 2, 3, 4, 5, 6][..]));
//! # Ok::<(), neurodyn_data::DataError>(())
//! ```

use crate::error::{DataError, Result};
use flate2::read::MultiGzDecoder;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// An unsigned-byte IDX array: its dimensions and its row-major data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idx {
    /// The dimensions, outermost first.
    pub dims: Vec<usize>,
    /// The values, row-major; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

/// The IDX type code of unsigned bytes.
const UBYTE: u8 = 0x08;

impl Idx {
    /// The magic number of this array's header: `0x0000_08rr` for rank `rr`.
    pub fn magic(&self) -> u32 {
        magic_for_rank(self.dims.len())
    }

    /// This array if it has `rank` dimensions, else [`DataError::BadMagic`] naming `file`.
    pub fn expect_rank(self, rank: usize, file: &Path) -> Result<Self> {
        if self.dims.len() == rank {
            Ok(self)
        } else {
            Err(DataError::BadMagic {
                file: file.to_path_buf(),
                expected: magic_for_rank(rank),
                found: self.magic(),
            })
        }
    }
}

fn magic_for_rank(rank: usize) -> u32 {
    (u32::from(UBYTE) << 8) | (rank as u32 & 0xff)
}

/// Reads an IDX file, raw or gzipped.
pub fn read(path: impl AsRef<Path>) -> Result<Idx> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&bytes, path)
}

/// Parses the bytes of an IDX file, raw or gzipped; `file` names it in errors.
pub fn parse(bytes: &[u8], file: impl AsRef<Path>) -> Result<Idx> {
    let file = file.as_ref();
    if bytes.starts_with(&[0x1f, 0x8b]) {
        from_reader(MultiGzDecoder::new(bytes), file)
    } else {
        from_reader(bytes, file)
    }
}

/// The raw (uncompressed) IDX encoding of an unsigned-byte array.
///
/// Panics if `data.len()` is not the product of `dims`, or a dimension or the rank exceeds the
/// format's limits (u32, 255): those are programmer errors.
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert!(dims.len() <= 255, "IDX rank {} exceeds 255", dims.len());
    assert_eq!(
        dims.iter().product::<usize>(),
        data.len(),
        "IDX dims {dims:?} do not match {} data bytes",
        data.len()
    );
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, UBYTE, dims.len() as u8]);
    for &d in dims {
        let d = u32::try_from(d).expect("IDX dimension exceeds u32");
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn from_reader(mut r: impl Read, file: &Path) -> Result<Idx> {
    let io_err = |source| DataError::Io {
        file: file.to_path_buf(),
        source,
    };
    let mut head = [0u8; 4];
    let got = read_full(&mut r, &mut head).map_err(io_err)?;
    if got < head.len() {
        return Err(truncated_header(file, 4, got));
    }
    if head[..2] != [0, 0] {
        return Err(DataError::NotIdx {
            file: file.to_path_buf(),
            found: u32::from_be_bytes(head),
        });
    }
    if head[2] != UBYTE {
        return Err(DataError::UnsupportedType {
            file: file.to_path_buf(),
            code: head[2],
        });
    }
    let rank = usize::from(head[3]);
    let mut raw_dims = vec![0u8; 4 * rank];
    let got = read_full(&mut r, &mut raw_dims).map_err(io_err)?;
    if got < raw_dims.len() {
        return Err(truncated_header(file, 4 + raw_dims.len(), 4 + got));
    }
    let dims: Vec<u32> = raw_dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    // Saturating: a product past u64::MAX is simply more than any file holds.
    let expected = dims
        .iter()
        .fold(1u64, |n, &d| n.saturating_mul(u64::from(d)));
    let mut data = Vec::new();
    (&mut r)
        .take(expected.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(io_err)?;
    let found = data.len() as u64;
    if found < expected {
        return Err(DataError::Truncated {
            file: file.to_path_buf(),
            dims,
            expected,
            found,
        });
    }
    if found > expected {
        let rest = io::copy(&mut r, &mut io::sink()).map_err(io_err)?;
        return Err(DataError::TrailingData {
            file: file.to_path_buf(),
            dims,
            expected,
            extra: 1 + rest,
        });
    }
    Ok(Idx {
        dims: dims.into_iter().map(|d| d as usize).collect(),
        data,
    })
}

fn truncated_header(file: &Path, expected: usize, found: usize) -> DataError {
    DataError::TruncatedHeader {
        file: PathBuf::from(file),
        expected: expected as u64,
        found: found as u64,
    }
}

/// Fills `buf` as far as the reader allows; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_names_type_and_rank() {
        let a = parse(&encode(&[4], &[0, 1, 2, 3]), "l").map(|a| a.magic());
        assert_eq!(a.ok(), Some(0x0000_0801));
        let e = parse(&encode(&[1, 1, 1], &[7]), "x")
            .and_then(|a| a.expect_rank(1, Path::new("x")))
            .map(|_| ());
        assert!(matches!(
            e,
            Err(DataError::BadMagic {
                expected: 0x801,
                found: 0x803,
                ..
            })
        ));
    }
}
