//! Which data.binance.vision archives cover a time range: a monthly archive for every whole month of `[from, to)`,
//! daily archives for the days of the partial months at its edges, and for every monthly archive the daily ones
//! that replace it while the month is not published yet. Funding rates are published monthly only, so a partial
//! month is read from its monthly archive too.

use chrono::{DateTime, Datelike, NaiveDate};

use super::{VisionKind, VisionRequest};
use crate::error::{Error, Result};

/// One archive: its path below the base URL and the span of times its rows belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Archive {
    /// E.g. `data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01.zip`.
    pub path: String,
    /// First millisecond of its month or day.
    pub start_ms: i64,
    /// First millisecond after it.
    pub end_ms: i64,
}

/// An archive to fetch and, for a monthly one, the daily archives that stand in for it when it is missing (404).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Planned {
    /// The archive.
    pub archive: Archive,
    /// Its month's days that fall in the range (empty for a daily archive and for funding rates).
    pub daily_fallback: Vec<Archive>,
}

/// The archives covering `request`'s `[from, to)`, in time order.
///
/// # Errors
/// [`Error::Config`] when a bound lies outside the calendar chrono knows.
pub(super) fn plan(request: &VisionRequest) -> Result<Vec<Planned>> {
    let (from_ms, to_ms) = (request.from.millis(), request.to.millis());
    let mut planned = Vec::new();
    let (mut year, mut month) = year_month(from_ms)?;
    loop {
        let start = month_start(year, month)?;
        if start >= to_ms {
            break;
        }
        let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        let end = month_start(next_year, next_month)?;
        let whole = from_ms <= start && end <= to_ms;
        let monthly =
            Archive { path: path(request, "monthly", &format!("{year:04}-{month:02}")), start_ms: start, end_ms: end };
        if request.kind == VisionKind::FundingRate {
            planned.push(Planned { archive: monthly, daily_fallback: Vec::new() });
        } else if whole {
            planned.push(Planned { archive: monthly, daily_fallback: days(request, year, month, from_ms, to_ms)? });
        } else {
            planned.extend(
                days(request, year, month, from_ms, to_ms)?
                    .into_iter()
                    .map(|archive| Planned { archive, daily_fallback: Vec::new() }),
            );
        }
        (year, month) = (next_year, next_month);
    }
    Ok(planned)
}

/// The daily archives of a month whose day overlaps `[from, to)`.
fn days(request: &VisionRequest, year: i32, month: u32, from_ms: i64, to_ms: i64) -> Result<Vec<Archive>> {
    let mut days = Vec::new();
    let mut day = date(year, month, 1)?;
    while day.month() == month {
        let start = day_start(day)?;
        let end = start + DAY_MS;
        if start < to_ms && end > from_ms {
            let name = day.format("%Y-%m-%d").to_string();
            days.push(Archive { path: path(request, "daily", &name), start_ms: start, end_ms: end });
        }
        day = match day.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    Ok(days)
}

const DAY_MS: i64 = 86_400_000;

/// `data/<market>/<monthly|daily>/<kind>/<SYMBOL>/[<interval>/]<SYMBOL>-<interval|kind>-<date>.zip`.
fn path(request: &VisionRequest, period: &str, date: &str) -> String {
    let (market, symbol) = (request.market.folder(), request.symbol.as_str());
    match request.kind {
        VisionKind::Klines => {
            let interval = &request.interval;
            format!("data/{market}/{period}/klines/{symbol}/{interval}/{symbol}-{interval}-{date}.zip")
        }
        kind => {
            let kind = kind.name();
            format!("data/{market}/{period}/{kind}/{symbol}/{symbol}-{kind}-{date}.zip")
        }
    }
}

fn out_of_calendar(what: &str) -> Error {
    Error::Config(format!("{what}: outside the calendar data.binance.vision publishes"))
}

fn year_month(ms: i64) -> Result<(i32, u32)> {
    let time = DateTime::from_timestamp_millis(ms).ok_or_else(|| out_of_calendar("--from"))?;
    Ok((time.year(), time.month()))
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| out_of_calendar(&format!("{year}-{month:02}-{day:02}")))
}

fn day_start(day: NaiveDate) -> Result<i64> {
    day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).ok_or_else(|| out_of_calendar(&day.to_string()))
}

fn month_start(year: i32, month: u32) -> Result<i64> {
    day_start(date(year, month, 1)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_timestamp;
    use crate::model::Symbol;
    use crate::venue::vision::VisionMarket;

    fn plan_of(kind: VisionKind, market: VisionMarket, from: &str, to: &str) -> Vec<Planned> {
        let request = VisionRequest {
            base_url: "http://127.0.0.1:1".into(),
            market,
            kind,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: "1h".into(),
            from: parse_timestamp(from).unwrap(),
            to: parse_timestamp(to).unwrap(),
        };
        plan(&request).unwrap()
    }

    fn ms(text: &str) -> i64 {
        parse_timestamp(text).unwrap().millis()
    }

    fn names(planned: &[Planned]) -> Vec<String> {
        planned.iter().map(|p| p.archive.path.rsplit('/').next().unwrap().to_string()).collect()
    }

    #[test]
    fn whole_months_are_monthly_archives_and_the_partial_edges_daily_ones() {
        let planned = plan_of(VisionKind::Klines, VisionMarket::Spot, "2023-01-30", "2023-04-02T06:00:00Z");
        assert_eq!(
            names(&planned),
            [
                "BTCUSDT-1h-2023-01-30.zip",
                "BTCUSDT-1h-2023-01-31.zip",
                "BTCUSDT-1h-2023-02.zip",
                "BTCUSDT-1h-2023-03.zip",
                "BTCUSDT-1h-2023-04-01.zip",
                "BTCUSDT-1h-2023-04-02.zip",
            ]
        );
        assert_eq!(planned[2].archive.path, "data/spot/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02.zip");
        assert_eq!(planned[0].archive.path, "data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01-30.zip");
        assert_eq!(planned[2].daily_fallback.len(), 28, "February's days stand in for its monthly archive");
        assert_eq!(planned[2].daily_fallback[27].path, "data/spot/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2023-02-28.zip");
        assert!(planned[0].daily_fallback.is_empty());
        assert_eq!((planned[2].archive.start_ms, planned[2].archive.end_ms), (ms("2023-02-01"), ms("2023-03-01")));
    }

    #[test]
    fn a_range_inside_one_month_is_daily_archives_only() {
        let planned =
            plan_of(VisionKind::AggTrades, VisionMarket::Spot, "2024-12-31T12:00:00Z", "2025-01-01T00:00:01Z");
        assert_eq!(names(&planned), ["BTCUSDT-aggTrades-2024-12-31.zip", "BTCUSDT-aggTrades-2025-01-01.zip"]);
        assert_eq!(planned[0].archive.path, "data/spot/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-12-31.zip");
    }

    #[test]
    fn futures_and_funding_rates_use_their_folders_and_funding_is_monthly_only() {
        let planned = plan_of(VisionKind::Klines, VisionMarket::Um, "2023-01-01", "2023-02-01");
        assert_eq!(planned[0].archive.path, "data/futures/um/monthly/klines/BTCUSDT/1h/BTCUSDT-1h-2023-01.zip");
        let planned = plan_of(VisionKind::FundingRate, VisionMarket::Um, "2023-01-15", "2023-02-02");
        assert_eq!(names(&planned), ["BTCUSDT-fundingRate-2023-01.zip", "BTCUSDT-fundingRate-2023-02.zip"]);
        assert_eq!(
            planned[0].archive.path,
            "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2023-01.zip"
        );
        assert!(planned.iter().all(|p| p.daily_fallback.is_empty()));
    }
}
