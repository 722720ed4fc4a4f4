//! The one error type of the crate, mirroring the seed's exception hierarchy.
//!
//! Library code returns [`Result`]; only `main` turns an [`Error`] into an exit code and a message. Messages start
//! with the seed's exception name (`AuthenticationError: …`), so a user reads the same names as in the seed. Every variant's
//! message is a complete sentence fragment a user can act on: it names the file, row, column, YAML key, venue or
//! endpoint involved. Secrets never appear in a message.

use std::path::Path;
use std::time::Duration;

/// Every failure the library reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The venue failed or answered something we could not use (seed: `ExchangeError`).
    #[error("ExchangeError: {0}")]
    Exchange(String),
    /// Credentials were refused or missing (seed: `AuthenticationError`).
    #[error("AuthenticationError: {0}")]
    Authentication(String),
    /// The venue (or our own client-side limiter) refused a request for going too fast (seed: `RateLimitError`).
    #[error("RateLimitError: {message}{}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimit {
        /// What was limited.
        message: String,
        /// How long the venue asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The risk manager refused an order a user placed directly (seed: `RiskManagementError`).
    #[error("RiskManagementError: {0}")]
    RiskManagement(String),
    /// An order was malformed or refused by the venue's rules (seed: `OrderError`).
    #[error("OrderError: {0}")]
    Order(String),
    /// A value is outside its allowed range (seed: `ValidationError`).
    #[error("ValidationError: {0}")]
    Validation(String),
    /// Market data could not be read or failed validation.
    #[error("DataError: {0}")]
    Data(String),
    /// A scenario or configuration file is wrong.
    #[error("ConfigError: {0}")]
    Config(String),
    /// The session journal (SQLite, PostgreSQL) refused a read or write: the session cannot go on safely.
    #[error("JournalError: {0}")]
    Journal(String),
    /// A panic stopped a session (in its strategy, or a bug of ours); the kill switch ran after it.
    #[error("StrategyError: {0}")]
    Strategy(String),
    /// The operating system refused an I/O operation.
    #[error("IOError: {context}: {source}")]
    Io {
        /// What we were doing, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error while `action` (e.g. "reading") the file at `path`.
    pub fn io(action: &str, path: &Path, source: std::io::Error) -> Self {
        Error::Io { context: format!("{action} {}", path.display()), source }
    }

    /// The seed's name of the error's kind (`ExchangeError`, `RateLimitError`, …), as messages start.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Exchange(_) => "ExchangeError",
            Error::Authentication(_) => "AuthenticationError",
            Error::RateLimit { .. } => "RateLimitError",
            Error::RiskManagement(_) => "RiskManagementError",
            Error::Order(_) => "OrderError",
            Error::Validation(_) => "ValidationError",
            Error::Data(_) => "DataError",
            Error::Config(_) => "ConfigError",
            Error::Journal(_) => "JournalError",
            Error::Strategy(_) => "StrategyError",
            Error::Io { .. } => "IOError",
        }
    }

    /// The same error with `context` (a file, a key) put in front of its message; the kind is kept.
    pub fn context(self, context: impl std::fmt::Display) -> Self {
        self.reworded(|message| format!("{context}: {message}"))
    }

    /// The same error with `note` (what happened after it) put after its message; the kind is kept.
    pub fn with_note(self, note: impl std::fmt::Display) -> Self {
        self.reworded(|message| format!("{message} ({note})"))
    }

    /// The same error with its message (an I/O error: its context) rewritten by `reword`.
    fn reworded(self, reword: impl FnOnce(String) -> String) -> Self {
        match self {
            Error::Exchange(m) => Error::Exchange(reword(m)),
            Error::Authentication(m) => Error::Authentication(reword(m)),
            Error::RateLimit { message, retry_after } => Error::RateLimit { message: reword(message), retry_after },
            Error::RiskManagement(m) => Error::RiskManagement(reword(m)),
            Error::Order(m) => Error::Order(reword(m)),
            Error::Validation(m) => Error::Validation(reword(m)),
            Error::Data(m) => Error::Data(reword(m)),
            Error::Config(m) => Error::Config(reword(m)),
            Error::Journal(m) => Error::Journal(reword(m)),
            Error::Strategy(m) => Error::Strategy(reword(m)),
            Error::Io { context, source } => Error::Io { context: reword(context), source },
        }
    }

    /// A data error at a row of `file` (`location` reads "line 7" or "row 6") and a named `column`.
    pub fn data_at(file: &Path, location: &str, column: &str, message: impl std::fmt::Display) -> Self {
        Error::Data(format!("{}: {location}, column '{column}': {message}", file.display()))
    }
}

/// A parser's (YAML, JSON) and the value types' phrasings of a bad value, in a user's words: no Rust type names
/// (`usize`, `u64`, "a Decimal type representing a fixed-point number") in a message a user reads.
pub fn plain_words(message: &str) -> String {
    const PHRASES: [(&str, &str); 9] = [
        (", expected a Decimal type representing a fixed-point number", " is not a decimal number"),
        ("rejected by the configured policy", "is not a finite number"),
        ("invalid u64", "not a whole number of 0 or more"),
        ("invalid u32", "not a whole number of 0 or more"),
        ("invalid i64", "not a whole number"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected string scalar", "expected a text value"),
        ("expected mapping start", "expected a mapping of keys to values"),
    ];
    let mut message = message.replace("while scanning a plain scalar, found a tab", "a tab: YAML indents with spaces");
    for (from, to) in PHRASES {
        message = message.replace(from, to);
    }
    message.replace("invalid value: string ", "").replace("invalid type: ", "")
}
