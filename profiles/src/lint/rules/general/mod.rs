//! Rules about the linting itself, reported by the driver (lint/mod.rs).

pub mod bad_suppression;
pub mod missing_reference;
pub mod not_read;
pub mod unparsable;
