//! When work on a request must stop: at its deadline, or as soon as nobody
//! waits for the answer. The engine checks between its phases, per rule,
//! per section of text and per alternative, so a request that timed out
//! stops using the CPU at the next check instead of running to the end
//! unseen.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A request's deadline and its cancellation flag; cheap to clone and to
/// check.
#[derive(Debug, Clone, Default)]
pub struct Deadline {
    at: Option<Instant>,
    cancelled: Arc<AtomicBool>,
}

/// Why work stopped before it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// The request's deadline passed.
    #[error("the deadline passed before the work was done")]
    DeadlineExceeded,
    /// The caller went away or the server is closing the connection.
    #[error("the request was cancelled")]
    Cancelled,
}

impl Deadline {
    /// No deadline: work runs to the end (the command line, benchmarks).
    pub fn none() -> Deadline {
        Deadline::default()
    }

    /// Work must stop at `at`.
    pub fn at(at: Instant) -> Deadline {
        Deadline {
            at: Some(at),
            cancelled: Arc::default(),
        }
    }

    /// When work must stop, if ever.
    pub fn instant(&self) -> Option<Instant> {
        self.at
    }

    /// Stops the work at its next check, from any thread.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// A guard that cancels the work when dropped, unless disarmed: held by
    /// the task that waits for the answer, so that a dropped wait (the
    /// caller went away, the deadline fired outside) stops the work too.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }

    /// `Err` when the work should stop now.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Interrupted::Cancelled);
        }
        match self.at {
            Some(at) if Instant::now() >= at => Err(Interrupted::DeadlineExceeded),
            _ => Ok(()),
        }
    }
}

/// Cancels its [`Deadline`] when dropped; see [`Deadline::cancel_on_drop`].
#[derive(Debug)]
pub struct CancelOnDrop(Option<Deadline>);

impl CancelOnDrop {
    /// The work finished: dropping the guard no longer cancels anything.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(d) = &self.0 {
            d.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_past_deadline_or_a_dropped_guard_stops_the_work() {
        assert_eq!(Deadline::none().check(), Ok(()));
        let past = Deadline::at(Instant::now() - Duration::from_millis(1));
        assert_eq!(past.check(), Err(Interrupted::DeadlineExceeded));
        let d = Deadline::at(Instant::now() + Duration::from_secs(60));
        assert_eq!(d.check(), Ok(()));
        drop(d.cancel_on_drop());
        assert_eq!(d.check(), Err(Interrupted::Cancelled));
        let d = Deadline::none();
        d.cancel_on_drop().disarm();
        assert_eq!(d.check(), Ok(()));
    }
}
