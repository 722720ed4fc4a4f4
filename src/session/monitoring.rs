//! Monitoring of paper and live sessions: `/metrics` in Prometheus's text format and `/health`, served on
//! localhost while the session runs (port from `config/monitoring.yaml`, 9184 by default).
//!
//! Metrics (prefix `ctb_`): `equity`, `pnl`, `drawdown_percent`, `risk_level{level}` (1 for the current one),
//! `orders{status}`, `order_round_trip_seconds` (histogram of the venue's order calls), `api_errors_total{kind}`,
//! `rate_limit_refusals_total`, `websocket_reconnects_total`, `market_messages_total`, `market_backlog` (as of the
//! last market message taken), `last_market_event_age_seconds` (at the moment of the scrape).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::TradingEngine;
use crate::error::{Error, Result};
use crate::model::OrderStatus;
use crate::venue::wall_clock::wall_clock_now;

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// `config/monitoring.yaml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Port of the endpoint on 127.0.0.1 (0: any free port).
    pub port: u16,
}

impl MonitoringConfig {
    /// The file in `dir`, or port 9184 when there is none.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file for a malformed one; [`Error::Io`] when it cannot be read.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("monitoring.yaml");
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_saphyr::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MonitoringConfig { port: 9184 }),
            Err(e) => Err(Error::io("reading", &path, e)),
        }
    }
}

/// The session's metrics.
pub struct SessionMetrics {
    registry: Registry,
    equity: FloatGauge,
    pnl: FloatGauge,
    drawdown: FloatGauge,
    risk_level: Family<Labels, Gauge>,
    orders: Family<Labels, Gauge>,
    round_trips: Histogram,
    api_errors: Family<Labels, Counter>,
    rate_limited: Counter,
    reconnects: Counter,
    messages: Counter,
    backlog: Gauge,
    age: FloatGauge,
    last_received_ns: Arc<AtomicI64>,
    seen_round_trips: usize,
    counted_errors: std::collections::BTreeMap<&'static str, u64>,
    peak: Decimal,
}

impl std::fmt::Debug for SessionMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMetrics").finish_non_exhaustive()
    }
}

impl Default for SessionMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ctb");
        let metrics = SessionMetrics {
            registry: Registry::default(),
            equity: FloatGauge::default(),
            pnl: FloatGauge::default(),
            drawdown: FloatGauge::default(),
            risk_level: Family::default(),
            orders: Family::default(),
            round_trips: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            api_errors: Family::default(),
            rate_limited: Counter::default(),
            reconnects: Counter::default(),
            messages: Counter::default(),
            backlog: Gauge::default(),
            age: FloatGauge::default(),
            last_received_ns: Arc::default(),
            seen_round_trips: 0,
            counted_errors: std::collections::BTreeMap::new(),
            peak: Decimal::ZERO,
        };
        registry.register("equity", "Portfolio value in the quote asset", metrics.equity.clone());
        registry.register("pnl", "Realized and unrealized PnL before fees", metrics.pnl.clone());
        registry.register("drawdown_percent", "Drawdown from the session's peak equity", metrics.drawdown.clone());
        registry.register("risk_level", "1 for the risk manager's current state", metrics.risk_level.clone());
        registry.register("orders", "Orders of the session by status", metrics.orders.clone());
        registry.register("order_round_trip_seconds", "Time of the venue's order calls", metrics.round_trips.clone());
        registry.register("api_errors", "Failed venue calls by error kind", metrics.api_errors.clone());
        registry.register(
            "rate_limit_refusals",
            "Venue calls refused for going too fast",
            metrics.rate_limited.clone(),
        );
        registry.register("websocket_reconnects", "Market stream reconnects and gaps", metrics.reconnects.clone());
        registry.register("market_messages", "Market messages taken", metrics.messages.clone());
        registry.register(
            "market_backlog",
            "Market messages received and not taken yet (the stream stops reading when 4,096 wait)",
            metrics.backlog.clone(),
        );
        registry.register(
            "last_market_event_age_seconds",
            "Seconds since the last market message",
            metrics.age.clone(),
        );
        SessionMetrics { registry, ..metrics }
    }
}

impl SessionMetrics {
    /// Takes the engine's state after a market message received at `received_ns`, with `reconnects` so far and the
    /// stream's `backlog` (messages received and not taken yet).
    pub fn observe(&mut self, engine: &TradingEngine, received_ns: i64, reconnects: u64, backlog: usize) {
        self.backlog.set(i64::try_from(backlog).unwrap_or(i64::MAX));
        let portfolio = engine.portfolio();
        let equity = portfolio.equity();
        self.peak = self.peak.max(equity);
        let pnl: Decimal = portfolio.positions().iter().map(|p| p.realized_pnl + p.unrealized_pnl()).sum();
        let drawdown =
            if self.peak.is_zero() { Decimal::ZERO } else { (self.peak - equity) / self.peak * Decimal::ONE_HUNDRED };
        self.equity.set(equity.to_f64().unwrap_or(0.0));
        self.pnl.set(pnl.to_f64().unwrap_or(0.0));
        self.drawdown.set(drawdown.to_f64().unwrap_or(0.0));
        for level in ["normal", "daily limit", "cooling off", "halted"] {
            let current = i64::from(level == engine.risk_level());
            self.risk_level.get_or_create(&vec![("level".into(), level.into())]).set(current);
        }
        for status in OrderStatus::ALL {
            let count = engine.run_log().orders.iter().filter(|o| o.report.status == status).count();
            self.orders.get_or_create(&vec![("status".into(), status.as_str().into())]).set(count as i64);
        }
        let stats = engine.router().adapter_stats();
        for seconds in &stats.round_trips[self.seen_round_trips..] {
            self.round_trips.observe(*seconds);
        }
        self.seen_round_trips = stats.round_trips.len();
        for (kind, count) in &stats.errors {
            let before = self.counted_errors.insert(kind, *count).unwrap_or(0);
            let new = count.saturating_sub(before);
            self.api_errors.get_or_create(&vec![("kind".into(), (*kind).into())]).inc_by(new);
            if *kind == "RateLimitError" {
                self.rate_limited.inc_by(new);
            }
        }
        self.reconnects.inc_by(reconnects.saturating_sub(self.reconnects.get()));
        self.messages.inc();
        self.last_received_ns.store(received_ns, Ordering::Relaxed);
    }

    /// The text a scrape gets, with the age of the last market message as of now.
    fn scrape(&self) -> String {
        let last = self.last_received_ns.load(Ordering::Relaxed);
        let age = if last == 0 { f64::NAN } else { (wall_clock_now().0 - last) as f64 / 1e9 };
        self.age.set(age);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// A running endpoint.
#[derive(Debug)]
pub struct MonitoringServer {
    /// Where it listens.
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MonitoringServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `metrics` on 127.0.0.1:`port` (0: any free port) until the returned server is dropped.
///
/// # Errors
/// [`Error::Io`] when the port cannot be bound.
pub async fn serve_metrics(port: u16, session: &str, metrics: Arc<Mutex<SessionMetrics>>) -> Result<MonitoringServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Error::Io { context: format!("binding the metrics endpoint on 127.0.0.1:{port}"), source: e })?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::Io { context: "reading the metrics endpoint's address".into(), source: e })?;
    let state = (metrics, session.to_string());
    let app = Router::new()
        .route(
            "/metrics",
            get(|State((metrics, _)): State<(Arc<Mutex<SessionMetrics>>, String)>| async move {
                metrics.lock().map(|m| m.scrape()).unwrap_or_default()
            }),
        )
        .route(
            "/health",
            get(|State((metrics, session)): State<(Arc<Mutex<SessionMetrics>>, String)>| async move {
                let messages = metrics.lock().map(|m| m.messages.get()).unwrap_or(0);
                format!("{{\"status\":\"ok\",\"session\":\"{session}\",\"market_messages\":{messages}}}\n")
            }),
        )
        .with_state(state);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!("metrics endpoint stopped: {e}");
        }
    });
    tracing::info!(%address, "serving /metrics and /health");
    Ok(MonitoringServer { address, task })
}
