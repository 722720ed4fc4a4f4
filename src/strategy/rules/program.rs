//! A compiled expression ([`Program`]): a flat postfix list of [`Op`]s over slots resolved at compile time — no
//! text, no names, no allocation when it runs — and the [`Ring`]s of recent values its loads read. A condition is
//! also split at its top-level `and`s into parts tried in turn (the first that fails decides, so most bars read one
//! comparison); a part comparing two loads or constants runs without the stacks, and one comparing two series at
//! the same lag (both halves of `crosses_above(fast, slow)`) reads the order the stream worked out for the pair when
//! its values came in ([`Program::order_pairs`]): one comparison per bar serves the entry's cross and the exit's, at
//! this bar and the next.

use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::ops::Range;

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
    /// A condition's top-level `and` operands, in order (the whole program when it is no `and`).
    parts: Vec<Part>,
}

/// One operand of a condition's top-level `and`.
#[derive(Clone, Debug, PartialEq)]
enum Part {
    /// `a op b` of two loads or constants.
    Compare(Operand, BinOp, Operand),
    /// `series[a] op series[b]`, both `lag` bars ago, read from the order of the pair `pair` ([`Frame::orders`]).
    Order { pair: u32, lag: u32, op: BinOp },
    /// Any other condition: these steps of the program, run on the stacks.
    Steps(Range<usize>),
}

/// Two series compared with each other at the same lag, `(a, b)` for `a` against `b`, and how many bars of their
/// order a stream keeps (the deepest lag read, plus one).
pub(super) type Pair = ((u32, u32), usize);

/// How two values compare, `None` when one is missing or they do not compare: what [`Part::Compare`] of two loads
/// works out, once per bar for each [`Pair`].
#[inline]
pub(super) fn order_of(a: Option<Num>, b: Option<Num>) -> Option<Ordering> {
    match (a, b) {
        (Some(a), Some(b)) => a.compare(b),
        _ => None,
    }
}

/// A value a [`Part::Compare`] reads.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Operand {
    Const(Num),
    Load { series: u32, lag: u32 },
}

impl Operand {
    fn of(op: Op) -> Option<Operand> {
        match op {
            Op::Const(n) => Some(Operand::Const(n)),
            Op::Load { series, lag } => Some(Operand::Load { series, lag }),
            _ => None,
        }
    }

    #[inline]
    fn read(self, frame: &Frame<'_>) -> Option<Num> {
        match self {
            Operand::Const(n) => Some(n),
            Operand::Load { series, lag } => frame.series[series as usize].get(lag as usize),
        }
    }
}

/// How many values `op` takes from the stacks (it pushes one).
fn arity(op: Op) -> usize {
    match op {
        Op::Const(_) | Op::Load { .. } | Op::State(_) => 0,
        Op::Neg | Op::Abs | Op::Not => 1,
        Op::Arith(_) | Op::Min | Op::Max | Op::Cmp(_) | Op::Logic(_) => 2,
    }
}

/// Where the last complete expression of `ops` (a postfix sequence) starts.
fn last_operand_start(ops: &[Op]) -> usize {
    let mut need = 1;
    for (index, op) in ops.iter().enumerate().rev() {
        need = need - 1 + arity(*op);
        if need == 0 {
            return index;
        }
    }
    0
}

/// The operands of the top-level `and`s of the condition `ops[range]`, in order, into `parts`.
fn split_and(ops: &[Op], range: Range<usize>, parts: &mut Vec<Part>) {
    let steps = &ops[range.clone()];
    if let [.., Op::Logic(BinOp::And)] = steps {
        let right = range.start + last_operand_start(&steps[..steps.len() - 1]);
        split_and(ops, range.start..right, parts);
        split_and(ops, right..range.end - 1, parts);
        return;
    }
    parts.push(match *steps {
        [a, b, Op::Cmp(op)] => match (Operand::of(a), Operand::of(b)) {
            (Some(a), Some(b)) => Part::Compare(a, op, b),
            _ => Part::Steps(range),
        },
        _ => Part::Steps(range),
    });
}

/// Whether `order` satisfies the comparison `op`.
#[inline]
fn satisfies(order: Ordering, op: BinOp) -> bool {
    match op {
        BinOp::Lt => order == Ordering::Less,
        BinOp::Le => order != Ordering::Greater,
        BinOp::Gt => order == Ordering::Greater,
        BinOp::Ge => order != Ordering::Less,
        BinOp::Eq => order == Ordering::Equal,
        _ => order != Ordering::Equal,
    }
}

/// The last values of one series (numbers, or the orders of a [`Pair`]), newest first when read; `None` where it
/// had no value (warming up).
#[derive(Clone, Debug)]
pub(super) struct Ring<T = Num> {
    values: Vec<Option<T>>,
    next: usize,
    len: usize,
}

impl<T: Copy> Ring<T> {
    /// Keeps the last `depth` values (at least one).
    pub(super) fn new(depth: usize) -> Self {
        Ring { values: vec![None; depth.max(1)], next: 0, len: 0 }
    }

    /// Adds the newest value.
    #[inline]
    pub(super) fn push(&mut self, value: Option<T>) {
        self.values[self.next] = value;
        self.next = if self.next + 1 == self.values.len() { 0 } else { self.next + 1 };
        self.len = (self.len + 1).min(self.values.len());
    }

    /// The value `lag` bars ago (0: the newest).
    #[inline]
    pub(super) fn get(&self, lag: usize) -> Option<T> {
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
    /// The orders of the plan's [`Pair`]s, by index (each pushed with the values it compares).
    pub orders: &'a [Ring<Ordering>],
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
    /// The program of `ops` (a well-formed postfix sequence) yielding `result`.
    pub(super) fn new(ops: Vec<Op>, result: Type) -> Self {
        let mut parts = Vec::new();
        if result == Type::Bool && !ops.is_empty() {
            split_and(&ops, 0..ops.len(), &mut parts);
        }
        Program { ops, result, parts }
    }

    /// The condition's value; false whenever a value it reads is missing (an indicator still warming up, a lag
    /// beyond what has been seen, a division by zero).
    ///
    /// `a and b` holds exactly when both hold: its steps are `a`'s, `b`'s and the `and`, so it has a value only
    /// when both have one, and that value is both values' `and`. So the parts are tried in turn, and the first one
    /// that does not hold decides.
    #[inline]
    pub(super) fn holds(&self, frame: &Frame<'_>, stacks: &mut Stacks) -> bool {
        self.parts.iter().all(|part| match part {
            Part::Compare(a, op, b) => order_of(a.read(frame), b.read(frame)).is_some_and(|o| satisfies(o, *op)),
            Part::Order { pair, lag, op } => {
                frame.orders[*pair as usize].get(*lag as usize).is_some_and(|o| satisfies(o, *op))
            }
            Part::Steps(range) => {
                run(&self.ops[range.clone()], frame, stacks).is_some() && stacks.bools.pop().unwrap_or(false)
            }
        })
    }

    /// The number's value; `None` whenever a value it reads is missing.
    #[inline]
    pub(super) fn value(&self, frame: &Frame<'_>, stacks: &mut Stacks) -> Option<Num> {
        run(&self.ops, frame, stacks)?;
        stacks.nums.pop()
    }

    /// Turns each part comparing two series at the same lag into a read of their pair's order, adding the pair to
    /// `pairs` (or deepening it there). The pair's order `lag` bars ago is what comparing the two values `lag` bars
    /// ago gives, and it is missing exactly when one of them is (its ring, pushed on every bar with theirs, has seen
    /// as many bars and is kept as deep as this part reads).
    pub(super) fn order_pairs(&mut self, pairs: &mut Vec<Pair>) {
        for part in &mut self.parts {
            let Part::Compare(Operand::Load { series: a, lag }, op, Operand::Load { series: b, lag: lag_b }) = *part
            else {
                continue;
            };
            if lag != lag_b {
                continue;
            }
            let depth = lag as usize + 1;
            let pair = match pairs.iter().position(|(key, _)| *key == (a, b)) {
                Some(index) => {
                    pairs[index].1 = pairs[index].1.max(depth);
                    index
                }
                None => {
                    pairs.push(((a, b), depth));
                    pairs.len() - 1
                }
            };
            *part = Part::Order { pair: pair as u32, lag, op };
        }
    }

    /// The longest program `programs` holds, for [`Stacks::with_room`].
    pub(super) fn longest<'a>(programs: impl IntoIterator<Item = &'a Program>) -> usize {
        programs.into_iter().map(|p| p.ops.len()).max().unwrap_or(0)
    }
}

/// Runs the postfix steps `ops`, leaving their value on the stacks; `None` when a value they read is missing.
fn run(ops: &[Op], frame: &Frame<'_>, stacks: &mut Stacks) -> Option<()> {
    let Stacks { nums, bools } = stacks;
    nums.clear();
    bools.clear();
    for op in ops {
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
                bools.push(a.compare(b).is_some_and(|order| satisfies(order, op)));
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
        let frame = Frame { series: &series, orders: &[], position: dec!(0), cash: dec!(1), bars_held: 0 };
        let one = Num::Exact { num: 1, den: 1 };
        let program =
            Program::new(vec![Op::Load { series: 0, lag: 0 }, Op::Const(one), Op::Cmp(BinOp::Gt), Op::Not], Type::Bool);
        let mut stacks = Stacks::with_room(4);
        assert!(!program.holds(&frame, &mut stacks));
        let cash = Program::new(vec![Op::State(StateVar::Cash), Op::Const(one), Op::Cmp(BinOp::Ge)], Type::Bool);
        assert!(cash.holds(&frame, &mut stacks));
    }

    #[test]
    fn a_pair_read_from_its_orders_holds_exactly_when_its_comparison_does() {
        use Op::{Cmp, Load, Logic};
        // crosses_above(s0, s1) and s0[2] < s1[2] or not: s0[1] <= s1[1] and s0 > s1 and s0[2] < s1[2]
        let (l, and) = (|series, lag| Load { series, lag }, Logic(BinOp::And));
        let ops = vec![l(0, 1), l(1, 1), Cmp(BinOp::Le), l(0, 0), l(1, 0), Cmp(BinOp::Gt), and];
        let plain = Program::new([ops.clone(), vec![l(0, 2), l(1, 2), Cmp(BinOp::Lt), and]].concat(), Type::Bool);
        let mut paired = plain.clone();
        let mut pairs = Vec::new();
        paired.order_pairs(&mut pairs);
        assert_eq!(pairs, vec![((0, 1), 3)]);
        assert!(paired.parts.iter().all(|part| matches!(part, Part::Order { .. })));
        let (mut series, mut orders) = ([Ring::new(3), Ring::new(3)], [Ring::new(3)]);
        let mut stacks = Stacks::with_room(16);
        let values = [None, Some(1), Some(2), Some(3), Some(2), Some(2), None, Some(1), Some(3), Some(3), Some(1)];
        for (step, a) in values.into_iter().enumerate() {
            let b = values[(step * 7 + 3) % values.len()].map(|x| Num::Float(x as f64));
            series[0].push(a.map(|num| Num::Exact { num, den: 1 }));
            series[1].push(b);
            orders[0].push(order_of(series[0].get(0), series[1].get(0)));
            let frame = Frame { series: &series, orders: &orders, position: dec!(0), cash: dec!(1), bars_held: 0 };
            assert_eq!(paired.holds(&frame, &mut stacks), plain.holds(&frame, &mut stacks), "step {step}");
        }
    }

    #[test]
    fn a_condition_split_at_its_ands_holds_exactly_when_the_whole_program_does() {
        use Op::{Cmp, Const, Load, Logic, Not};
        let (s0, s1, s2) = (Load { series: 0, lag: 0 }, Load { series: 1, lag: 0 }, Load { series: 2, lag: 0 });
        let c = |x: i128| Const(Num::Exact { num: x, den: 1 });
        let (gt, ge, lt, le) = (Cmp(BinOp::Gt), Cmp(BinOp::Ge), Cmp(BinOp::Lt), Cmp(BinOp::Le));
        let (and, or) = (Logic(BinOp::And), Logic(BinOp::Or));
        let programs = [
            // s0 > s1 and s1 >= 2
            (vec![s0, s1, gt, s1, c(2), ge, and], 2),
            // not (s0 > s1 and s2 < 2): no top-level `and`, one part
            (vec![s0, s1, gt, s2, c(2), lt, and, Not], 1),
            // (s0 > 1 or s1 > 1) and s2 + s0 > 3 and s2 <= s1
            (vec![s0, c(1), gt, s1, c(1), gt, or, s2, s0, Op::Arith(BinOp::Add), c(3), gt, and, s2, s1, le, and], 3),
            // s0 > 1 and (s1 > 1 and s2 / s0 > 1): a division by zero has no value
            (vec![s0, c(1), gt, s1, c(1), gt, s2, s0, Op::Arith(BinOp::Div), c(1), gt, and, and], 3),
        ];
        let values = [None, Some(0), Some(1), Some(2), Some(3)];
        let mut stacks = Stacks::with_room(32);
        for (ops, parts) in programs {
            let program = Program::new(ops.clone(), Type::Bool);
            assert_eq!(program.parts.len(), parts, "{ops:?}");
            for (a, b, c) in values.iter().flat_map(|&a| values.iter().flat_map(move |&b| values.map(|c| (a, b, c)))) {
                let series = [a, b, c].map(|x| {
                    let mut ring = Ring::new(1);
                    ring.push(x.map(|num| Num::Exact { num, den: 1 }));
                    ring
                });
                let frame = Frame { series: &series, orders: &[], position: dec!(0), cash: dec!(1), bars_held: 0 };
                let whole = run(&ops, &frame, &mut stacks).is_some() && stacks.bools.pop().unwrap_or(false);
                assert_eq!(program.holds(&frame, &mut stacks), whole, "{ops:?} on {a:?} {b:?} {c:?}");
            }
        }
    }
}
