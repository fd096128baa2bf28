//! What a guest run printed (`scripts/vm`, `scripts/arm64-vm`): the guest
//! scripts mark each step's status `MARK STEP=STATUS` and a step's output
//! `=== NAME` up to the next `=== ` line.

use super::output_text;
use std::process::Output;

pub struct GuestRun {
    /// The guest command's output.
    pub stdout: String,
    /// Stdout and stderr together, for failure messages.
    pub all: String,
    /// The status marker the script prints (`cinch-matrix`, `cinch-arm64`...).
    mark: &'static str,
}

impl GuestRun {
    pub fn new(out: &Output, mark: &'static str) -> GuestRun {
        GuestRun { stdout: String::from_utf8_lossy(&out.stdout).into_owned(), all: output_text(out), mark }
    }

    /// The status `MARK STEP=N` reported, if the script got that far.
    pub fn status(&self, step: &str) -> Option<i32> {
        let prefix = format!("{} {step}=", self.mark);
        self.stdout.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|s| s.trim().parse().ok())
    }

    /// What the script printed after `=== NAME`, up to the next `=== ` line.
    pub fn section(&self, name: &str) -> String {
        let text = self.stdout.split(&format!("=== {name}\n")).nth(1).unwrap_or("");
        text.split("\n=== ").next().unwrap_or("").to_string()
    }
}
