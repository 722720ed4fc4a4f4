//! [`RiskManager`]: decides, for every order, whether it may go out and at what size (the seed's `RiskManager`),
//! and keeps the state the limits need: positions and their marks, the equity path ([`EquityGuard`]), the
//! strategy's closed trades (Kelly) and the assets' returns (correlation).
//!
//! Orders that only reduce a position always pass. An order that adds risk is refused while trading is halted,
//! after the day's loss limit and during a cool-off; a new position beyond `max_open_positions` is refused; otherwise
//! it is cut to the largest size that keeps every limit — position size (or Kelly), available balance, leverage,
//! correlated exposure — and refused only when nothing above the exchange's minimum fits. Every reason names the
//! rule that decided.

use rust_decimal::Decimal;
use std::borrow::Cow;

use super::assessment::{PortfolioRisk, RiskLevel};
use super::correlation::ReturnWindows;
use super::exits::ExitDistances;
use super::guard::{EquityGuard, Halt, MarkOutcome};
use super::kelly::TradeStats;
use super::policy::RiskPolicy;
use super::{RiskLimits, RiskRule};
use crate::model::exact::{PackedDecimal, positive};
use crate::model::{OrderQty, Side, Symbol, Timestamp, lots_for_amount};

mod check;

/// The quantity step assumed for a symbol whose instrument the risk manager was not told about: 10⁻⁸.
const UNKNOWN_LOT: Decimal = Decimal::from_parts(1, 0, 0, false, 8);

/// Outcome of [`RiskManager::validate_order`]: `(accepted, reason, adjusted_quantity)` as in the seed. The reason
/// of an order that passes unchanged is a static text, so the common case allocates nothing.
pub type OrderDecision = (bool, Cow<'static, str>, Decimal);

/// A decision with the rule behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskDecision {
    /// Whether the order may go out.
    pub accepted: bool,
    /// The rule that refused or resized it (`None` when it passed unchanged).
    pub rule: Option<RiskRule>,
    /// Why, with the numbers.
    pub reason: Cow<'static, str>,
    /// The size it may go out with: base quantity, or quote amount for quote-sized orders (zero when refused).
    pub adjusted: Decimal,
    /// Whether the order only reduces an open position (such orders pass every limit, even while halted).
    pub reduces: bool,
}

impl RiskDecision {
    fn pass(reason: &'static str, size: Decimal) -> Self {
        RiskDecision { accepted: true, rule: None, reason: Cow::Borrowed(reason), adjusted: size, reduces: false }
    }

    fn refuse(rule: RiskRule, reason: String) -> Self {
        RiskDecision {
            accepted: false,
            rule: Some(rule),
            reason: Cow::Owned(reason),
            adjusted: Decimal::ZERO,
            reduces: false,
        }
    }

    /// The seed's tuple.
    pub fn into_tuple(self) -> OrderDecision {
        (self.accepted, self.reason, self.adjusted)
    }
}

/// A position as the risk manager sees it: signed quantity held, the base quantities of open buy and of open sell
/// orders, and latest price. Limits apply to what is held plus the open orders, so that orders not yet filled count
/// as exposure taken — each side on its own: a working sell may never fill, so it frees no room for buying against
/// a long, and a working buy none for selling.
#[derive(Clone, Copy, Debug)]
struct Holding {
    symbol: Symbol,
    held: Decimal,
    buying: Decimal,
    selling: Decimal,
    price: Decimal,
}

impl Holding {
    /// The signed position if every open order on `side` filled and none on the other.
    #[inline]
    fn toward(&self, side: Side) -> Decimal {
        match side {
            Side::Buy => self.held + self.buying,
            Side::Sell => self.held - self.selling,
        }
    }

    /// Whether anything is held or working.
    fn is_open(&self) -> bool {
        !(self.held.is_zero() && self.buying.is_zero() && self.selling.is_zero())
    }

    /// The larger |position| × price the open orders can leave: every buy filled, or every sell.
    fn exposure(&self) -> Decimal {
        self.toward(Side::Buy).abs().max(self.toward(Side::Sell).abs()) * self.price.abs()
    }
}

/// An instrument's minimum order, for "can this order be resized above the minimum".
#[derive(Clone, Copy, Debug)]
struct Minimum {
    symbol: Symbol,
    lot_size: Decimal,
    min_notional: Decimal,
}

/// The risk manager. One instance type serves backtest, paper and live wiring.
#[derive(Clone, Debug)]
pub struct RiskManager {
    limits: RiskLimits,
    policy: RiskPolicy,
    max_position_fraction: Decimal,
    holdings: Vec<Holding>,
    minimums: Vec<Minimum>,
    /// Per symbol, the fee rate a buy pays on top of its notional (see [`RiskManager::set_fee_rate`]).
    fee_rates: Vec<(Symbol, Decimal)>,
    guard: EquityGuard,
    trades: TradeStats,
    returns: Option<ReturnWindows>,
}

impl RiskManager {
    /// A risk manager enforcing `limits` (validate them first with [`RiskLimits::validate`]) with the default policy.
    pub fn new(limits: RiskLimits) -> Self {
        let guard = EquityGuard::new(
            limits.max_daily_loss_percent,
            limits.max_drawdown_percent,
            limits.max_consecutive_losses,
            limits.cooling_off_period_hours,
        );
        RiskManager {
            max_position_fraction: limits.max_position_size_percent / Decimal::ONE_HUNDRED,
            limits,
            policy: RiskPolicy::default(),
            holdings: Vec::new(),
            minimums: Vec::new(),
            fee_rates: Vec::new(),
            guard,
            trades: TradeStats::default(),
            returns: None,
        }
    }

    /// The same, applying `policy` (Kelly sizing, the correlation rule, exits).
    pub fn with_policy(mut self, policy: RiskPolicy) -> Self {
        self.returns = policy.correlation.map(|c| ReturnWindows::new(c.window));
        self.trades = TradeStats::with_window(policy.kelly.map_or(usize::MAX, |k| k.window as usize));
        self.policy = policy;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// The policy in force.
    pub fn policy(&self) -> &RiskPolicy {
        &self.policy
    }

    /// Tells the risk manager an instrument's lot size and minimum notional, so that it never resizes an order of
    /// that symbol below what the exchange accepts.
    pub fn set_instrument(&mut self, symbol: Symbol, lot_size: Decimal, min_notional: Decimal) {
        self.minimums.retain(|m| m.symbol != symbol);
        self.minimums.push(Minimum { symbol, lot_size, min_notional });
    }

    /// Tells the risk manager the fee rate a fill of `symbol` may pay at its venue, as a fraction (`0.001` for
    /// 0.1 %): the larger of the maker and taker rates, so that a buy's balance check counts the fee it pays on top
    /// of its notional. A rate below zero (a rebate) counts as zero. Without it, fees are not counted.
    pub fn set_fee_rate(&mut self, symbol: Symbol, rate: Decimal) {
        self.fee_rates.retain(|(s, _)| *s != symbol);
        self.fee_rates.push((symbol, rate.max(Decimal::ZERO)));
    }

    /// The fee rate [`Self::set_fee_rate`] gave for `symbol` (zero when none was).
    pub fn fee_rate(&self, symbol: Symbol) -> Decimal {
        self.fee_rates.iter().find(|(s, _)| *s == symbol).map_or(Decimal::ZERO, |(_, rate)| *rate)
    }

    /// The lot size of `symbol`, when [`Self::set_instrument`] gave it.
    pub fn lot_size(&self, symbol: Symbol) -> Option<Decimal> {
        self.minimums.iter().find(|m| m.symbol == symbol).map(|m| m.lot_size)
    }

    /// Sets the portfolio value the day's loss is measured from until the next UTC day (the engine sets the
    /// starting value at start; each later day is measured from the last mark before it).
    pub fn set_daily_start_value(&mut self, value: Decimal) {
        self.guard.set_daily_start_value(value);
    }

    /// The day's start value, once set.
    pub fn daily_start_value(&self) -> Option<Decimal> {
        self.guard.daily_start_value()
    }

    fn holding_mut(&mut self, symbol: Symbol) -> &mut Holding {
        let index = match self.holdings.iter().position(|h| h.symbol == symbol) {
            Some(index) => index,
            None => {
                let zero = Decimal::ZERO;
                let empty = Holding { symbol, held: zero, buying: zero, selling: zero, price: zero };
                self.holdings.push(empty);
                self.holdings.len() - 1
            }
        };
        &mut self.holdings[index]
    }

    /// The base quantity an amount of the quote asset buys at `price`, rounded down to the instrument's lot (to
    /// 10⁻⁸ when the lot is unknown): what a quote-sized order adds to a position, for [`Self::update_working`].
    pub fn quantity_for_amount(&self, symbol: Symbol, amount: Decimal, price: Decimal) -> Decimal {
        if !positive(price) || !positive(amount) {
            return Decimal::ZERO;
        }
        let lot = self.minimums.iter().find(|m| m.symbol == symbol).map(|m| m.lot_size).filter(|lot| positive(*lot));
        lots_for_amount(amount, price, lot.unwrap_or(UNKNOWN_LOT))
    }

    /// Records the current signed base quantity held in `symbol` (the engine calls this after every fill).
    pub fn update_position(&mut self, symbol: Symbol, quantity: Decimal) {
        self.holding_mut(symbol).held = quantity;
    }

    /// Records the base quantities of `symbol`'s open buy orders and of its open sell orders, both not negative (the
    /// engine calls this whenever one opens, fills or ends). Each counts on its own side: the buys against the room
    /// for buying, the sells against the room for selling. Exit orders are not counted: they only reduce.
    pub fn update_working(&mut self, symbol: Symbol, buying: Decimal, selling: Decimal) {
        let holding = self.holding_mut(symbol);
        (holding.buying, holding.selling) = (buying, selling);
    }

    /// Records the latest price of `symbol` (the engine marks its instruments before each check).
    pub fn update_price(&mut self, symbol: Symbol, price: Decimal) {
        self.holding_mut(symbol).price = price;
    }

    /// Signed base quantity of `symbol` if every open order on `side` filled: held plus the open buys, or held less
    /// the open sells.
    pub fn position(&self, symbol: Symbol, side: Side) -> Decimal {
        self.holdings.iter().find(|h| h.symbol == symbol).map_or(Decimal::ZERO, |h| h.toward(side))
    }

    /// Symbols held or with open orders.
    pub fn open_positions(&self) -> usize {
        self.holdings.iter().filter(|h| h.is_open()).count()
    }

    /// The engine's mark of the portfolio at a bar close: day roll, peak, drawdown halt, daily limit.
    #[inline]
    pub fn on_mark(&mut self, time: Timestamp, equity: PackedDecimal) -> MarkOutcome {
        self.guard.on_mark(time, equity)
    }

    /// The drawdown halt, once tripped: when, and why.
    pub fn halt(&self) -> Option<&Halt> {
        self.guard.halt()
    }

    /// The end of the cool-off running at the latest mark's time, if one is.
    pub fn cooling_until(&self) -> Option<Timestamp> {
        self.guard.cooling_until()
    }

    /// Why the day's loss limit was reached today, if it was.
    pub fn daily_limit_reason(&self) -> Option<&str> {
        self.guard.daily_limit_reason()
    }

    /// A symbol's close at `time` (its bar's close time), for the correlation rule (ignored when the rule is off).
    #[inline]
    pub fn on_close(&mut self, symbol: Symbol, time: Timestamp, close: f64) {
        if let Some(returns) = &mut self.returns {
            returns.on_close(symbol, time, close);
        }
    }

    /// The correlation rule's Pearson correlation of `a`'s and `b`'s returns, paired by time; `None` when the rule
    /// is off or the closes do not define it yet.
    pub fn correlation(&self, a: Symbol, b: Symbol) -> Option<f64> {
        self.returns.as_ref()?.correlation(a, b)
    }

    /// Whether the correlation rule needs closes.
    pub fn wants_closes(&self) -> bool {
        self.returns.is_some()
    }

    /// A closed round trip of the strategy (for the loss streak and Kelly). Returns the end of a cool-off it starts.
    pub fn on_round_trip(&mut self, time: Timestamp, net_pnl: Decimal, entry_notional: Decimal) -> Option<Timestamp> {
        if self.policy.kelly.is_some() {
            self.trades.record(net_pnl, entry_notional);
        }
        self.guard.on_round_trip(time, net_pnl)
    }

    /// Checks an order of `quantity` at `price` against the limits (the seed's `validate_order`).
    pub async fn validate_order(
        &self,
        symbol: Symbol,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> OrderDecision {
        self.check_order(symbol, side, OrderQty::Base(quantity), price, portfolio_value, available_balance).into_tuple()
    }

    /// The same rules for an order sized as an amount of the quote asset (a "spend this much" market order); the
    /// third element of the answer is the adjusted amount.
    pub async fn validate_quote_order(
        &self,
        symbol: Symbol,
        side: Side,
        amount: Decimal,
        price: Decimal,
        portfolio_value: Decimal,
        available_balance: Decimal,
    ) -> OrderDecision {
        self.check_order(symbol, side, OrderQty::Quote(amount), price, portfolio_value, available_balance).into_tuple()
    }

    /// Stop-loss and take-profit distances for an entry at `entry_price` (with an optional volatility such as ATR),
    /// or the refusal of the entry when their reward-to-risk ratio is below `min_risk_reward_ratio`.
    ///
    /// # Errors
    /// The refusal, as a [`RiskDecision`] naming [`RiskRule::RiskReward`] and the computed ratio.
    pub fn exit_distances(
        &self,
        entry_price: Decimal,
        volatility: Option<Decimal>,
    ) -> Result<ExitDistances, RiskDecision> {
        let distances =
            ExitDistances::new(&self.limits, self.policy.exits.volatility_multiple, entry_price, volatility);
        let ratio = distances.reward_to_risk();
        if ratio < self.limits.min_risk_reward_ratio {
            return Err(RiskDecision::refuse(
                RiskRule::RiskReward,
                format!(
                    "reward/risk {} of the stop-loss / take-profit pair is below min_risk_reward_ratio {}",
                    ratio.round_dp(4).normalize(),
                    self.limits.min_risk_reward_ratio
                ),
            ));
        }
        Ok(distances)
    }

    /// The stop-loss and take-profit prices for an entry (the seed's `calculate_stop_loss_take_profit`): the
    /// default percentages, or with a `volatility` a stop at `volatility_multiple` of it.
    pub async fn calculate_stop_loss_take_profit(
        &self,
        _symbol: Symbol,
        side: Side,
        entry_price: Decimal,
        volatility: Option<Decimal>,
    ) -> (Decimal, Decimal) {
        ExitDistances::new(&self.limits, self.policy.exits.volatility_multiple, entry_price, volatility)
            .levels(side, entry_price)
    }

    /// Whether trading must stop (the seed's `check_emergency_stop`): the halt already tripped, or `portfolio_value`
    /// is `max_drawdown_percent` or more below the peak (which trips it).
    pub async fn check_emergency_stop(&mut self, portfolio_value: Decimal) -> (bool, String) {
        match self.guard.check_drawdown(portfolio_value) {
            Some(halt) => (true, halt.reason.clone()),
            None => (false, String::new()),
        }
    }

    /// The portfolio's risk now (the seed's `assess_portfolio_risk`), from the positions at their latest prices.
    pub async fn assess_portfolio_risk(&self, portfolio_value: Decimal) -> PortfolioRisk {
        let hundred = Decimal::ONE_HUNDRED;
        let gross: Decimal = self.holdings.iter().map(Holding::exposure).sum();
        let net: Decimal = self.holdings.iter().map(|h| (h.held + h.buying - h.selling) * h.price).sum();
        let peak = self.guard.peak().unwrap_or(portfolio_value).max(portfolio_value);
        let drawdown = if positive(peak) { (Decimal::ONE - portfolio_value / peak) * hundred } else { Decimal::ZERO };
        let start = self.guard.daily_start_value().unwrap_or(portfolio_value);
        let daily_pnl = portfolio_value - start;
        let daily_pnl_percent = if positive(start) { daily_pnl / start * hundred } else { Decimal::ZERO };
        let leverage = if positive(portfolio_value) { gross / portfolio_value } else { Decimal::ZERO };
        let (group, group_exposure) = self.largest_correlated_group();
        let group_percent =
            if positive(portfolio_value) { group_exposure / portfolio_value * hundred } else { Decimal::ZERO };
        let usage = |used: Decimal, limit: Decimal| if positive(limit) { used / limit } else { Decimal::ZERO };
        let usages = [
            usage(drawdown, self.limits.max_drawdown_percent),
            usage(-daily_pnl_percent, self.limits.max_daily_loss_percent),
            usage(leverage, self.limits.max_leverage),
        ];
        let halted = self.guard.halt().map(|h| h.reason.clone());
        let cooling = self.guard.cooling_until();
        PortfolioRisk {
            risk_level: RiskLevel::from_usage(
                halted.is_some() || self.guard.daily_limit_hit(),
                cooling.is_some(),
                &usages,
            ),
            portfolio_value,
            current_drawdown: drawdown.round_dp(6),
            daily_pnl,
            daily_pnl_percent: daily_pnl_percent.round_dp(6),
            gross_exposure: gross,
            net_exposure: net,
            leverage: leverage.round_dp(6),
            open_positions: self.open_positions(),
            largest_correlated_group: group,
            largest_correlated_exposure: group_percent.round_dp(6),
            halted,
            daily_limit_reached: self.guard.daily_limit_hit(),
            cooling_off_until: cooling,
        }
    }

    /// The held assets forming the largest group by exposure (each held asset with those correlated with it at
    /// or above the threshold), with its exposure; empty when no two held assets are correlated.
    fn largest_correlated_group(&self) -> (Vec<Symbol>, Decimal) {
        let mut best: (Vec<Symbol>, Decimal) = (Vec::new(), Decimal::ZERO);
        for seed in self.holdings.iter().filter(|h| h.is_open()) {
            let Some((mut group, others)) = self.correlated_exposure(seed.symbol) else { continue };
            let total = others + seed.exposure();
            if total > best.1 {
                group.push(seed.symbol);
                group.sort();
                best = (group, total);
            }
        }
        best
    }
}
