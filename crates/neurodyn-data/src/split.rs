//! Seeded, stratified train/test splits.
//!
//! Each class `c` of `n_c` items gives `t_c` to the test set, where `t_c` depends on [`TestSize`]:
//!
//! - `PerClass(k)`: `t_c = k` for every class.
//! - `Total(T)`: largest-remainder (Hamilton) apportionment of `T` over the classes by size:
//!   `t_c = floor(T n_c / N)`, then the `T - sum_c t_c` left over go one each to the classes with
//!   the largest remainders `T n_c mod N`, ties to the lower class index. The total is exactly
//!   `T`, and every `t_c` is within one of its exact share `T n_c / N`. For the embedded MNIST
//!   subset and `T = 2000` this gives `[200, 225, 198, 206, 196, 173, 203, 214, 189, 196]`.
//! - `Fraction(f)`: `Total(round(f N))`, halves rounded away from zero.
//!
//! Which items of a class go to the test set: the class's indices, in ascending order, shuffled by
//! `Rng::with_stream(seed, c)` (neurodyn-core's PCG64, so bit-identical on every machine); the
//! first `t_c` are the test items. Both parts are returned in ascending index order (the set's
//! own order), so shuffle batches when training on a class-ordered set.

use crate::error::{DataError, Result};
use crate::image_set::ImageSet;
use neurodyn_core::Rng;

/// How much of each class goes to the test set (see the module docs for the rounding rule).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TestSize {
    /// This many items of every class.
    PerClass(usize),
    /// This many items in all, apportioned over the classes by size.
    Total(usize),
    /// This fraction of all items, in `[0, 1]`.
    Fraction(f64),
}

/// `(train, test)`: a seeded split of `set`, stratified by class.
pub fn stratified_split(set: &ImageSet, test: TestSize, seed: u64) -> Result<(ImageSet, ImageSet)> {
    let (train_idx, test_idx) = split_indices(set.labels(), set.n_classes(), test, seed)?;
    Ok((set.select(&train_idx), set.select(&test_idx)))
}

/// `(train, test)` indices into `labels`, each ascending, together covering every index once.
/// Every label must be `< n_classes`.
pub fn split_indices(
    labels: &[u8],
    n_classes: usize,
    test: TestSize,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut by_class = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        let class = by_class
            .get_mut(usize::from(l))
            .ok_or_else(|| invalid(format!("item {i} has label {l} >= {n_classes} classes")))?;
        class.push(i);
    }
    let counts: Vec<usize> = by_class.iter().map(Vec::len).collect();
    let n_test = test_allocation(&counts, test)?;
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (c, (mut items, t)) in by_class.into_iter().zip(n_test).enumerate() {
        Rng::with_stream(seed, c as u64).shuffle(&mut items);
        test.extend_from_slice(&items[..t]);
        train.extend_from_slice(&items[t..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok((train, test))
}

/// How many test items each class of `class_counts` gives under `test`.
pub fn test_allocation(class_counts: &[usize], test: TestSize) -> Result<Vec<usize>> {
    let n: usize = class_counts.iter().sum();
    let alloc = match test {
        TestSize::PerClass(k) => vec![k; class_counts.len()],
        TestSize::Total(total) => apportion(class_counts, n, total)?,
        TestSize::Fraction(f) => {
            if !(0.0..=1.0).contains(&f) {
                return Err(invalid(format!("test fraction {f} is not in [0, 1]")));
            }
            apportion(class_counts, n, (f * n as f64).round() as usize)?
        }
    };
    for (c, (&t, &have)) in alloc.iter().zip(class_counts).enumerate() {
        if t > have {
            return Err(invalid(format!(
                "{t} test items of class {c}, which has {have}"
            )));
        }
    }
    Ok(alloc)
}

/// Largest-remainder apportionment of `total` over `counts` (summing to `n`).
fn apportion(counts: &[usize], n: usize, total: usize) -> Result<Vec<usize>> {
    if total > n {
        return Err(invalid(format!("{total} test items out of {n}")));
    }
    if n == 0 {
        return Ok(vec![0; counts.len()]);
    }
    let (n, total) = (n as u128, total as u128);
    let mut alloc: Vec<usize> = counts
        .iter()
        .map(|&c| (total * c as u128 / n) as usize)
        .collect();
    let left = total as usize - alloc.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    // Largest remainder first; the stable sort keeps the lower class first among equals.
    order.sort_by_key(|&c| std::cmp::Reverse(total * counts[c] as u128 % n));
    for &c in &order[..left] {
        alloc[c] += 1;
    }
    Ok(alloc)
}

fn invalid(message: String) -> DataError {
    DataError::InvalidSplit { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportionment_is_exact_and_rounds_by_largest_remainder() -> Result<()> {
        let mnist = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        let t = test_allocation(&mnist, TestSize::Total(2000))?;
        assert_eq!(t, [200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
        assert_eq!(test_allocation(&mnist, TestSize::Fraction(0.2))?, t);
        // Three equal remainders, two seats: the lower classes win.
        assert_eq!(test_allocation(&[1, 1, 1], TestSize::Total(2))?, [1, 1, 0]);
        assert_eq!(test_allocation(&[5, 3], TestSize::PerClass(3))?, [3, 3]);
        assert!(test_allocation(&[5, 3], TestSize::PerClass(4)).is_err());
        assert!(test_allocation(&[5, 3], TestSize::Total(9)).is_err());
        assert!(test_allocation(&[5, 3], TestSize::Fraction(f64::NAN)).is_err());
        Ok(())
    }
}
