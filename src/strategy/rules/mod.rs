//! Rule strategies written in the scenario (`strategy: { kind: rules, params: … }`): named indicators, entry and
//! exit conditions in a small expression language, order types, sizing, attached exits, per-symbol rules.
//!
//! The text is read once: [`parse`] (lexer and Pratt parser, errors with the column), [`compile`] (names to series
//! slots, lags, types, crosses), [`plan`] (the whole `strategy.params` into compiled plans), then [`Rules`]
//! evaluates the plans' postfix [`program`]s per bar with [`value::Num`]s — exact rationals for prices and exact
//! averages, `f64` for the rest — and builds its orders in [`orders`].

mod compile;
mod indicator;
mod orders;
mod parse;
mod plan;
mod program;
mod settings;
mod settle;
mod strategy;
mod value;

pub use strategy::Rules;
