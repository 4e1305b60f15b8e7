#![doc = "baton: a rule engine for the moment a customer passes from one team to another."]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod diag;
pub mod span;
pub mod syntax;
pub mod value;
