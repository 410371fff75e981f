//! Stratified splits: per-class counts, disjoint, covering, and a function of the seed.

use neurodyn_data::split::split_indices;
use neurodyn_data::{stratified_split, DataError, ImageSet, TestSize};

/// 3 classes of 10, 6 and 4 items of 1x1x1, interleaved; pixel = index, so items are traceable.
fn toy() -> Result<ImageSet, DataError> {
    let labels: Vec<u8> = (0..20u8)
        .map(|i| [0, 0, 1, 0, 2, 1, 0, 0, 1, 2][usize::from(i % 10)])
        .collect();
    let names = vec!["a".into(), "b".into(), "c".into()];
    ImageSet::new((0..20).collect(), labels, [1, 1, 1], names)
}

#[test]
fn split_is_stratified_disjoint_covering_and_seeded() -> Result<(), DataError> {
    let set = toy()?;
    assert_eq!(set.class_counts(), [10, 6, 4]);
    for test in [
        TestSize::PerClass(2),
        TestSize::Total(5),
        TestSize::Fraction(0.5),
    ] {
        let (tr, te) = split_indices(set.labels(), 3, test, 1)?;
        let mut all: Vec<usize> = tr.iter().chain(&te).copied().collect();
        all.sort_unstable();
        assert_eq!(
            all,
            (0..20).collect::<Vec<_>>(),
            "{test:?}: disjoint and covering"
        );
        assert!(tr.windows(2).all(|w| w[0] < w[1]) && te.windows(2).all(|w| w[0] < w[1]));
    }
    let (train, test) = stratified_split(&set, TestSize::Total(5), 1)?;
    // 5 * [10, 6, 4] / 20 = [2.5, 1.5, 1.0]: remainders .5, .5, 0 -> the lower class gets the extra.
    assert_eq!(test.class_counts(), [3, 1, 1]);
    assert_eq!(train.class_counts(), [7, 5, 3]);
    // Labels travel with their pixels.
    for part in [&train, &test] {
        for (i, &l) in part.labels().iter().enumerate() {
            assert_eq!(set.labels()[usize::from(part.image(i)[0])], l);
        }
    }
    let same = split_indices(set.labels(), 3, TestSize::Total(5), 1)?;
    assert_eq!(same, split_indices(set.labels(), 3, TestSize::Total(5), 1)?);
    let others: Vec<_> = (2..6)
        .map(|s| split_indices(set.labels(), 3, TestSize::Total(5), s))
        .collect::<Result<_, _>>()?;
    assert!(
        others.iter().any(|o| *o != same),
        "the seed changes the split"
    );
    Ok(())
}

#[test]
fn impossible_splits_are_errors() -> Result<(), DataError> {
    let set = toy()?;
    for bad in [
        TestSize::PerClass(5),
        TestSize::Total(21),
        TestSize::Fraction(1.5),
    ] {
        let e = stratified_split(&set, bad, 0);
        assert!(matches!(e, Err(DataError::InvalidSplit { .. })), "{bad:?}");
    }
    let e = split_indices(&[0, 3], 2, TestSize::Total(1), 0);
    assert!(matches!(e, Err(DataError::InvalidSplit { .. })));
    Ok(())
}
