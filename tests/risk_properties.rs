//! Properties of the risk manager over random order streams and price paths. A simple model fills every accepted
//! order at once at its price (no fees) and marks the portfolio after every price move; then:
//! * no accepted order takes a position beyond `max_position_size_percent` of the portfolio value, spends more
//!   than the available balance, or brings gross exposure above `max_leverage` × equity;
//! * while halted, after the day's loss limit or during a cool-off, nothing that adds risk is accepted.

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::dec;

use cryptotradebot::model::exact::PackedDecimal;
use cryptotradebot::model::{OrderQty, Side, Symbol, Timestamp};
use cryptotradebot::risk::{RiskLimits, RiskManager};

const HOUR: i64 = 3_600_000_000_000;

#[derive(Clone, Debug)]
enum Step {
    /// Price of asset `asset` moves by `percent` %.
    Move { asset: usize, percent: i64 },
    /// An order of `thousandths` / 1000 units of `asset`.
    Order { asset: usize, buy: bool, thousandths: i64 },
    /// A losing round trip (towards a cool-off).
    Loss,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..3, -8i64..=8).prop_map(|(asset, percent)| Step::Move { asset, percent }),
        (0usize..3, any::<bool>(), 1i64..20_000).prop_map(|(asset, buy, thousandths)| Step::Order {
            asset,
            buy,
            thousandths
        }),
        Just(Step::Loss),
    ]
}

/// The model portfolio.
struct Book {
    symbols: [Symbol; 3],
    prices: [Decimal; 3],
    held: [Decimal; 3],
    cash: Decimal,
}

impl Book {
    fn value(&self) -> Decimal {
        self.cash + (0..3).map(|i| self.held[i] * self.prices[i]).sum::<Decimal>()
    }

    fn gross(&self) -> Decimal {
        (0..3).map(|i| (self.held[i] * self.prices[i]).abs()).sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn accepted_orders_keep_every_limit_and_nothing_adds_risk_while_trading_is_stopped(
        steps in proptest::collection::vec(step(), 1..120),
        position_percent in 5u32..60,
        leverage in 1u32..4,
    ) {
        let limits = RiskLimits {
            max_position_size_percent: Decimal::from(position_percent),
            max_leverage: Decimal::from(leverage),
            max_open_positions: 2,
            max_daily_loss_percent: dec!(4),
            max_drawdown_percent: dec!(8),
            max_consecutive_losses: 3,
            cooling_off_period_hours: 5,
            ..RiskLimits::default()
        };
        let symbols = ["AAAUSDT", "BBBUSDT", "CCCUSDT"].map(|s| Symbol::new(s).unwrap());
        let mut risk = RiskManager::new(limits.clone());
        for symbol in symbols {
            risk.set_instrument(symbol, dec!(0.001), dec!(1));
        }
        let mut book = Book { symbols, prices: [dec!(100), dec!(40), dec!(7)], held: [Decimal::ZERO; 3], cash: dec!(10000) };
        let mut hour = 0;
        risk.on_mark(Timestamp(0), PackedDecimal::from_decimal(book.value()));
        for step in steps {
            match step {
                Step::Move { asset, percent } => {
                    hour += 1;
                    book.prices[asset] = book.prices[asset] * (Decimal::ONE_HUNDRED + Decimal::from(percent)) / Decimal::ONE_HUNDRED;
                    book.prices[asset] = book.prices[asset].round_dp(4);
                    risk.on_mark(Timestamp(hour * HOUR), PackedDecimal::from_decimal(book.value()));
                }
                Step::Loss => {
                    risk.on_round_trip(Timestamp(hour * HOUR), dec!(-1), dec!(100));
                }
                Step::Order { asset, buy, thousandths } => {
                    for i in 0..3 {
                        risk.update_price(book.symbols[i], book.prices[i]);
                    }
                    let stopped = risk.halt().is_some() || risk.daily_limit_reason().is_some() || risk.cooling_until().is_some();
                    let (value, cash, price) = (book.value(), book.cash, book.prices[asset]);
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let quantity = Decimal::new(thousandths, 3);
                    let d = risk.check_order(book.symbols[asset], side, OrderQty::Base(quantity), price, value, cash);
                    if !d.accepted {
                        continue;
                    }
                    prop_assert!(d.adjusted > Decimal::ZERO && d.adjusted <= quantity);
                    let before = book.held[asset];
                    let after = before + side.sign() * d.adjusted;
                    let adds_risk = after.abs() > before.abs() || (after.is_sign_negative() != before.is_sign_negative() && !before.is_zero() && !after.is_zero());
                    if adds_risk {
                        prop_assert!(!stopped, "risk added while stopped: {d:?}");
                        let notional = after.abs() * price;
                        prop_assert!(notional <= limits.max_position_size_percent / Decimal::ONE_HUNDRED * value, "position {notional} of {value}: {d:?}");
                        if buy {
                            prop_assert!(d.adjusted * price <= cash, "buy beyond the balance: {d:?}");
                        }
                    }
                    book.held[asset] = after;
                    book.cash -= side.sign() * d.adjusted * price;
                    risk.update_position(book.symbols[asset], after);
                    if adds_risk {
                        prop_assert!(book.gross() <= limits.max_leverage * value, "gross {} above {} × {value}", book.gross(), limits.max_leverage);
                    }
                }
            }
        }
    }
}
