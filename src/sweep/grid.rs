//! The combinations a sweep runs: the cartesian product of the parameter values (the first parameter, in name
//! order, varies slowest), filtered by the constraints, optionally sampled (seeded), and split into shards.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

use super::spec::{Constraint, SweepSection};
use crate::error::{Error, Result};

/// Largest number of combinations a grid may have before constraints and sampling.
const MAX_COMBINATIONS: usize = 10_000_000;

/// The combinations of a sweep, numbered from 0 in a fixed order: the number is the combination's identity in
/// `results.csv`, in shards and in the merge.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Parameter names, in name order.
    pub names: Vec<String>,
    /// Every combination's values, in the order of `names`.
    pub combinations: Vec<Vec<Decimal>>,
}

impl Grid {
    /// A combination's `values` by name: `fast=10, slow=30`.
    pub fn describe(&self, values: &[Decimal]) -> String {
        let pairs: Vec<String> = self.names.iter().zip(values).map(|(n, v)| format!("{n}={v}")).collect();
        pairs.join(", ")
    }

    /// Expands `section`: the product of every parameter's values, those meeting all constraints, then — with
    /// `samples` — that many drawn at random with `seed` (kept in grid order).
    ///
    /// # Errors
    /// [`Error::Config`] for a malformed parameter or constraint, a grid over ten million combinations, or no
    /// combination meeting the constraints.
    pub fn expand(section: &SweepSection, seed: u64) -> Result<Self> {
        let names: Vec<String> = section.params.keys().cloned().collect();
        let values: Vec<Vec<Decimal>> =
            section.params.iter().map(|(key, values)| values.expand(key)).collect::<Result<_>>()?;
        let constraints: Vec<Constraint> =
            section.constraints.iter().map(|c| Constraint::parse(c, &names)).collect::<Result<_>>()?;
        let total = values.iter().try_fold(1usize, |n, v| n.checked_mul(v.len())).unwrap_or(usize::MAX);
        if total > MAX_COMBINATIONS {
            return Err(Error::Config(format!(
                "sweep.params: {total} combinations is more than {MAX_COMBINATIONS}; use samples: N"
            )));
        }
        let mut combinations = Vec::new();
        let mut combination = Vec::with_capacity(names.len());
        product(&values, &mut combination, &mut |c| {
            if constraints.iter().all(|k| k.holds(c)) {
                combinations.push(c.to_vec());
            }
        });
        if combinations.is_empty() {
            return Err(Error::Config("sweep: no combination meets the constraints".into()));
        }
        if let Some(samples) = section.samples {
            if samples == 0 {
                return Err(Error::Config("sweep.samples: must be at least 1".into()));
            }
            combinations = sample(combinations, samples, seed);
        }
        Ok(Grid { names, combinations })
    }

    /// The numbers of the combinations that `shard` runs.
    pub fn numbers(&self, shard: Shard) -> impl Iterator<Item = usize> + '_ {
        (0..self.combinations.len()).filter(move |n| n % shard.count == shard.index)
    }
}

/// Calls `visit` with every combination of `values`, the first list varying slowest.
fn product(values: &[Vec<Decimal>], prefix: &mut Vec<Decimal>, visit: &mut impl FnMut(&[Decimal])) {
    let Some((first, rest)) = values.split_first() else {
        visit(prefix);
        return;
    };
    for &value in first {
        prefix.push(value);
        product(rest, prefix, visit);
        prefix.pop();
    }
}

/// `samples` of `combinations` chosen uniformly without replacement (all of them when there are no more), in
/// their original order.
fn sample(combinations: Vec<Vec<Decimal>>, samples: usize, seed: u64) -> Vec<Vec<Decimal>> {
    if samples >= combinations.len() {
        return combinations;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..combinations.len()).collect();
    for i in 0..samples {
        let j = rng.random_range(i..order.len());
        order.swap(i, j);
    }
    let mut chosen = order[..samples].to_vec();
    chosen.sort_unstable();
    let mut combinations: Vec<Option<Vec<Decimal>>> = combinations.into_iter().map(Some).collect();
    chosen.into_iter().filter_map(|i| combinations[i].take()).collect()
}

/// Which part of the combinations a process runs: those whose number `n` has `n % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep in one process.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n` (0 ≤ i < n), as `--shard` takes it; `i` is what a Kubernetes Indexed Job puts in
    /// `JOB_COMPLETION_INDEX`.
    ///
    /// # Errors
    /// [`Error::Config`] when the text is not `i/n` with `0 ≤ i < n`.
    pub fn parse(text: &str) -> Result<Self> {
        let parsed = text.split_once('/').and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if index < count => Ok(Shard { index, count }),
            _ => Err(Error::Config(format!("--shard '{text}': write it as i/n with 0 <= i < n, such as 0/3"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::spec::ParamValues;
    use rust_decimal::dec;
    use std::collections::BTreeMap;

    fn section(samples: Option<usize>) -> SweepSection {
        SweepSection {
            params: BTreeMap::from([
                ("fast".to_string(), ParamValues::Range("5..50 step 5".into())),
                ("slow".to_string(), ParamValues::Range("20..200 step 20".into())),
            ]),
            constraints: vec!["fast < slow".into()],
            samples,
            objective: Default::default(),
            top: 10,
            walk_forward: Default::default(),
        }
    }

    #[test]
    fn the_issue_grid_has_ninety_combinations_in_fixed_order() {
        let grid = Grid::expand(&section(None), 0).unwrap();
        assert_eq!(grid.names, ["fast", "slow"]);
        assert_eq!(grid.combinations.len(), 90, "10 × 10 less the 10 pairs with fast ≥ slow");
        assert_eq!(grid.combinations[0], [dec!(5), dec!(20)]);
        assert_eq!(grid.combinations[1], [dec!(5), dec!(40)]);
        assert_eq!(grid.combinations.last().unwrap(), &[dec!(50), dec!(200)]);
    }

    #[test]
    fn random_search_is_seeded_and_keeps_grid_order() {
        let a = Grid::expand(&section(Some(12)), 7).unwrap();
        assert_eq!(a, Grid::expand(&section(Some(12)), 7).unwrap());
        assert_ne!(a, Grid::expand(&section(Some(12)), 8).unwrap());
        let all = Grid::expand(&section(None), 7).unwrap();
        let positions: Vec<usize> =
            a.combinations.iter().map(|c| all.combinations.iter().position(|x| x == c).unwrap()).collect();
        assert_eq!(positions.len(), 12);
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    }

    #[test]
    fn shards_split_the_combinations_without_overlap() {
        let grid = Grid::expand(&section(None), 0).unwrap();
        let mut seen: Vec<usize> = (0..3).flat_map(|i| grid.numbers(Shard { index: i, count: 3 })).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..90).collect::<Vec<_>>());
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["3/3", "1", "a/b", "-1/2"] {
            assert!(Shard::parse(bad).unwrap_err().to_string().contains("i/n"), "{bad}");
        }
    }
}
