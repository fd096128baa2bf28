//! The live status line shown while tracing on a terminal; silent otherwise.

use cinch_ebpf::Progress;
use std::io::{IsTerminal, Write};
use std::time::Duration;

pub struct StatusLine {
    enabled: bool,
}

impl StatusLine {
    /// Enabled only when stderr is a terminal.
    pub fn new() -> StatusLine {
        StatusLine { enabled: std::io::stderr().is_terminal() }
    }

    /// Whether updates are shown at all (stderr is a terminal).
    pub fn is_shown(&self) -> bool {
        self.enabled
    }

    pub fn update(&self, elapsed: Duration, progress: &Progress) {
        if !self.enabled {
            return;
        }
        let line = format!(
            "tracing {:>6.1}s  processes {}  syscalls {} distinct  events {}  lost {}",
            elapsed.as_secs_f64(),
            progress.processes,
            progress.distinct_syscalls,
            progress.syscalls,
            progress.lost_events,
        );
        let mut err = std::io::stderr().lock();
        // \r then clear-to-end-of-line: one line, rewritten in place.
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.enabled {
            clear_line();
        }
    }
}

/// Erases the status line, if one is showing, before other output.
pub fn clear_line() {
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    }
}
