//! The provider traits ("ports"), one per capability, and the `ir-core` types they take and
//! return.
//!
//! Every trait is object safe and `Send + Sync + Debug + 'static`, so it is held as
//! `Arc<dyn Trait>`. With the `mock` feature each has a `mockall` mock (`MockDeployPlatform`,
//! ...); with the `testkit` feature, in-memory implementations and conformance suites live in
//! `ir_core::testkit`.

mod approver;
mod code;
mod database;
mod deploy;
mod errors;
mod health;
mod logs;
mod notify;
mod store;
mod variables;

pub use approver::*;
pub use code::*;
pub use database::*;
pub use deploy::*;
pub use errors::*;
pub use health::*;
pub use logs::*;
pub use notify::*;
pub use store::*;
pub use variables::*;
