//! # ir-sim
//!
//! A simulated production (placeholder docs, replaced below).

pub mod railway;
