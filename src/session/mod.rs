//! Paper and live sessions: the engine fed by a venue's live market data, every message recorded as it arrives,
//! orders, fills and state journaled, and the same report as a backtest at the end.

mod bar_feed;
mod driver;
mod feed;
mod journal;
mod live;
mod monitoring;
mod paper;
mod reconcile;
mod recording;

pub use bar_feed::{BAR_RECORDING_HEADER, BarFeed, bar_recording_line};
pub use driver::{Limits, Stop};
pub use feed::{BinanceBookFeed, FeedLine, SNAPSHOT_LEVELS};
pub use journal::{Journal, JournalStep, SessionInfo, SessionState, is_postgres_url};
pub use live::{LiveOptions, LiveOutcome, live_gate, run_live};
pub use monitoring::{MonitoringConfig, MonitoringServer, SessionMetrics, serve_metrics};
pub use paper::{PaperOptions, PaperOutcome, recorded_scenario, run_paper};
pub use reconcile::{Reconciliation, fill_differences, open_journal, reconcile_session};
pub use recording::Recording;
