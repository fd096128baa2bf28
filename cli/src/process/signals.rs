//! SIGINT and SIGTERM stop a trace (which is then written) instead of
//! killing cinch.

use anyhow::{Context, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Why tracing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    TargetExited,
    Duration,
    /// Every `--exercise` command has finished.
    Exercised,
    Interrupted,
    Terminated,
}

pub struct StopSignals {
    received: Arc<AtomicUsize>,
}

impl StopSignals {
    pub fn install() -> Result<StopSignals> {
        let received = Arc::new(AtomicUsize::new(0));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let received = Arc::clone(&received);
            // SAFETY: the handler only stores to an atomic.
            unsafe {
                signal_hook::low_level::register(signal, move || {
                    received.store(signal as usize, Ordering::SeqCst);
                })
            }
            .context("cannot install signal handlers")?;
        }
        Ok(StopSignals { received })
    }

    pub fn received(&self) -> Option<StopReason> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            s if s == signal_hook::consts::SIGINT as usize => Some(StopReason::Interrupted),
            _ => Some(StopReason::Terminated),
        }
    }
}
