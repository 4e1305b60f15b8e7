//! The business-calendar clock and SLA goal timing (LANGUAGE.md §7):
//! worked examples, DST in both directions, interval boundaries, a
//! minute-by-minute reference model, and invariants.

mod boundaries;
mod common;
mod dst;
mod invariants;
mod model;
mod worked_examples;
