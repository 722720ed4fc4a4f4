//! [`HtmlData`]: what `report.html` is drawn from, as plain values — built from a finished run in memory
//! ([`HtmlData::of_run`]) or read back from a report folder's files (see `folder.rs`). Both give the same values,
//! so `ctb report DIR` rebuilds the page a backtest wrote byte for byte.

use rust_decimal::Decimal;

use super::series::Point;
use crate::engine::RiskEvent;
use crate::model::exact::to_f64;
use crate::model::{Side, Symbol, Timestamp};
use crate::portfolio::RoundTrip;
use crate::report::csv_files::return_pct;
use crate::report::csv_files::same_times;
use crate::report::curve::Curve;
use crate::report::robustness::TextTable;
use crate::report::summary::ReportInput;

/// One closed round trip as the trade table shows it (exact decimals, as `trades.csv` holds them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeRow {
    /// Instrument.
    pub symbol: Symbol,
    /// Long (bought first) or short.
    pub long: bool,
    /// First fill.
    pub entry_time: Timestamp,
    /// Fill that made the position flat.
    pub exit_time: Timestamp,
    /// Base quantity.
    pub quantity: Decimal,
    /// Volume-weighted entry price.
    pub entry_price: Decimal,
    /// Volume-weighted exit price.
    pub exit_price: Decimal,
    /// Net PnL (after fees).
    pub net_pnl: Decimal,
    /// Fees of the trip.
    pub fees: Decimal,
    /// Net PnL over entry notional, percent.
    pub return_pct: Option<Decimal>,
    /// Type of the order whose fill closed the trip (`MARKET`, `STOP_MARKET`, ...), empty when no fill matches.
    pub exit_order: String,
}

/// One fill, as far as finding a trip's closing order needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRef {
    /// Fill time.
    pub time: Timestamp,
    /// Instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Type of the fill's order.
    pub order_type: String,
}

/// One decision of the risk manager or limit reached, for the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskMark {
    /// Engine time.
    pub time: Timestamp,
    /// Rule (`drawdown`, `max_position_size`, ...).
    pub rule: String,
    /// Action (`resized`, `halted`, ...).
    pub action: String,
    /// The risk manager's reason.
    pub reason: String,
}

/// Everything `report.html` shows besides the bars.
#[derive(Clone, Debug, PartialEq)]
pub struct HtmlData {
    /// `summary.json` as a value (metrics table, scenario name, content hash, bar path).
    pub summary: serde_json::Value,
    /// The exact scenario text.
    pub scenario_text: String,
    /// Quote asset of the portfolio.
    pub quote: String,
    /// Open of the first bar.
    pub start: Timestamp,
    /// Equity before the first mark.
    pub starting_equity: f64,
    /// Equity at every mark.
    pub equity: Vec<Point>,
    /// Closed round trips, in the order they closed.
    pub trades: Vec<TradeRow>,
    /// Risk decisions and limits, in time order.
    pub risk_events: Vec<RiskMark>,
    /// Equity under the adverse and the optimistic bar-path rule at each mark, when ambiguous bars made them
    /// differ (`equity_bar_paths.csv`); empty otherwise.
    pub band: Vec<BandPoint>,
    /// The robustness tables of `ctb robust` (from `robust.json`, when it measured this run); empty otherwise.
    pub robustness: Vec<TextTable>,
}

/// A mark of the bar-path band: time, equity under the adverse rule, equity under the optimistic rule.
pub type BandPoint = (Timestamp, f64, f64);

impl HtmlData {
    /// The page's data of a run being reported: `input`, its equity `curve` and the text of its `summary.json`
    /// (read as `ctb report` reads the file, so both give the same page).
    ///
    /// # Errors
    /// [`crate::Error::Data`] when the summary does not parse.
    pub fn of_run(input: &ReportInput<'_>, curve: &Curve<'_>, summary_json: &str) -> crate::Result<Self> {
        let log = &input.result.log;
        let fills: Vec<FillRef> = log
            .fills
            .iter()
            .map(|r| FillRef {
                time: r.fill.time,
                symbol: r.fill.symbol,
                side: r.fill.side,
                order_type: log
                    .order(r.fill.order_id)
                    .map(|o| o.report.request.order_type.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect();
        let summary = serde_json::from_str(summary_json)
            .map_err(|e| crate::Error::Data(format!("reading the summary back: {e}")))?;
        Ok(HtmlData {
            summary,
            scenario_text: input.scenario_text.to_string(),
            quote: input.result.portfolio.quote().to_string(),
            start: input.start,
            starting_equity: to_f64(curve.starting_equity),
            equity: log.equity.iter().map(|p| p.time).zip(curve.values.iter().copied()).collect(),
            trades: trade_rows(&log.round_trips, &fills),
            risk_events: log.risk_events.iter().map(risk_mark).collect(),
            band: input.bar_path_curves.map_or_else(Vec::new, |c| {
                same_times(&c.adverse, &c.optimistic, |p| p.time)
                    .into_iter()
                    .map(|(a, o)| (a.time, a.value.to_f64(), o.value.to_f64()))
                    .collect()
            }),
            // What `ctb robust` measured is read from the report folder (`read_robustness`), not from the run.
            robustness: Vec::new(),
        })
    }
}

/// The trade rows of `trips`, each with the order type of its closing fill among `fills` (in time order).
fn trade_rows(trips: &[RoundTrip], fills: &[FillRef]) -> Vec<TradeRow> {
    trips
        .iter()
        .map(|t| TradeRow {
            symbol: t.symbol,
            long: t.direction == Side::Buy,
            entry_time: t.entry_time,
            exit_time: t.exit_time,
            quantity: t.quantity,
            entry_price: t.entry_price().normalize(),
            exit_price: t.exit_price().normalize(),
            net_pnl: t.net_pnl,
            fees: t.fees,
            return_pct: return_pct(t.net_pnl, t.entry_notional),
            exit_order: String::new(),
        })
        .map(|row| with_exit_order(row, fills))
        .collect()
}

/// `row` with the order type of its closing fill: the first fill at its exit time, on its symbol, on the side that
/// reduces its position.
pub fn with_exit_order(mut row: TradeRow, fills: &[FillRef]) -> TradeRow {
    let closing = if row.long { Side::Sell } else { Side::Buy };
    let from = fills.partition_point(|f| f.time < row.exit_time);
    row.exit_order = fills[from..]
        .iter()
        .take_while(|f| f.time == row.exit_time)
        .find(|f| f.symbol == row.symbol && f.side == closing)
        .map(|f| f.order_type.clone())
        .unwrap_or_default();
    row
}

fn risk_mark(e: &RiskEvent) -> RiskMark {
    RiskMark {
        time: e.time,
        rule: e.rule.as_str().to_string(),
        action: e.action.as_str().to_string(),
        reason: e.reason.clone(),
    }
}
