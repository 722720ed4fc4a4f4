//! The CSV files of a report: `trades.csv`, `fills.csv`, `orders.csv`, `risk_events.csv` and `equity.csv`. Money columns are exact
//! decimals; times are RFC 3339 UTC.

use rayon::prelude::*;
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::curve::Curve;
use super::summary::BarPathCurves;
use crate::engine::{FillRecord, OrderRecord, RiskEvent, RunLog};
use crate::error::{Error, Result};
use crate::model::exact::write_decimal;
use crate::model::{OrderQty, Side};
use crate::portfolio::RoundTrip;

fn create(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    let file = File::create(path).map_err(|e| Error::io("writing", path, e))?;
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file)))
}

fn finish(path: &Path, writer: csv::Writer<BufWriter<File>>) -> Result<()> {
    let mut inner = writer.into_inner().map_err(|e| Error::io("writing", path, e.into_error()))?;
    inner.flush().map_err(|e| Error::io("writing", path, e))
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::io("writing", path, std::io::Error::other(e))
}

fn text(d: Option<Decimal>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// `trades.csv`: one row per closed round trip. `return_pct` is net PnL over entry notional, in percent.
pub fn write_trades(path: &Path, trips: &[RoundTrip]) -> Result<()> {
    let mut w = create(path)?;
    let err = csv_error(path);
    w.write_record([
        "trade",
        "symbol",
        "direction",
        "entry_time",
        "exit_time",
        "quantity",
        "entry_price",
        "exit_price",
        "gross_pnl",
        "fees",
        "net_pnl",
        "return_pct",
    ])
    .map_err(&err)?;
    for (i, t) in trips.iter().enumerate() {
        let return_pct = return_pct(t.net_pnl, t.entry_notional);
        w.write_record([
            (i + 1).to_string(),
            t.symbol.to_string(),
            if t.direction == Side::Buy { "long" } else { "short" }.into(),
            t.entry_time.to_string(),
            t.exit_time.to_string(),
            t.quantity.to_string(),
            t.entry_price().normalize().to_string(),
            t.exit_price().normalize().to_string(),
            t.gross_pnl.to_string(),
            t.fees.to_string(),
            t.net_pnl.to_string(),
            text(return_pct),
        ])
        .map_err(&err)?;
    }
    finish(path, w)
}

/// A trip's `return_pct`: net PnL over entry notional, in percent, to 6 decimals; `None` for a zero notional or
/// a ratio out of range.
pub(super) fn return_pct(net_pnl: Decimal, entry_notional: Decimal) -> Option<Decimal> {
    net_pnl.checked_div(entry_notional)?.checked_mul(Decimal::ONE_HUNDRED).map(|d| d.round_dp(6))
}

/// `fills.csv`: one row per fill, in time order.
pub fn write_fills(
    path: &Path,
    fills: &[FillRecord],
    venue_name: &dyn Fn(usize) -> String,
    fee_asset: &str,
) -> Result<()> {
    let mut w = create(path)?;
    let err = csv_error(path);
    w.write_record([
        "time",
        "order_id",
        "venue",
        "symbol",
        "side",
        "quantity",
        "price",
        "notional",
        "fee",
        "fee_asset",
        "liquidity",
    ])
    .map_err(&err)?;
    for r in fills {
        let f = &r.fill;
        w.write_record([
            f.time.to_string(),
            f.order_id.to_string(),
            venue_name(r.venue.0),
            f.symbol.to_string(),
            f.side.to_string(),
            f.quantity.to_string(),
            f.price.to_string(),
            f.notional().to_string(),
            f.fee.to_string(),
            fee_asset.to_string(),
            f.liquidity.as_str().into(),
        ])
        .map_err(&err)?;
    }
    finish(path, w)
}

/// `orders.csv`: every order the engine created — its limit price and, for stop and take-profit orders, its trigger
/// price — with its final status and, for rejections, the reason.
pub fn write_orders(path: &Path, orders: &[OrderRecord], venue_name: &dyn Fn(usize) -> String) -> Result<()> {
    let mut w = create(path)?;
    let err = csv_error(path);
    w.write_record([
        "order_id",
        "created",
        "venue",
        "symbol",
        "side",
        "type",
        "quantity",
        "quote_quantity",
        "limit_price",
        "stop_price",
        "status",
        "filled_quantity",
        "average_price",
        "fee",
        "reason",
    ])
    .map_err(&err)?;
    for o in orders {
        let r = &o.report.request;
        let (base, quote) = match r.quantity {
            OrderQty::Base(q) => (Some(q), None),
            OrderQty::Quote(a) => (None, Some(a)),
        };
        w.write_record([
            r.client_order_id.to_string(),
            o.created.to_string(),
            venue_name(o.venue.0),
            r.symbol.to_string(),
            r.side.to_string(),
            r.order_type.as_str().into(),
            text(base.map(|d| d.normalize())),
            text(quote.map(|d| d.normalize())),
            text(r.price),
            text(r.stop_price),
            o.report.status.as_str().into(),
            o.report.filled_quantity.to_string(),
            text(o.report.average_price.map(|d| d.normalize())),
            o.report.fee.to_string(),
            o.report.reason.clone().unwrap_or_default(),
        ])
        .map_err(&err)?;
    }
    finish(path, w)
}

/// `risk_events.csv`: every decision of the risk manager that changed an order (resized, rejected) and every limit
/// reached (halted, daily limit, cooling off), in engine-time order. Order columns are empty for limits.
pub fn write_risk_events(path: &Path, events: &[RiskEvent]) -> Result<()> {
    let mut w = create(path)?;
    let err = csv_error(path);
    w.write_record(["time", "rule", "action", "order_id", "symbol", "adjusted_quantity", "reason"]).map_err(&err)?;
    for e in events {
        w.write_record([
            e.time.to_string(),
            e.rule.as_str().into(),
            e.action.as_str().into(),
            e.order_id.map(|id| id.to_string()).unwrap_or_default(),
            e.symbol.map(|s| s.to_string()).unwrap_or_default(),
            text(e.adjusted_size.map(|d| d.normalize())),
            e.reason.clone(),
        ])
        .map_err(&err)?;
    }
    finish(path, w)
}

/// `equity.csv`: the portfolio at every mark; `positions_value` is `equity - cash`. `drawdown_pct` is
/// `(1 - equity / running peak) × 100`, the running peak starting at the starting cash, rounded to 6 decimals.
/// Written in parallel pieces of 64 Ki marks, joined in order.
pub fn write_equity(path: &Path, log: &RunLog, curve: &Curve<'_>) -> Result<()> {
    const PIECE: usize = 1 << 16;
    let starts: Vec<usize> = (0..log.equity.len()).step_by(PIECE).collect();
    let pieces: Vec<Vec<u8>> = starts
        .par_iter()
        .map(|&first| {
            let last = (first + PIECE).min(log.equity.len());
            let mut out = Vec::with_capacity((last - first) * 96);
            let rows = log.equity[first..last].iter().zip(log.cash_from_mark(first, curve.starting_equity));
            for ((point, cash), &drawdown) in rows.zip(&curve.drawdown_pct[first..last]) {
                let equity = point.equity();
                point.time.write_rfc3339(&mut out);
                out.push(b',');
                write_decimal(&mut out, cash);
                out.push(b',');
                write_decimal(&mut out, equity - cash);
                out.push(b',');
                write_decimal(&mut out, equity);
                out.push(b',');
                push_fixed(&mut out, drawdown, 6);
                out.push(b'\n');
            }
            out
        })
        .collect();
    let io = |e| Error::io("writing", path, e);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?);
    out.write_all(b"time,cash,positions_value,equity,drawdown_pct\n").map_err(io)?;
    for piece in &pieces {
        out.write_all(piece).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// The file of the equity under both bar-path rules, written when ambiguous bars made them differ.
pub const BAR_PATHS_FILE: &str = "equity_bar_paths.csv";

/// `equity_bar_paths.csv`: `time,adverse,optimistic`, the equity at every mark time both runs marked.
pub fn write_bar_path_equity(path: &Path, curves: &BarPathCurves) -> Result<()> {
    let io = |e| Error::io("writing", path, e);
    let mut out = Vec::with_capacity(curves.adverse.len() * 64 + 32);
    out.extend_from_slice(b"time,adverse,optimistic\n");
    for (a, o) in same_times(&curves.adverse, &curves.optimistic, |p| p.time) {
        a.time.write_rfc3339(&mut out);
        out.push(b',');
        write_decimal(&mut out, a.equity());
        out.push(b',');
        write_decimal(&mut out, o.equity());
        out.push(b'\n');
    }
    std::fs::write(path, out).map_err(io)
}

/// Appends `value` rounded half away from zero to `decimals` places (at most 9), without float formatting.
fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: u32) {
    let scale = 10_f64.powi(decimals as i32);
    let scaled = (value * scale).round();
    if !scaled.is_finite() || scaled.abs() >= 9.0e18 {
        out.extend_from_slice(format!("{value:.*}", decimals as usize).as_bytes());
        return;
    }
    let units = scaled as i64;
    if units < 0 {
        out.push(b'-');
    }
    let magnitude = units.unsigned_abs();
    let divisor = 10_u64.pow(decimals);
    out.extend_from_slice((magnitude / divisor).to_string().as_bytes());
    if decimals > 0 {
        out.push(b'.');
        let fraction = (magnitude % divisor).to_string();
        out.extend(std::iter::repeat_n(b'0', decimals as usize - fraction.len()));
        out.extend_from_slice(fraction.as_bytes());
    }
}

/// The pairs of `a` and `b` (each in time order) at the times both hold, in time order.
pub(super) fn same_times<'a, T>(
    a: &'a [T],
    b: &'a [T],
    time: impl Fn(&T) -> crate::model::Timestamp,
) -> Vec<(&'a T, &'a T)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match time(&a[i]).cmp(&time(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((&a[i], &b[j]));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_decimals_round_half_away_from_zero() {
        let text = |v: f64| {
            let mut out = Vec::new();
            push_fixed(&mut out, v, 6);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(11.367_788_3), "11.367788");
        assert_eq!(text(0.0), "0.000000");
        assert_eq!(text(0.0000125), "0.000013");
        assert_eq!(text(-2.5), "-2.500000");
        assert_eq!(text(100.0), "100.000000");
    }
}
