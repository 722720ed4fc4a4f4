//! A venue's stream over WebSocket (market data, or an account's private stream), shared by the live adapters: connect, send the venue's subscription
//! messages, decode each text message into typed [`StreamEvent`]s — and when the connection drops, reconnect with
//! backoff, subscribe again and tell the subscriber about the gap (a [`StreamGap`] event), for as long as anyone
//! listens. Sequence breaks inside one connection (Binance depth ids) are reported the same way.

use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::backoff::Backoff;
use super::wall_clock::wall_clock_now;
use crate::error::{Error, Result};
use crate::model::{StreamGap, Symbol, Timestamp};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// First wait before reconnecting; it doubles up to [`RECONNECT_CEILING`].
pub const RECONNECT_FIRST: Duration = Duration::from_millis(250);
/// Longest wait between reconnect attempts.
pub const RECONNECT_CEILING: Duration = Duration::from_secs(30);
/// Events a stream holds for a subscriber that has not taken them yet. When it is full, the stream stops reading
/// the connection until the subscriber catches up (a venue drops a reader that falls too far behind, and the gap is
/// then reported); the subscriber's backlog is what it holds (`Receiver::len`).
pub const STREAM_CAPACITY: usize = 1 << 12;

/// How long a connection may stay silent — not a message, not a pong to our pings — before it counts as lost (a
/// half-open TCP connection never ends by itself) and is made again.
pub const SILENCE_DEADLINE: Duration = Duration::from_secs(60);

/// One venue's message format.
pub trait StreamDecoder: Send + Sync + 'static {
    /// What the stream carries to its subscriber.
    type Event: Send + 'static;

    /// The event that tells the subscriber messages were lost.
    fn gap(gap: StreamGap) -> Self::Event;

    /// Messages to send after every (re)connection: the subscriptions. Empty when the URL subscribes.
    fn subscriptions(&self) -> Vec<String>;

    /// Decodes one text message that arrived at `received` into `out`. Returns the reason when the message shows
    /// that earlier ones were lost (a sequence break); messages of no interest are skipped.
    fn decode(&mut self, text: &str, received: Timestamp, out: &mut Vec<Self::Event>) -> Option<String>;

    /// Forgets sequence state: the stream starts again after a reconnect.
    fn reset(&mut self);

    /// What to tell the subscriber the moment the connection is lost, before it is made again (a private stream
    /// says its reports may be lost); `None` (the default) says nothing until the stream resumes (a gap).
    fn lost(_cause: &str) -> Option<Self::Event> {
        None
    }

    /// Why the connection is to be made again although it is up — the venue refused or ended the subscription on
    /// it — asked after each message; `None` (the default) keeps it.
    fn reconnect_reason(&mut self) -> Option<String> {
        None
    }
}

/// A stream's messages as they arrived, for recording: the text with its local receive time, or a gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawMessage {
    /// One text message.
    Text {
        /// Local receive time.
        received: Timestamp,
        /// The message, as sent.
        text: String,
    },
    /// Messages were lost (the connection dropped and was made again).
    Gap(StreamGap),
}

/// A decoder that keeps every text message as it came (a session records them before anything reads them).
#[derive(Clone, Debug, Default)]
pub struct RawMessages {
    /// Messages to send after every connection (none when the URL subscribes).
    pub subscriptions: Vec<String>,
}

impl StreamDecoder for RawMessages {
    type Event = RawMessage;

    fn gap(gap: StreamGap) -> RawMessage {
        RawMessage::Gap(gap)
    }

    fn subscriptions(&self) -> Vec<String> {
        self.subscriptions.clone()
    }

    fn decode(&mut self, text: &str, received: Timestamp, out: &mut Vec<RawMessage>) -> Option<String> {
        out.push(RawMessage::Text { received, text: text.to_string() });
        None
    }

    fn reset(&mut self) {}
}

/// Connects to `url` and streams what `decoder` makes of its messages, reconnecting as the module describes.
///
/// # Errors
/// [`Error::Exchange`] naming the venue and stream when the first connection or subscription fails.
pub async fn open<D: StreamDecoder>(
    venue: &'static str,
    symbol: Symbol,
    url: String,
    decoder: D,
) -> Result<Receiver<D::Event>> {
    open_with_deadline(venue, symbol, url, decoder, SILENCE_DEADLINE).await
}

/// [`open`] with a connection counted as lost after `silence` without a message (a ping goes out every third of
/// it, so that a live venue always has something to answer).
///
/// # Errors
/// As [`open`].
pub async fn open_with_deadline<D: StreamDecoder>(
    venue: &'static str,
    symbol: Symbol,
    url: String,
    decoder: D,
    silence: Duration,
) -> Result<Receiver<D::Event>> {
    let socket = connect(&url, decoder.subscriptions(), silence)
        .await
        .map_err(|cause| Error::Exchange(format!("{venue} stream {symbol}: {cause}")))?;
    let (sender, receiver) = tokio::sync::mpsc::channel(STREAM_CAPACITY);
    let stream = Stream { venue, symbol, url, silence };
    tokio::spawn(run(stream, decoder, socket, sender));
    Ok(receiver)
}

/// What names a stream and how long it may stay silent.
struct Stream {
    venue: &'static str,
    symbol: Symbol,
    url: String,
    silence: Duration,
}

/// Connects to `url` and sends `subscriptions`; a connection not made within `deadline` (a TCP, TLS or upgrade step
/// that hangs) fails.
async fn connect(url: &str, subscriptions: Vec<String>, deadline: Duration) -> std::result::Result<Socket, String> {
    let connecting = tokio::time::timeout(deadline, tokio_tungstenite::connect_async(url));
    let (mut socket, _) = connecting
        .await
        .map_err(|_| format!("cannot connect to {url}: no connection within {} ms", deadline.as_millis()))?
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    for subscription in subscriptions {
        socket.send(Message::text(subscription)).await.map_err(|e| format!("cannot subscribe: {e}"))?;
    }
    Ok(socket)
}

/// Reads until the connection ends, then reconnects; returns once the subscriber is gone.
async fn run<D: StreamDecoder>(stream: Stream, mut decoder: D, mut socket: Socket, sender: Sender<D::Event>) {
    let Stream { venue, symbol, url, silence } = stream;
    let mut events = Vec::new();
    let mut last_received = wall_clock_now();
    let mut backoff = Backoff::new(RECONNECT_FIRST, RECONNECT_CEILING);
    loop {
        // A connection the decoder asked to make again (a refused subscription) does not reset the backoff: the
        // venue answered, and asking again at once, four times a second, would only be refused again.
        let mut asked = false;
        let connected = tokio::time::Instant::now();
        let mut heard = connected;
        let mut heartbeat = tokio::time::interval_at(heard + silence / 3, silence / 3);
        // After a subscriber held the reading up, one ping, not a burst of the ones missed (a venue cuts a client
        // that sends too many messages a second).
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let cause = loop {
            let next = tokio::select! {
                _ = heartbeat.tick() => {
                    if heard.elapsed() >= silence {
                        break format!("nothing heard for {} ms", silence.as_millis());
                    }
                    if let Err(e) = socket.send(Message::Ping(Vec::new().into())).await {
                        break format!("ping failed: {e}");
                    }
                    continue;
                }
                next = socket.next() => next,
            };
            heard = tokio::time::Instant::now();
            match next {
                Some(Ok(Message::Text(text))) => {
                    let received = wall_clock_now();
                    if let Some(reason) = decoder.decode(&text, received, &mut events) {
                        let gap = StreamGap { symbol, since: last_received, resumed: received, reason };
                        events.insert(0, D::gap(gap));
                    }
                    last_received = received;
                    for event in events.drain(..) {
                        if sender.send(event).await.is_err() {
                            return;
                        }
                    }
                    // A subscriber that fell behind held the reading up: the wait is not the venue's silence.
                    heard = tokio::time::Instant::now();
                    heartbeat.reset();
                    if let Some(reason) = decoder.reconnect_reason() {
                        asked = true;
                        break reason;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    break frame.map_or("closed by the venue".to_string(), |f| format!("closed by the venue: {f}"));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("connection failed: {e}"),
                None => break "connection ended".to_string(),
            }
        };
        tracing::warn!(venue, %symbol, cause, "stream lost; reconnecting");
        if let Some(event) = D::lost(&cause)
            && sender.send(event).await.is_err()
        {
            return;
        }
        // A connection that lasted (it was subscribed and delivering) starts the waits afresh.
        let lasted = connected.elapsed() >= silence;
        let mut attempts = 0u32;
        socket = loop {
            if sender.is_closed() {
                return;
            }
            tokio::time::sleep(backoff.next_delay()).await;
            attempts += 1;
            match connect(&url, decoder.subscriptions(), silence).await {
                Ok(socket) => break socket,
                Err(failure) => tracing::warn!(venue, %symbol, attempts, failure, "reconnect failed"),
            }
        };
        if !asked || lasted {
            backoff.reset();
        }
        decoder.reset();
        let resumed = wall_clock_now();
        let reason = format!("{cause}; reconnected and resubscribed after {attempts} attempt(s)");
        tracing::info!(venue, %symbol, reason, "stream resumed");
        if sender.send(D::gap(StreamGap { symbol, since: last_received, resumed, reason })).await.is_err() {
            return;
        }
    }
}
