//! The simulated venue's market-data subscribers: each receives the bars of its symbol the venue sees, over a channel
//! as bounded as a live stream's. A synchronous venue cannot wait for a subscriber, so one a whole channel behind is
//! dropped, as a live venue drops a reader that falls behind, and told so by a gap as its last event.

use tokio::sync::mpsc::Sender;

use crate::model::{Bar, MarketEvent, StreamEvent, StreamGap, Symbol};
use crate::venue::MarketStream;
use crate::venue::ws::STREAM_CAPACITY;

/// Who listens to which symbol.
#[derive(Debug, Default)]
pub(super) struct Subscribers {
    listening: Vec<(Symbol, Sender<StreamEvent>)>,
}

impl Subscribers {
    /// A new subscriber to `symbol`'s bars.
    pub(super) fn subscribe(&mut self, symbol: Symbol) -> MarketStream {
        let (sender, receiver) = tokio::sync::mpsc::channel(STREAM_CAPACITY);
        self.listening.push((symbol, sender));
        receiver
    }

    /// Hands `symbol`'s closed `bar` to its subscribers; drops those that are gone or a whole channel behind.
    #[inline]
    pub(super) fn bar_closed(&mut self, symbol: Symbol, bar: &Bar) {
        if self.listening.is_empty() {
            return;
        }
        let event = MarketEvent::bar(symbol, *bar);
        self.listening.retain(|(s, sender)| *s != symbol || hand_over(sender, symbol, &event, bar));
    }
}

/// Hands `event` (of `symbol`'s `bar`) to a subscriber; false for one that is gone, or so far behind that its channel
/// is full — the last place in its channel then holds a gap instead of the event.
fn hand_over(sender: &Sender<StreamEvent>, symbol: Symbol, event: &MarketEvent, bar: &Bar) -> bool {
    if sender.capacity() > 1 {
        return sender.try_send(StreamEvent::Market(event.clone())).is_ok();
    }
    let reason = "the subscriber fell a whole channel behind: the venue dropped it".to_string();
    tracing::error!(%symbol, reason);
    let time = bar.close_time;
    let _ = sender.try_send(StreamEvent::Gap(StreamGap { symbol, since: time, resumed: time, reason }));
    false
}
