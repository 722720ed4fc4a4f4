//! [`EquityGuard`]: the limits that depend on the equity path and on time — the daily loss limit (each UTC day of
//! engine time measured from the last mark before it, so the bar that closes at midnight counts and daily bars can
//! trip it), the drawdown emergency stop (latched), and the cool-off after a streak of losing trades. It reads time
//! only from the marks the engine gives it, never from the wall clock.

use rust_decimal::Decimal;

use crate::model::exact::{POW10, PackedDecimal};
use crate::model::{NANOS_PER_DAY, Timestamp};

/// Why and when trading was halted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Halt {
    /// Engine time of the mark that tripped it.
    pub time: Timestamp,
    /// The reason, with the numbers.
    pub reason: String,
}

/// What a mark changed. The reasons are kept by the guard ([`EquityGuard::halt`],
/// [`EquityGuard::daily_limit_reason`]), so that a mark that changes nothing returns two flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarkOutcome {
    /// The drawdown halt tripped at this mark.
    pub halted: bool,
    /// The day's loss limit was reached at this mark.
    pub daily_limit: bool,
}

impl MarkOutcome {
    /// Whether any limit was reached.
    #[inline]
    pub fn any(self) -> bool {
        self.halted || self.daily_limit
    }
}

/// The state behind the daily-loss, drawdown and cool-off rules.
#[derive(Clone, Debug)]
pub struct EquityGuard {
    daily_loss_fraction: Decimal,
    drawdown_fraction: Decimal,
    max_losses: u32,
    cooling_off_ns: i64,
    now: Timestamp,
    next_day_start: i64,
    day_start_value: Option<Decimal>,
    /// The latest mark: the next UTC day is measured from it.
    last_mark: Option<PackedDecimal>,
    daily_limit: Option<String>,
    peak: Option<Decimal>,
    halted: Option<Halt>,
    loss_streak: u32,
    cooling_until: Option<Timestamp>,
    quiet: QuietBand,
}

/// The band of equity in which a mark changes nothing — not above the peak, above both floors — as integers at
/// one scale, so that almost every mark costs two integer comparisons instead of decimal arithmetic.
#[derive(Clone, Copy, Debug)]
struct QuietBand {
    /// The scale `ceiling` and `floor` are counted in; `u32::MAX` when the band is not set up (every mark then
    /// takes the exact path).
    scale: u32,
    /// ⌊peak × 10^scale⌋: a mark at or below it is not a new peak.
    ceiling: i128,
    /// The larger of ⌊drawdown floor × 10^scale⌋ and ⌊daily floor × 10^scale⌋ among the limits that can still
    /// trip (`i128::MIN` when none can): a mark above it trips nothing.
    floor: i128,
}

impl QuietBand {
    const NONE: QuietBand = QuietBand { scale: u32::MAX, ceiling: i128::MIN, floor: i128::MAX };

    #[inline]
    fn contains(self, (units, scale): (i128, u32)) -> bool {
        scale == self.scale && units <= self.ceiling && units > self.floor
    }
}

/// ⌊value × 10^scale⌋ as an integer, when it fits.
fn units_at(value: Decimal, scale: u32) -> Option<i128> {
    let factor = Decimal::from_i128_with_scale(*POW10.get(scale as usize)?, 0);
    let scaled = value.checked_mul(factor)?.floor();
    Some(scaled.mantissa())
}

impl EquityGuard {
    /// A guard for `max_daily_loss_percent`, `max_drawdown_percent`, `max_consecutive_losses` and
    /// `cooling_off_period_hours`.
    pub fn new(
        daily_loss_percent: Decimal,
        drawdown_percent: Decimal,
        max_losses: u32,
        cooling_off_hours: u32,
    ) -> Self {
        EquityGuard {
            daily_loss_fraction: daily_loss_percent / Decimal::ONE_HUNDRED,
            drawdown_fraction: drawdown_percent / Decimal::ONE_HUNDRED,
            max_losses,
            cooling_off_ns: i64::from(cooling_off_hours).saturating_mul(3_600_000_000_000),
            now: Timestamp(i64::MIN),
            next_day_start: i64::MIN,
            day_start_value: None,
            last_mark: None,
            daily_limit: None,
            peak: None,
            halted: None,
            loss_streak: 0,
            cooling_until: None,
            quiet: QuietBand::NONE,
        }
    }

    /// Engine time of the latest mark.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Sets the value the day's loss is measured from until the next UTC day begins (the engine sets the starting
    /// value at start; a day measures from the last mark before it).
    pub fn set_daily_start_value(&mut self, value: Decimal) {
        self.day_start_value = Some(value);
        self.daily_limit = None;
        self.quiet = QuietBand::NONE;
    }

    /// The value the day's loss is measured from.
    pub fn daily_start_value(&self) -> Option<Decimal> {
        self.day_start_value
    }

    /// The highest equity marked so far.
    pub fn peak(&self) -> Option<Decimal> {
        self.peak
    }

    /// Whether the drawdown halt has tripped, and why.
    pub fn halt(&self) -> Option<&Halt> {
        self.halted.as_ref()
    }

    /// Whether the day's loss limit has been reached today.
    pub fn daily_limit_hit(&self) -> bool {
        self.daily_limit.is_some()
    }

    /// Why the day's loss limit was reached today, with the numbers.
    pub fn daily_limit_reason(&self) -> Option<&str> {
        self.daily_limit.as_deref()
    }

    /// The end of the current cool-off, if one is running at engine time `now`.
    pub fn cooling_until(&self) -> Option<Timestamp> {
        self.cooling_until.filter(|&until| self.now < until)
    }

    /// Losing round trips in a row so far.
    pub fn loss_streak(&self) -> u32 {
        self.loss_streak
    }

    /// Takes the portfolio's value at a mark (a bar close): at the first mark of each UTC day, starts the day from
    /// the mark before it (the first day from the value set at start, or else from its own first mark), follows
    /// the peak, and trips the drawdown halt or the daily limit when equity reaches their floors.
    #[inline]
    pub fn on_mark(&mut self, time: Timestamp, equity: PackedDecimal) -> MarkOutcome {
        self.now = time;
        let previous = self.last_mark.replace(equity);
        if time.0 < self.next_day_start && self.quiet.contains(equity.parts()) {
            return MarkOutcome::default();
        }
        self.mark_exactly(time, equity.to_decimal(), previous)
    }

    /// [`EquityGuard::on_mark`] outside the quiet band, in decimals; sets the band up again for the next marks.
    #[cold]
    fn mark_exactly(&mut self, time: Timestamp, equity: Decimal, previous: Option<PackedDecimal>) -> MarkOutcome {
        if time.0 >= self.next_day_start {
            self.next_day_start = (time.0.div_euclid(NANOS_PER_DAY) + 1).saturating_mul(NANOS_PER_DAY);
            let start = previous.map(PackedDecimal::to_decimal).or(self.day_start_value).unwrap_or(equity);
            self.set_daily_start_value(start);
        }
        let mut outcome = MarkOutcome::default();
        match self.peak {
            Some(peak) if equity <= peak => {
                if self.halted.is_none() && equity <= peak * (Decimal::ONE - self.drawdown_fraction) {
                    let reason = format!(
                        "drawdown {:.4} % from the peak {peak} to {equity} reached max_drawdown_percent {} %",
                        (Decimal::ONE - equity / peak) * Decimal::ONE_HUNDRED,
                        (self.drawdown_fraction * Decimal::ONE_HUNDRED).normalize()
                    );
                    self.halted = Some(Halt { time, reason });
                    outcome.halted = true;
                }
            }
            _ => self.peak = Some(equity),
        }
        if self.daily_limit.is_none()
            && let Some(start) = self.day_start_value
            && equity <= start * (Decimal::ONE - self.daily_loss_fraction)
        {
            self.daily_limit = Some(format!(
                "equity {equity} is {:.4} % below the day's start {start}, reaching max_daily_loss_percent {} %",
                (Decimal::ONE - equity / start) * Decimal::ONE_HUNDRED,
                (self.daily_loss_fraction * Decimal::ONE_HUNDRED).normalize()
            ));
            outcome.daily_limit = true;
        }
        self.quiet = self.quiet_band(equity.scale()).unwrap_or(QuietBand::NONE);
        outcome
    }

    /// The quiet band at `scale` for the current peak and limits.
    fn quiet_band(&self, scale: u32) -> Option<QuietBand> {
        let peak = self.peak?;
        let mut floor = i128::MIN;
        if self.halted.is_none() {
            floor = floor.max(units_at(peak * (Decimal::ONE - self.drawdown_fraction), scale)?);
        }
        if self.daily_limit.is_none()
            && let Some(start) = self.day_start_value
        {
            floor = floor.max(units_at(start * (Decimal::ONE - self.daily_loss_fraction), scale)?);
        }
        Some(QuietBand { scale, ceiling: units_at(peak, scale)?, floor })
    }

    /// Checks `value` against the drawdown limit (the seed's `check_emergency_stop`); latches the halt when reached.
    pub fn check_drawdown(&mut self, value: Decimal) -> Option<&Halt> {
        if self.halted.is_none()
            && let Some(peak) = self.peak
            && value <= peak * (Decimal::ONE - self.drawdown_fraction)
        {
            let reason = format!(
                "drawdown {:.4} % from the peak {peak} reached max_drawdown_percent {} %",
                (Decimal::ONE - value / peak) * Decimal::ONE_HUNDRED,
                (self.drawdown_fraction * Decimal::ONE_HUNDRED).normalize()
            );
            self.halted = Some(Halt { time: self.now, reason });
            self.quiet = QuietBand::NONE;
        }
        self.halted.as_ref()
    }

    /// Counts a closed round trip; after `max_consecutive_losses` losers in a row, starts a cool-off and returns
    /// its end.
    pub fn on_round_trip(&mut self, time: Timestamp, net_pnl: Decimal) -> Option<Timestamp> {
        if !net_pnl.is_sign_negative() || net_pnl.is_zero() {
            self.loss_streak = 0;
            return None;
        }
        self.loss_streak += 1;
        if self.loss_streak < self.max_losses {
            return None;
        }
        self.loss_streak = 0;
        let until = Timestamp(time.0.saturating_add(self.cooling_off_ns));
        self.cooling_until = Some(until);
        Some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    const HOUR: i64 = 3_600_000_000_000;

    fn mark(guard: &mut EquityGuard, hour: i64, equity: Decimal) -> MarkOutcome {
        guard.on_mark(Timestamp(hour * HOUR), PackedDecimal::from_decimal(equity))
    }

    #[test]
    fn the_drawdown_halt_trips_at_the_first_mark_at_or_below_peak_times_one_minus_the_limit() {
        let mut g = EquityGuard::new(dec!(50), dec!(10), 5, 24);
        assert_eq!(mark(&mut g, 1, dec!(1000)), MarkOutcome::default());
        assert_eq!(mark(&mut g, 2, dec!(1200)), MarkOutcome::default()); // peak 1200, floor 1080
        assert!(!mark(&mut g, 3, dec!(1080.01)).halted);
        assert!(mark(&mut g, 4, dec!(1080)).halted);
        let halt = g.halt().unwrap();
        assert!(halt.reason.contains("drawdown 10.0000 %") && halt.reason.contains("peak 1200"), "{}", halt.reason);
        assert_eq!(halt.time, Timestamp(4 * HOUR));
        assert!(!mark(&mut g, 5, dec!(2000)).halted, "the halt stays latched, reported once");
        assert!(g.halt().is_some());
    }

    #[test]
    fn the_daily_limit_is_measured_from_the_last_mark_before_each_utc_day_and_resets_the_next_day() {
        let mut g = EquityGuard::new(dec!(5), dec!(50), 5, 24);
        mark(&mut g, 20, dec!(1000)); // the first day, with no start value set, starts at its first mark: floor 950
        assert!(!mark(&mut g, 22, dec!(951)).daily_limit);
        assert!(mark(&mut g, 23, dec!(950)).daily_limit);
        assert!(g.daily_limit_reason().unwrap().contains("5.0000 % below"));
        assert!(g.daily_limit_hit());
        // 00:00 of day 1: the day starts at 23:00's 950 (floor 902.5), and this mark's 940 is measured against it.
        assert!(!mark(&mut g, 24, dec!(940)).daily_limit);
        assert!(!g.daily_limit_hit());
        assert_eq!(g.daily_start_value(), Some(dec!(950)));
        assert!(mark(&mut g, 25, dec!(902.5)).daily_limit);
    }

    #[test]
    fn the_first_day_is_measured_from_the_value_set_at_start() {
        let mut g = EquityGuard::new(dec!(5), dec!(50), 5, 24);
        g.set_daily_start_value(dec!(1000));
        assert!(mark(&mut g, 24, dec!(950)).daily_limit, "the first mark is 5 % below the start");
        assert_eq!(g.daily_start_value(), Some(dec!(1000)));
    }

    #[test]
    fn a_streak_of_losses_starts_a_cool_off_of_engine_time() {
        let mut g = EquityGuard::new(dec!(5), dec!(15), 3, 24);
        mark(&mut g, 0, dec!(1000));
        assert_eq!(g.on_round_trip(Timestamp(HOUR), dec!(-1)), None);
        assert_eq!(g.on_round_trip(Timestamp(2 * HOUR), dec!(5)), None, "a winner resets the streak");
        assert_eq!(g.on_round_trip(Timestamp(3 * HOUR), dec!(-1)), None);
        assert_eq!(g.on_round_trip(Timestamp(4 * HOUR), dec!(-2)), None);
        assert_eq!(g.on_round_trip(Timestamp(5 * HOUR), dec!(-3)), Some(Timestamp(29 * HOUR)));
        mark(&mut g, 28, dec!(990));
        assert_eq!(g.cooling_until(), Some(Timestamp(29 * HOUR)));
        mark(&mut g, 29, dec!(990));
        assert_eq!(g.cooling_until(), None, "over at exactly 24 h");
    }

    /// The rules stated plainly, in decimals, mark by mark: what the guard must agree with.
    struct Reference {
        peak: Option<Decimal>,
        day: Option<i64>,
        day_start: Decimal,
        last: Option<Decimal>,
        daily_hit: bool,
        halted: bool,
    }

    impl Reference {
        fn mark(&mut self, time: i64, equity: Decimal, daily: Decimal, drawdown: Decimal) -> (bool, bool) {
            let day = time.div_euclid(NANOS_PER_DAY);
            if self.day != Some(day) {
                self.day = Some(day);
                self.day_start = self.last.unwrap_or(equity);
                self.daily_hit = false;
            }
            self.last = Some(equity);
            let peak = *self.peak.get_or_insert(equity);
            let mut halts = false;
            if equity > peak {
                self.peak = Some(equity);
            } else if !self.halted && equity <= peak * (Decimal::ONE - drawdown / Decimal::ONE_HUNDRED) {
                self.halted = true;
                halts = true;
            }
            let mut hits = false;
            if !self.daily_hit && equity <= self.day_start * (Decimal::ONE - daily / Decimal::ONE_HUNDRED) {
                self.daily_hit = true;
                hits = true;
            }
            (halts, hits)
        }
    }

    proptest::proptest! {
        #[test]
        fn the_quiet_band_never_changes_what_a_mark_decides(
            steps in proptest::collection::vec((0i64..30, 5_000i64..15_000, 0u32..4), 1..200),
            daily in 1u32..20,
            drawdown in 1u32..40,
        ) {
            let (daily, drawdown) = (Decimal::from(daily), Decimal::from(drawdown));
            let mut guard = EquityGuard::new(daily, drawdown, 5, 24);
            let mut reference = Reference {
                peak: None,
                day: None,
                day_start: Decimal::ZERO,
                last: None,
                daily_hit: false,
                halted: false,
            };
            let mut hour = 0;
            for (advance, cents, extra_scale) in steps {
                hour += advance;
                // The same kind of value at different scales (trailing zeros), as marks produce them.
                let equity = Decimal::new(cents, 2);
                let equity = Decimal::from_i128_with_scale(equity.mantissa() * 10i128.pow(extra_scale), 2 + extra_scale);
                let outcome = mark(&mut guard, hour, equity);
                let expected = reference.mark(hour * HOUR, equity, daily, drawdown);
                proptest::prop_assert_eq!((outcome.halted, outcome.daily_limit), expected);
                proptest::prop_assert_eq!(guard.peak(), reference.peak);
            }
        }
    }
}
