//! What a generator tells the user beside its output: a remark, and where
//! the remark suggests a step, which step, as a [`Remedy`] the front end
//! words in its own terms (the CLI names its flags; the library does not).

use std::fmt;

/// One remark of a generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The remark itself, complete without the remedy.
    pub text: String,
    /// The step the remark points to, if any.
    pub remedy: Option<Remedy>,
}

/// A step the user can take, named for what it does rather than how a
/// front end spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Merge traces of more runs, or lower the number of created files in one
    /// directory from which the AppArmor generator allows the directory's `*`.
    MoreRunsOrLowerGlobThreshold,
    /// Name the host directories mounted into the container (host:container),
    /// so that their owner can be mapped.
    NameHostVolumes,
    /// Give a trace of the workload, so that the output holds what it used.
    GiveTrace,
    /// Copy the dynamic libraries and the loader into the image.
    CopyLibraries,
    /// Mount a parent directory instead of the path itself.
    MountParentDirectory,
}

impl Note {
    /// A note that suggests `remedy`.
    pub fn with_remedy(text: impl Into<String>, remedy: Remedy) -> Note {
        Note { text: text.into(), remedy: Some(remedy) }
    }
}

/// The note every generator gives for a trace that lost events: what it was
/// not told may be missing from what it writes.
pub fn lost_events(trace: &crate::Trace) -> Option<Note> {
    (trace.lost_events > 0).then(|| {
        Note::from(format!(
            "the trace lost {} events: it is incomplete, and what is generated from it may be too tight",
            trace.lost_events
        ))
    })
}

/// The note every generator gives for a trace that ended with the workload
/// still running: its shutdown was not seen.
pub fn exit_unseen(trace: &crate::Trace) -> Option<Note> {
    (trace.target_exited == Some(false)).then(|| {
        Note::from(
            "the trace ended with the workload still running: its shutdown (signal handling, exit, cleanup) is not \
             in it, and a profile made from it may stop it uncleanly; trace it to its end",
        )
    })
}

impl From<String> for Note {
    fn from(text: String) -> Note {
        Note { text, remedy: None }
    }
}

impl From<&str> for Note {
    fn from(text: &str) -> Note {
        Note::from(text.to_string())
    }
}

/// The remark alone; a front end adds the remedy in its words.
impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
