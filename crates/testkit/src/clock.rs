//! The tests' clock: it stands still until the test moves it.

use std::sync::Mutex;

use immovr_core::Clock;
use jiff::{Timestamp, ToSpan};

/// A clock that stands still until the test moves it.
pub struct TestClock(Mutex<Timestamp>);

impl TestClock {
    pub fn new(start: Timestamp) -> Self {
        TestClock(Mutex::new(start))
    }

    pub fn advance_minutes(&self, minutes: i64) {
        let mut t = self.0.lock().unwrap();
        *t = t.checked_add(minutes.minutes()).unwrap();
    }

    pub fn advance_seconds(&self, seconds: i64) {
        let mut t = self.0.lock().unwrap();
        *t = t.checked_add(seconds.seconds()).unwrap();
    }

    pub fn advance_days(&self, days: i64) {
        let mut t = self.0.lock().unwrap();
        *t = t.checked_add((days * 24).hours()).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}
