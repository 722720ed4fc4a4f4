//! What a walk-forward writes and prints about its windows besides the curves: `windows.csv`, `fills.csv` (every
//! fill of every test window, the window-end closes marked), the windows table `ctb sweep --walk-forward` prints,
//! and the line saying what happened to positions open at a window's end.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt::Write as _;

use super::results::WindowResult;
use super::spec::AtWindowEnd;
use crate::engine::FillRecord;
use crate::report::{percent, ratio};
use crate::venue::sim::FillModel;

/// What the walk-forward did at its windows' ends, summed over them (`summary.json`'s `at_window_end`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowEnds {
    /// `close` or `carry`, as the scenario's `sweep.walk_forward.at_window_end` says.
    pub mode: AtWindowEnd,
    /// The price a closing order fills at: `next_open` (the next bar's open) or `close` (the window's last close),
    /// the scenario's fill model (of its first venue).
    pub fill_model: FillModel,
    /// Closing fills at all window ends.
    pub closing_fills: usize,
    /// The fees they paid, in the quote asset.
    pub fees: Decimal,
    /// Their slippage against the fill model's price, in the quote asset.
    pub slippage: Decimal,
    /// Window ends that carried a position into the next window.
    pub carried: usize,
    /// Window ends whose closes left a position open, carried into the next window (`close`).
    pub unclosed: usize,
}

impl WindowEnds {
    /// The totals of `windows` under `mode` and `fill_model`.
    pub fn of(mode: AtWindowEnd, fill_model: FillModel, windows: &[WindowResult]) -> Self {
        WindowEnds {
            mode,
            fill_model,
            closing_fills: windows.iter().map(|w| w.end.closing_fills).sum(),
            fees: windows.iter().map(|w| w.end.fees).sum(),
            slippage: windows.iter().map(|w| w.end.slippage).sum(),
            carried: windows.iter().filter(|w| !w.end.carried.is_empty()).count(),
            unclosed: windows.iter().filter(|w| !w.end.unclosed.is_empty()).count(),
        }
    }

    /// One line for the terminal and the report page: the mode and, for `close`, what the closes cost.
    pub fn line(&self, quote: &str) -> String {
        match self.mode {
            AtWindowEnd::Close => {
                let at = match self.fill_model {
                    FillModel::NextOpen => "the next bar's open",
                    FillModel::Close => "the window's last close",
                };
                let unclosed = match self.unclosed {
                    0 => String::new(),
                    n => format!("; {n} window end(s) left a position open (a close refused or capped), carried"),
                };
                format!(
                    "positions open at a window's end: closed at {at} (at_window_end: close): {} closing fill(s), fees {} {quote}, slippage {} {quote}{unclosed}",
                    self.closing_fills,
                    self.fees.normalize(),
                    self.slippage.normalize()
                )
            }
            AtWindowEnd::Carry => format!(
                "positions open at a window's end: carried into the next window (at_window_end: carry): {} window end(s) carried a position",
                self.carried
            ),
        }
    }
}

/// `windows.csv`: one row per window with its boundaries, chosen parameters, training objective, test equity and
/// the fees and slippage of the closes at its end.
pub fn windows_csv(names: &[String], windows: &[WindowResult]) -> String {
    let mut out = String::from("window,train_from,test_from,test_to,combination");
    for name in names {
        let _ = write!(out, ",{name}");
    }
    out.push_str(",train_objective,test_start_equity,test_end_equity,end_fees,end_slippage\n");
    for w in windows {
        let _ = write!(out, "{},{},{},{},{}", w.window, w.train_from, w.test_from, w.test_to, w.combination);
        for name in names {
            let _ = write!(out, ",{}", w.params[name]);
        }
        let score = w.train_score.map(|s| s.to_string()).unwrap_or_default();
        let (start, end) = w.test_equity;
        let _ = writeln!(out, ",{score},{start},{end},{},{}", w.end.fees, w.end.slippage);
    }
    out
}

/// `fills.csv`: every fill of every test window in time order, with its window and whether it closed a position
/// at the window's end.
pub fn fills_csv(fills: &[(usize, FillRecord, bool)], venue_name: &dyn Fn(usize) -> String) -> String {
    let mut out =
        String::from("window,time,order_id,venue,symbol,side,quantity,price,notional,fee,liquidity,window_end\n");
    for (window, record, at_end) in fills {
        let f = &record.fill;
        let _ = writeln!(
            out,
            "{window},{},{},{},{},{},{},{},{},{},{},{at_end}",
            f.time,
            f.order_id,
            venue_name(record.venue.0),
            f.symbol,
            f.side,
            f.quantity,
            f.price,
            f.notional(),
            f.fee,
            f.liquidity.as_str()
        );
    }
    out
}

/// The table `ctb sweep --walk-forward` prints: each window's test period, chosen parameters and test return.
pub fn windows_table(names: &[String], windows: &[WindowResult]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["window".to_string(), "test from".to_string(), "test to".to_string()];
    header.extend(names.iter().cloned());
    header.extend(["train objective".to_string(), "test return".to_string()]);
    table.set_header(header);
    for w in windows {
        let mut cells = vec![w.window.to_string(), w.test_from.to_string(), w.test_to.to_string()];
        cells.extend(names.iter().map(|n| w.params[n].to_string()));
        let (from, to) = w.test_equity;
        let test_return = (from > Decimal::ZERO).then(|| crate::model::exact::to_f64(to / from) - 1.0);
        cells.extend([ratio(w.train_score), percent(test_return)]);
        table.add_row(cells);
    }
    table.to_string()
}
