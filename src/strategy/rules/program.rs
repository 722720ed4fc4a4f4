//! A compiled expression ([`Program`]): a flat postfix list of [`Op`]s over slots resolved at compile time — no
//! text, no names, no allocation when it runs — and the [`Ring`]s of recent values its loads read.

use rust_decimal::Decimal;
use std::cmp::Ordering;

use super::parse::BinOp;
use super::value::Num;

/// A value of the strategy's own state, read at the bar being decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StateVar {
    /// Signed base quantity held.
    Position,
    /// Free quote cash.
    Cash,
    /// Closed bars since the position opened (0 while flat; 1 at the close of the bar the entry filled in).
    BarsHeld,
}

/// One step of a program.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op {
    /// Push a number.
    Const(Num),
    /// Push the value of series `series`, `lag` bars ago (missing → the program has no value).
    Load { series: u32, lag: u32 },
    /// Push a state value.
    State(StateVar),
    /// Replace the top number by its negation.
    Neg,
    /// Replace the top number by its absolute value.
    Abs,
    /// Combine the two top numbers.
    Arith(BinOp),
    /// The smaller of the two top numbers.
    Min,
    /// The larger of the two top numbers.
    Max,
    /// Compare the two top numbers, pushing a boolean.
    Cmp(BinOp),
    /// Combine the two top booleans.
    Logic(BinOp),
    /// Negate the top boolean.
    Not,
}

/// What a program yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Type {
    /// A condition.
    Bool,
    /// A number (a price, a distance).
    Num,
}

/// A compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Program {
    /// The steps, in postfix order.
    pub ops: Vec<Op>,
    /// What it yields.
    pub result: Type,
}

/// The last values of one series, newest first when read; `None` where it had no value (warming up).
#[derive(Clone, Debug)]
pub(super) struct Ring {
    values: Vec<Option<Num>>,
    next: usize,
    len: usize,
}

impl Ring {
    /// Keeps the last `depth` values (at least one).
    pub(super) fn new(depth: usize) -> Self {
        Ring { values: vec![None; depth.max(1)], next: 0, len: 0 }
    }

    /// Adds the newest value.
    #[inline]
    pub(super) fn push(&mut self, value: Option<Num>) {
        self.values[self.next] = value;
        self.next = if self.next + 1 == self.values.len() { 0 } else { self.next + 1 };
        self.len = (self.len + 1).min(self.values.len());
    }

    /// The value `lag` bars ago (0: the newest).
    #[inline]
    pub(super) fn get(&self, lag: usize) -> Option<Num> {
        if lag >= self.len {
            return None;
        }
        // next − 1 − lag, wrapped once (lag < len ≤ depth): no division per read
        let back = lag + 1;
        let index = if back <= self.next { self.next - back } else { self.next + self.values.len() - back };
        self.values[index]
    }
}

/// What a program reads besides its constants.
pub(super) struct Frame<'a> {
    /// The series, by index.
    pub series: &'a [Ring],
    /// Signed position.
    pub position: Decimal,
    /// Free cash.
    pub cash: Decimal,
    /// Bars held.
    pub bars_held: u64,
}

/// The evaluation stacks a stream reuses for every program (sized once, so evaluation never allocates).
#[derive(Clone, Debug, Default)]
pub(super) struct Stacks {
    nums: Vec<Num>,
    bools: Vec<bool>,
}

impl Stacks {
    /// Stacks deep enough for programs of up to `ops` steps.
    pub(super) fn with_room(ops: usize) -> Self {
        Stacks { nums: Vec::with_capacity(ops), bools: Vec::with_capacity(ops) }
    }
}

impl Program {
    /// The condition's value; false whenever a value it reads is missing (an indicator still warming up, a lag
    /// beyond what has been seen, a division by zero).
    #[inline]
    pub(super) fn holds(&self, frame: &Frame<'_>, stacks: &mut Stacks) -> bool {
        self.run(frame, stacks).is_some() && stacks.bools.pop().unwrap_or(false)
    }

    /// The number's value; `None` whenever a value it reads is missing.
    #[inline]
    pub(super) fn value(&self, frame: &Frame<'_>, stacks: &mut Stacks) -> Option<Num> {
        self.run(frame, stacks)?;
        stacks.nums.pop()
    }

    /// The longest program `programs` holds, for [`Stacks::with_room`].
    pub(super) fn longest<'a>(programs: impl IntoIterator<Item = &'a Program>) -> usize {
        programs.into_iter().map(|p| p.ops.len()).max().unwrap_or(0)
    }

    fn run(&self, frame: &Frame<'_>, stacks: &mut Stacks) -> Option<()> {
        let Stacks { nums, bools } = stacks;
        nums.clear();
        bools.clear();
        for op in &self.ops {
            match *op {
                Op::Const(n) => nums.push(n),
                Op::Load { series, lag } => nums.push(frame.series[series as usize].get(lag as usize)?),
                Op::State(var) => nums.push(match var {
                    StateVar::Position => Num::from_decimal(frame.position),
                    StateVar::Cash => Num::from_decimal(frame.cash),
                    StateVar::BarsHeld => Num::Exact { num: i128::from(frame.bars_held), den: 1 },
                }),
                Op::Neg => {
                    let top = nums.pop()?;
                    nums.push(top.neg());
                }
                Op::Abs => {
                    let top = nums.pop()?;
                    nums.push(top.abs());
                }
                Op::Arith(op) => {
                    let (b, a) = (nums.pop()?, nums.pop()?);
                    nums.push(match op {
                        BinOp::Add => a.add(b),
                        BinOp::Sub => a.sub(b),
                        BinOp::Mul => a.mul(b),
                        _ => a.div(b),
                    }?);
                }
                Op::Min | Op::Max => {
                    let (b, a) = (nums.pop()?, nums.pop()?);
                    let order = a.compare(b)?;
                    let keep_a = (order != Ordering::Greater) == (*op == Op::Min);
                    nums.push(if keep_a { a } else { b });
                }
                Op::Cmp(op) => {
                    let (b, a) = (nums.pop()?, nums.pop()?);
                    let holds = a.compare(b).is_some_and(|order| match op {
                        BinOp::Lt => order == Ordering::Less,
                        BinOp::Le => order != Ordering::Greater,
                        BinOp::Gt => order == Ordering::Greater,
                        BinOp::Ge => order != Ordering::Less,
                        BinOp::Eq => order == Ordering::Equal,
                        _ => order != Ordering::Equal,
                    });
                    bools.push(holds);
                }
                Op::Logic(op) => {
                    let (b, a) = (bools.pop()?, bools.pop()?);
                    bools.push(if op == BinOp::And { a && b } else { a || b });
                }
                Op::Not => {
                    let top = bools.pop()?;
                    bools.push(!top);
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn a_ring_reads_back_newest_first_and_nothing_beyond_what_it_saw() {
        let mut ring = Ring::new(2);
        assert_eq!(ring.get(0), None);
        for x in 1..=3 {
            ring.push(Some(Num::Exact { num: x, den: 1 }));
        }
        assert_eq!(ring.get(0), Some(Num::Exact { num: 3, den: 1 }));
        assert_eq!(ring.get(1), Some(Num::Exact { num: 2, den: 1 }));
        assert_eq!(ring.get(2), None);
    }

    #[test]
    fn a_condition_reading_a_missing_value_is_false_even_under_not() {
        let mut ring = Ring::new(1);
        ring.push(None);
        let series = [ring];
        let frame = Frame { series: &series, position: dec!(0), cash: dec!(1), bars_held: 0 };
        let one = Num::Exact { num: 1, den: 1 };
        let program = Program {
            ops: vec![Op::Load { series: 0, lag: 0 }, Op::Const(one), Op::Cmp(BinOp::Gt), Op::Not],
            result: Type::Bool,
        };
        let mut stacks = Stacks::with_room(4);
        assert!(!program.holds(&frame, &mut stacks));
        let cash =
            Program { ops: vec![Op::State(StateVar::Cash), Op::Const(one), Op::Cmp(BinOp::Ge)], result: Type::Bool };
        assert!(cash.holds(&frame, &mut stacks));
    }
}
