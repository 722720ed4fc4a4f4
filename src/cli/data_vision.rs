//! `ctb data fetch --source binance-vision`: the request from the flags, the download with a progress bar, and a
//! summary of what it did and found: rows and span, archives downloaded and reused, converted times, duplicates
//! dropped, gaps, and archives the server does not have.

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

use super::fetch_args::{FetchArgs, KindArg, MarketArg, time_arg};
use crate::model::{Symbol, Timestamp};
use crate::venue::vision::{
    DEFAULT_BASE_URL, VisionKind, VisionMarket, VisionRequest, VisionSummary, fetch_vision, parts_folder,
};
use crate::venue::wall_clock::wall_clock_now;
use crate::{Error, Result};

/// The most gaps, missing archives or months read from their days listed one by one (all are counted).
const LISTED: usize = 20;

impl From<MarketArg> for VisionMarket {
    fn from(market: MarketArg) -> Self {
        match market {
            MarketArg::Spot => VisionMarket::Spot,
            MarketArg::Um => VisionMarket::Um,
        }
    }
}

impl From<KindArg> for VisionKind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Klines => VisionKind::Klines,
            KindArg::AggTrades => VisionKind::AggTrades,
            KindArg::FundingRate => VisionKind::FundingRate,
        }
    }
}

/// Runs `ctb data fetch --source binance-vision`.
///
/// # Errors
/// As [`fetch_vision`]; [`Error::Config`] for bad flags.
pub(super) fn fetch(args: FetchArgs) -> Result<()> {
    if args.exchange != "binance" {
        return Err(Error::Config(format!("--exchange {}: binance-vision holds Binance's data", args.exchange)));
    }
    let market = args.market.map_or(VisionMarket::Spot, VisionMarket::from);
    let kind = args.kind.map_or(VisionKind::Klines, VisionKind::from);
    let request = VisionRequest {
        base_url: args.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        market,
        kind,
        symbol: Symbol::new(&args.symbol)?,
        interval: args.interval.clone(),
        from: time_arg("--from", &args.from)?,
        to: time_arg("--to", &args.to)?,
    };
    let latest = latest_to(wall_clock_now());
    if request.to > latest {
        return Err(Error::Config(format!(
            "--to {}: data.binance.vision publishes past days only; give --to {latest} (the end of tomorrow, UTC) or \
             earlier",
            request.to
        )));
    }
    let out = args.out.unwrap_or_else(|| default_out(&request));
    let bar = ProgressBar::new(1);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} archives  ETA {eta}") {
        bar.set_style(style);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io { context: "starting the async runtime".into(), source: e })?;
    let summary = runtime.block_on(fetch_vision(&request, &out, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }));
    bar.finish_and_clear();
    for line in summary_lines(&request, &out, &summary?) {
        println!("{line}");
    }
    Ok(())
}

/// The latest `--to` accepted at `now`: the end of tomorrow, UTC. The dumps hold past days only, and a later
/// `--to` would ask for one archive a day that cannot exist yet (the clock bounds the request, nothing written).
fn latest_to(now: Timestamp) -> Timestamp {
    const DAY: i64 = 86_400_000_000_000;
    Timestamp(now.nanos().div_euclid(DAY).saturating_add(2).saturating_mul(DAY))
}

/// `<SYMBOL>[-um]-<interval or kind>.csv` in the working folder.
fn default_out(request: &VisionRequest) -> PathBuf {
    let market = if request.market == VisionMarket::Um { "-um" } else { "" };
    let what = if request.kind == VisionKind::Klines { request.interval.as_str() } else { request.kind.name() };
    PathBuf::from(format!("{}{market}-{what}.csv", request.symbol))
}

/// What the download did and found, a line each.
fn summary_lines(request: &VisionRequest, out: &std::path::Path, s: &VisionSummary) -> Vec<String> {
    let span = match (s.first, s.last) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    let mut lines = vec![format!(
        "{}: {} rows of {}{span}, from {} archive(s) ({} downloaded, {} verified in {} and reused)",
        out.display(),
        s.rows,
        request.kind.name(),
        s.archives,
        s.downloaded,
        s.cached,
        parts_folder(out).display()
    )];
    if s.converted > 0 {
        let (from, to) = match request.kind {
            VisionKind::AggTrades => ("milliseconds", "microseconds"),
            _ => ("microseconds", "milliseconds"),
        };
        lines.push(format!("times: {} row(s) had times in {from}, written in {to}", s.converted));
    }
    if s.duplicates > 0 {
        lines.push(format!(
            "duplicates: {} row(s) dropped, the first row of each kept: {}",
            s.duplicates,
            named(s.duplicates, &s.named_duplicates)
        ));
    }
    if s.out_of_order > 0 {
        lines.push(format!(
            "out of order: {} row(s) dropped, each came after a later row had been written: {}",
            s.out_of_order,
            named(s.out_of_order, &s.named_out_of_order)
        ));
    }
    if s.outside_period > 0 {
        lines.push(format!("{} row(s) lay outside their archive's month or day and were dropped", s.outside_period));
    }
    let months = s.months_from_days.iter().map(|month| {
        format!(
            "monthly archive absent (404), its days read instead: {} daily archive(s) found, {} missing: {}",
            month.found, month.missing, month.url
        )
    });
    listed(&mut lines, months, s.months_from_days.len(), "month(s) read from their days");
    let missing = s.missing_archives.iter().map(|url| format!("missing (404), its rows are a gap: {url}"));
    listed(&mut lines, missing, s.missing_archives.len(), "missing archive(s)");
    if s.gaps.is_empty() {
        lines.push("gaps: none".into());
    } else {
        // Summed in 128 bits: gaps of 64-bit counts cannot overflow it.
        let missing: u128 = s.gaps.iter().map(|g| u128::from(g.missing())).sum();
        lines.push(format!("gaps: {}, {missing} row(s) missing in all", s.gaps.len()));
        lines.extend(s.gaps.iter().take(LISTED).map(|gap| format!("  {gap}")));
        if s.gaps.len() > LISTED {
            lines.push(format!("  … and {} more", s.gaps.len() - LISTED));
        }
    }
    lines
}

/// The first [`LISTED`] of `count` lines, and how many more there are.
fn listed(lines: &mut Vec<String>, items: impl Iterator<Item = String>, count: usize, what: &str) {
    lines.extend(items.take(LISTED));
    if count > LISTED {
        lines.push(format!("… and {} more {what}", count - LISTED));
    }
}

/// The rows named, and how many more were counted.
fn named(count: usize, names: &[String]) -> String {
    let more = count.saturating_sub(names.len());
    format!("{}{}", names.join(", "), if more > 0 { format!(" and {more} more") } else { String::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::vision::{Gap, MonthFromDays};

    fn request() -> VisionRequest {
        VisionRequest {
            base_url: DEFAULT_BASE_URL.into(),
            market: VisionMarket::Spot,
            kind: VisionKind::AggTrades,
            symbol: Symbol::new("BTCUSDT").unwrap(),
            interval: "1h".into(),
            from: time_arg("--from", "2024-01-01").unwrap(),
            to: time_arg("--to", "2024-01-02").unwrap(),
        }
    }

    #[test]
    fn to_may_reach_the_end_of_tomorrow_utc() {
        let at = |text: &str| time_arg("--to", text).unwrap();
        assert_eq!(latest_to(at("2025-03-10T23:59:59.999Z")), at("2025-03-12"));
        assert_eq!(latest_to(at("2025-03-10")), at("2025-03-12"));
        assert_eq!(latest_to(at("2024-12-31T08:00:00Z")), at("2025-01-02"));
    }

    #[test]
    fn months_read_from_their_days_and_missing_archives_are_listed_up_to_a_bound() {
        let month = |i: usize| MonthFromDays { url: format!("m{i}"), found: 1, missing: 30 };
        let summary = VisionSummary {
            rows: 1,
            months_from_days: (0..22).map(month).collect(),
            missing_archives: (0..25).map(|i| format!("d{i}")).collect(),
            ..VisionSummary::default()
        };
        let lines = summary_lines(&request(), std::path::Path::new("t.csv"), &summary);
        let of = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
        assert_eq!((of("monthly archive absent"), of("missing (404)")), (LISTED, LISTED));
        let first = "monthly archive absent (404), its days read instead: 1 daily archive(s) found, 30 missing: m0";
        assert_eq!(lines[1], first);
        assert!(lines.contains(&"… and 2 more month(s) read from their days".to_string()), "{lines:#?}");
        assert!(lines.contains(&"… and 5 more missing archive(s)".to_string()), "{lines:#?}");
    }

    #[test]
    fn the_rows_missing_in_all_are_counted_without_overflow() {
        let gaps = vec![Gap::TradeIds { first: 1, last: i64::MAX - 1 }; 3];
        let summary = VisionSummary { rows: 3, gaps, ..VisionSummary::default() };
        let lines = summary_lines(&request(), std::path::Path::new("t.csv"), &summary);
        assert!(lines.contains(&"gaps: 3, 27670116110564327418 row(s) missing in all".to_string()), "{lines:?}");
    }
}
