//! A private client's right of withdrawal (Code de la consommation L221-18 and following): a
//! contract concluded at a distance or off premises may be withdrawn from within 14 days of its
//! conclusion (for services), the period ending on a Saturday, Sunday or public holiday running
//! to the next working day (L221-19, code de procédure civile 642). Work starts before it ends
//! only at the client's express request (L221-25); a client who withdraws then owes the part of
//! the price for what was done.

use jiff::civil::Date;

use super::{OrderStatus, PurchaseOrder, PurchaseOrderStatus};
use jiff::{Timestamp, ToSpan};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Days of the withdrawal period (L221-18).
pub const WITHDRAWAL_DAYS: i64 = 14;

/// The withdrawal right attached to a purchase order (and its order) of a private client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Withdrawal {
    /// The last day the client may withdraw.
    #[schema(value_type = String, format = Date)]
    pub ends_on: Date,
    /// The client asked for the work to start before the period ends (L221-25).
    pub early_start: bool,
    /// When the client withdrew.
    pub withdrawn_at: Option<Timestamp>,
    /// What the client owes for the work done at its request before it withdrew.
    pub amount_due: Option<Decimal>,
}

impl PurchaseOrder {
    /// Its withdrawal right, when the client may still use it on `today`: open, the purchase
    /// order not cancelled and its order (`order_status`, the one just read if any) neither
    /// delivered nor cancelled.
    pub fn withdrawable(&self, order_status: Option<OrderStatus>, today: Date) -> Option<&Withdrawal> {
        let finished = matches!(order_status, Some(OrderStatus::Delivered | OrderStatus::Cancelled))
            || self.status == PurchaseOrderStatus::Cancelled;
        self.withdrawal.as_ref().filter(|w| w.open(today) && !finished)
    }
}

impl Withdrawal {
    /// Whether the client may still withdraw on `today`.
    pub fn open(&self, today: Date) -> bool {
        self.withdrawn_at.is_none() && today <= self.ends_on
    }

    /// Whether production must wait on `today`: the period runs and the client did not ask for
    /// an earlier start.
    pub fn holds_production(&self, today: Date) -> bool {
        !self.early_start && self.open(today)
    }

    /// Whether a stage may be planned on `day`: after the period, or at the client's request.
    pub fn allows_work_on(&self, day: Date) -> bool {
        self.early_start || day > self.ends_on
    }
}

/// The last day of the withdrawal period of a contract concluded on `concluded`.
pub fn withdrawal_deadline(concluded: Date) -> Date {
    let mut day = crate::ports::add_days(concluded, WITHDRAWAL_DAYS);
    while !working_day(day) {
        day = day.tomorrow().unwrap_or(day);
    }
    day
}

/// Neither a weekend nor a French public holiday.
pub fn working_day(day: Date) -> bool {
    use jiff::civil::Weekday;
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !public_holiday(day)
}

/// The French public holidays (code du travail L3133-1, metropolitan France): eight fixed days,
/// Easter Monday, Ascension and Whit Monday.
pub fn public_holiday(day: Date) -> bool {
    const FIXED: [(i8, i8); 8] = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)];
    if FIXED.contains(&(day.month(), day.day())) {
        return true;
    }
    let easter = easter_sunday(day.year());
    [1, 39, 50].iter().any(|d| easter.checked_add(d.days()).ok() == Some(day))
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
pub fn easter_sunday(year: i16) -> Date {
    let y = i32::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, month as i8, day as i8).unwrap_or(Date::constant(2000, 4, 23))
}

/// What a client who withdrew owes for the work done at its request: the price in proportion to
/// the stages done (L221-25), to the cent.
pub fn pro_rata(total: Decimal, done: usize, stages: usize) -> Decimal {
    if stages == 0 || done == 0 {
        return Decimal::ZERO;
    }
    (total * Decimal::from(done as u64) / Decimal::from(stages as u64)).round_dp(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn easter_falls_where_the_calendars_say() {
        for (year, day) in [
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), d(day), "{year}");
        }
        assert!(public_holiday(d("2026-05-14")), "Ascension 2026");
        assert!(public_holiday(d("2026-05-25")), "Whit Monday 2026");
        assert!(public_holiday(d("2026-04-06")) && !public_holiday(d("2026-04-07")));
    }

    #[test]
    fn fourteen_days_then_the_next_working_day() {
        // Accepted on Monday 1 June 2026: Monday 15 June.
        assert_eq!(withdrawal_deadline(d("2026-06-01")), d("2026-06-15"));
        // Ends on Saturday 20 June: Monday 22.
        assert_eq!(withdrawal_deadline(d("2026-06-06")), d("2026-06-22"));
        // Ends on Friday 1 May (holiday): Monday 4 May.
        assert_eq!(withdrawal_deadline(d("2026-04-17")), d("2026-05-04"));
        // Ends on Saturday 25 December 2027: Monday 27.
        assert_eq!(withdrawal_deadline(d("2027-12-11")), d("2027-12-27"));
    }

    #[test]
    fn the_period_holds_production_unless_the_client_asked() {
        let w = Withdrawal { ends_on: d("2026-06-15"), early_start: false, withdrawn_at: None, amount_due: None };
        assert!(w.open(d("2026-06-15")) && !w.open(d("2026-06-16")));
        assert!(w.holds_production(d("2026-06-10")) && !w.holds_production(d("2026-06-16")));
        assert!(!w.allows_work_on(d("2026-06-15")) && w.allows_work_on(d("2026-06-16")));
        let early = Withdrawal { early_start: true, ..w };
        assert!(!early.holds_production(d("2026-06-10")) && early.allows_work_on(d("2026-06-02")));
        assert_eq!(pro_rata(Decimal::new(46800, 2), 1, 3), Decimal::new(15600, 2));
        assert_eq!(pro_rata(Decimal::new(100, 0), 0, 3), Decimal::ZERO);
        assert_eq!(pro_rata(Decimal::new(100, 0), 1, 3), Decimal::new(3333, 2));
    }
}
