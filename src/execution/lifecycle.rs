//! [`OrderState`]: the one state machine of an order's life, and the table of the transitions it allows.
//!
//! ```text
//! created ─▶ risk_checked ─▶ journaled ─▶ sent ─▶ acknowledged ─▶ partially_filled ─▶ filled
//!    │            │              │          │          │   ▲              │
//!    └────────────┴──────────────┴──────────┤          ▼   │ (refused)    ▼
//!                        rejected ◀─────────┘     cancel_requested ──▶ canceled / expired / filled
//! ```
//! A refusal by the risk manager, the journal or the venue ends an order as `rejected`; once sent, the venue's
//! reports move it on. A cancel is journaled as `cancel_requested` before it leaves the process; the venue's answer
//! ends the order, or — when the cancel is refused because the order is still working — moves it back to where it
//! was. The final states (`filled`, `canceled`, `rejected`, `expired`) have no way out.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::OrderStatus;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Built from a strategy's (or the engine's) intent, not yet checked.
    Created,
    /// The risk manager let it through (possibly resized).
    RiskChecked,
    /// The journal holds it: only now may it leave the process.
    Journaled,
    /// On its way to the venue, no answer yet.
    Sent,
    /// The venue accepted it and nothing has filled.
    Acknowledged,
    /// Part of it filled; the rest is working.
    PartiallyFilled,
    /// A cancel is journaled and on its way; the order may still fill until the venue answers.
    CancelRequested,
    /// Completely filled.
    Filled,
    /// Canceled (by the strategy, the engine, the kill switch, or its partner of a one-cancels-other pair).
    Canceled,
    /// Refused by the risk manager, the journal or the venue; or unknown to the venue it was meant for.
    Rejected,
    /// Ended by its time in force.
    Expired,
}

impl OrderState {
    /// Every state, in the order of the diagram.
    pub const ALL: [OrderState; 11] = [
        OrderState::Created,
        OrderState::RiskChecked,
        OrderState::Journaled,
        OrderState::Sent,
        OrderState::Acknowledged,
        OrderState::PartiallyFilled,
        OrderState::CancelRequested,
        OrderState::Filled,
        OrderState::Canceled,
        OrderState::Rejected,
        OrderState::Expired,
    ];

    /// The state's name, as the journal stores it.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Created => "created",
            OrderState::RiskChecked => "risk_checked",
            OrderState::Journaled => "journaled",
            OrderState::Sent => "sent",
            OrderState::Acknowledged => "acknowledged",
            OrderState::PartiallyFilled => "partially_filled",
            OrderState::CancelRequested => "cancel_requested",
            OrderState::Filled => "filled",
            OrderState::Canceled => "canceled",
            OrderState::Rejected => "rejected",
            OrderState::Expired => "expired",
        }
    }

    /// The state named `name` ([`OrderState::as_str`]).
    ///
    /// # Errors
    /// [`Error::Data`] for a name that is not a state.
    pub fn parse(name: &str) -> Result<Self> {
        OrderState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| Error::Data(format!("'{name}' is not an order state")))
    }

    /// True when the order can no longer change.
    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Filled | OrderState::Canceled | OrderState::Rejected | OrderState::Expired)
    }

    /// True once the order may be at its venue (sent and not ended): it can fill, be canceled or amended there.
    pub fn is_at_venue(self) -> bool {
        matches!(
            self,
            OrderState::Sent | OrderState::Acknowledged | OrderState::PartiallyFilled | OrderState::CancelRequested
        )
    }

    /// The state a venue's `status` of a sent order puts it in.
    pub fn of_status(status: OrderStatus) -> Self {
        match status {
            OrderStatus::New => OrderState::Acknowledged,
            OrderStatus::PartiallyFilled => OrderState::PartiallyFilled,
            OrderStatus::Filled => OrderState::Filled,
            OrderStatus::Canceled => OrderState::Canceled,
            OrderStatus::Rejected => OrderState::Rejected,
            OrderStatus::Expired => OrderState::Expired,
        }
    }

    /// Whether an order in this state may move to `next`. Staying in a working state (another partial fill, a
    /// status report that changes nothing) is allowed; leaving a final state is not.
    pub fn can_become(self, next: OrderState) -> bool {
        use OrderState::*;
        match self {
            Created => matches!(next, RiskChecked | Rejected),
            RiskChecked => matches!(next, Journaled | Rejected),
            Journaled => matches!(next, Sent | Rejected),
            // The venue's answer: accepted, filled at once (in part or whole), ended at once, or refused.
            // A cancel may go after an order whose answer is not in (one a resumed session restored as sent).
            Sent => matches!(
                next,
                Sent | Acknowledged | PartiallyFilled | Filled | CancelRequested | Canceled | Rejected | Expired
            ),
            // `rejected` from a working order: the venue does not know it (it never arrived).
            Acknowledged => {
                matches!(
                    next,
                    Acknowledged | PartiallyFilled | Filled | CancelRequested | Canceled | Rejected | Expired
                )
            }
            // `rejected` with fills: the venue refused the rest (a part the account can no longer pay for).
            PartiallyFilled => {
                matches!(next, PartiallyFilled | Filled | CancelRequested | Canceled | Rejected | Expired)
            }
            // Fills may arrive before the cancel's answer; a refused cancel puts the order back where it was.
            CancelRequested => matches!(
                next,
                CancelRequested | Acknowledged | PartiallyFilled | Filled | Canceled | Rejected | Expired
            ),
            Filled | Canceled | Rejected | Expired => false,
        }
    }
}

impl std::fmt::Display for OrderState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::OrderState::{self, *};

    #[test]
    fn names_round_trip_through_the_journal_text() {
        for state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()).ok(), Some(state));
        }
        assert!(OrderState::parse("pending").is_err());
    }

    #[test]
    fn an_order_cannot_reach_its_venue_without_being_risk_checked_and_journaled_first() {
        assert!(!Created.can_become(Journaled));
        assert!(!Created.can_become(Sent));
        assert!(!RiskChecked.can_become(Sent));
        assert!(Created.can_become(RiskChecked) && RiskChecked.can_become(Journaled) && Journaled.can_become(Sent));
        assert!(!Created.is_at_venue() && !RiskChecked.is_at_venue() && !Journaled.is_at_venue());
    }

    #[test]
    fn final_states_have_no_way_out() {
        for end in [Filled, Canceled, Rejected, Expired] {
            assert!(end.is_final());
            assert!(OrderState::ALL.iter().all(|&next| !end.can_become(next)), "{end} has a way out");
        }
        assert_eq!(OrderState::ALL.iter().filter(|s| s.is_final()).count(), 4);
    }

    #[test]
    fn a_cancel_is_only_requested_of_an_order_working_at_its_venue() {
        let may_cancel: Vec<_> = OrderState::ALL.into_iter().filter(|s| s.can_become(CancelRequested)).collect();
        assert_eq!(may_cancel, vec![Sent, Acknowledged, PartiallyFilled, CancelRequested]);
        // Until the venue answers, fills still count and a refusal puts the order back.
        assert!(CancelRequested.can_become(PartiallyFilled) && CancelRequested.can_become(Filled));
        assert!(CancelRequested.can_become(Acknowledged));
    }

    #[test]
    fn a_partly_filled_order_may_have_its_rest_refused_but_never_becomes_unfilled_again() {
        assert!(PartiallyFilled.can_become(Rejected), "a venue refuses a part the account can no longer pay for");
        assert!(!PartiallyFilled.can_become(Acknowledged));
        assert!(!PartiallyFilled.can_become(Sent));
    }
}
