//! The compiler from an expression's tree to a [`Program`]: names resolved to series slots (a price column, the
//! volume, an indicator's field) with the deepest lag each is read at, types checked (conditions against numbers),
//! `crosses_above(a, b)` expanded to `a[1] <= b[1] and a > b` on lagged loads. Errors name the key and the column.

use super::indicator::{Column, IndicatorDef};
use super::parse::{BinOp, Expr, MAX_LAG, ParseError, parse};
use super::program::{Op, Program, StateVar, Type};
use super::settings::{Params, config_error};
use super::value::Num;
use crate::error::Result;

/// What a series slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SeriesKey {
    /// A price column.
    Price(Column),
    /// The bar's volume.
    Volume,
    /// Field `field` of indicator `index`.
    Indicator { index: usize, field: usize },
}

/// The series a rule set's programs read, each with how many bars it must keep.
#[derive(Clone, Debug, Default)]
pub(super) struct Layout {
    /// Slot → what it holds and its depth (largest lag read + 1).
    pub series: Vec<(SeriesKey, usize)>,
}

impl Layout {
    fn slot(&mut self, key: SeriesKey, lag: usize) -> u32 {
        let index = match self.series.iter().position(|(k, _)| *k == key) {
            Some(index) => index,
            None => {
                self.series.push((key, 0));
                self.series.len() - 1
            }
        };
        let depth = &mut self.series[index].1;
        *depth = (*depth).max(lag + 1);
        index as u32
    }
}

/// Compiles the expression at `path` (its text, or a plain number) into a program yielding `want`.
///
/// # Errors
/// [`crate::error::Error::Config`]: `path: column N: why` for text that does not parse, an unknown name, a wrong
/// type; `path: why` for a value that is neither text nor a number.
pub(super) fn compile(
    path: &str,
    value: &serde_json::Value,
    want: Type,
    params: &Params,
    indicators: &[IndicatorDef],
    layout: &mut Layout,
) -> Result<Program> {
    let text = match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(config_error(path, format!("expected an expression, got {other}"))),
    };
    let at = |e: ParseError| config_error(path, format!("column {}: {}", e.column, e.message));
    let expr = parse(&text, &|name| params.get(name)).map_err(at)?;
    let mut compiler = Compiler { indicators, layout, ops: Vec::new() };
    let got = compiler.emit(&expr, 0).map_err(at)?;
    if got != want {
        let wanted =
            if want == Type::Bool { "a condition (a comparison, and/or/not, crosses_…)" } else { "a number" };
        return Err(at(ParseError { column: 1, message: format!("expected {wanted}") }));
    }
    Ok(Program::new(compiler.ops, want))
}

struct Compiler<'a> {
    indicators: &'a [IndicatorDef],
    layout: &'a mut Layout,
    ops: Vec<Op>,
}

/// The column of an expression's first token, for errors about the whole of it.
fn column_of(expr: &Expr) -> usize {
    match expr {
        Expr::Number(_) => 1,
        Expr::Name { column, .. } | Expr::Not(_, column) | Expr::Call { column, .. } => *column,
        Expr::Binary { left, .. } => column_of(left),
        Expr::Neg(inner) => column_of(inner).saturating_sub(1).max(1),
    }
}

fn error(column: usize, message: impl Into<String>) -> ParseError {
    ParseError { column, message: message.into() }
}

impl Compiler<'_> {
    /// Emits `expr` with every load `shift` bars further back; returns its type.
    fn emit(&mut self, expr: &Expr, shift: usize) -> std::result::Result<Type, ParseError> {
        match expr {
            Expr::Number(value) => {
                self.ops.push(Op::Const(Num::from_decimal(*value)));
                Ok(Type::Num)
            }
            Expr::Name { name, field, lag, column } => self.load(name, field.as_deref(), lag + shift, *column),
            Expr::Neg(inner) => {
                self.expect(inner, shift, Type::Num)?;
                self.ops.push(Op::Neg);
                Ok(Type::Num)
            }
            Expr::Not(inner, _) => {
                self.expect(inner, shift, Type::Bool)?;
                self.ops.push(Op::Not);
                Ok(Type::Bool)
            }
            Expr::Binary { op, left, right, column } => {
                let (operands, op_code, result) = match op {
                    BinOp::And | BinOp::Or => (Type::Bool, Op::Logic(*op), Type::Bool),
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => (Type::Num, Op::Arith(*op), Type::Num),
                    _ => (Type::Num, Op::Cmp(*op), Type::Bool),
                };
                for side in [left, right] {
                    if self.emit(side, shift)? != operands {
                        let what = if operands == Type::Num { "numbers" } else { "conditions" };
                        return Err(error(*column, format!("this operator takes {what} on both sides")));
                    }
                }
                self.ops.push(op_code);
                Ok(result)
            }
            Expr::Call { function, args, column } => self.call(function, args, *column, shift),
        }
    }

    fn expect(&mut self, expr: &Expr, shift: usize, want: Type) -> std::result::Result<(), ParseError> {
        if self.emit(expr, shift)? == want {
            return Ok(());
        }
        let what = if want == Type::Num { "a number" } else { "a condition" };
        Err(error(column_of(expr), format!("expected {what} here")))
    }

    fn call(
        &mut self,
        function: &str,
        args: &[Expr],
        column: usize,
        shift: usize,
    ) -> std::result::Result<Type, ParseError> {
        let arity = match function {
            "crosses_above" | "crosses_below" | "min" | "max" => 2,
            "abs" => 1,
            _ => {
                return Err(error(
                    column,
                    format!("'{function}' is not a function (crosses_above, crosses_below, abs, min, max)"),
                ));
            }
        };
        if args.len() != arity {
            return Err(error(column, format!("{function} takes {arity} argument(s), got {}", args.len())));
        }
        match function {
            "crosses_above" | "crosses_below" => {
                // a[1] <= b[1] and a > b (above); a[1] >= b[1] and a < b (below)
                let (before, now) =
                    if function == "crosses_above" { (BinOp::Le, BinOp::Gt) } else { (BinOp::Ge, BinOp::Lt) };
                for (lag, op) in [(shift + 1, before), (shift, now)] {
                    self.expect(&args[0], lag, Type::Num)?;
                    self.expect(&args[1], lag, Type::Num)?;
                    self.ops.push(Op::Cmp(op));
                }
                self.ops.push(Op::Logic(BinOp::And));
                Ok(Type::Bool)
            }
            "abs" => {
                self.expect(&args[0], shift, Type::Num)?;
                self.ops.push(Op::Abs);
                Ok(Type::Num)
            }
            _ => {
                self.expect(&args[0], shift, Type::Num)?;
                self.expect(&args[1], shift, Type::Num)?;
                self.ops.push(if function == "min" { Op::Min } else { Op::Max });
                Ok(Type::Num)
            }
        }
    }

    fn load(
        &mut self,
        name: &str,
        field: Option<&str>,
        lag: usize,
        column: usize,
    ) -> std::result::Result<Type, ParseError> {
        if lag > MAX_LAG {
            return Err(error(column, format!("reads more than {MAX_LAG} bars back")));
        }
        let state = match name {
            "position" => Some(StateVar::Position),
            "cash" => Some(StateVar::Cash),
            "bars_held" => Some(StateVar::BarsHeld),
            _ => None,
        };
        let no_field = |what: &str| error(column, format!("{what} has no fields"));
        if let Some(var) = state {
            if field.is_some() {
                return Err(no_field(name));
            }
            if lag > 0 {
                return Err(error(column, format!("{name} is the state now; it has no earlier values")));
            }
            self.ops.push(Op::State(var));
            return Ok(Type::Num);
        }
        let key = if let Some(c) = Column::named(name) {
            field.map_or(Ok(SeriesKey::Price(c)), |_| Err(no_field(name)))?
        } else if name == "volume" {
            field.map_or(Ok(SeriesKey::Volume), |_| Err(no_field(name)))?
        } else {
            let Some(index) = self.indicators.iter().position(|i| i.name == name) else {
                let known: Vec<&str> = self.indicators.iter().map(|i| i.name.as_str()).collect();
                return Err(error(
                    column,
                    format!(
                        "'{name}' is not an indicator, a price (open, high, low, close, volume) or a state \
                         (position, cash, bars_held); indicators: {}",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                ));
            };
            let def = &self.indicators[index];
            let Some(field_index) = def.field(field).filter(|_| field.is_none() || !def.fields.is_empty()) else {
                let fields = if def.fields.is_empty() { "none".to_string() } else { def.fields.join(", ") };
                return Err(error(column, format!("{name} has no field '{}' (fields: {fields})", field.unwrap_or(""))));
            };
            SeriesKey::Indicator { index, field: field_index }
        };
        let series = self.layout.slot(key, lag);
        self.ops.push(Op::Load { series, lag: lag as u32 });
        Ok(Type::Num)
    }
}
