//! Review use cases: committees, reviewer assignment, conflict-of-interest-first access,
//! reviews, decisions and the ranked list. Every change is audited in its transaction.

mod assignment;
mod committees;
mod common;
mod decisions;
mod ranking;
mod reopen;
mod reviews;

pub use assignment::*;
pub use committees::*;
pub use common::*;
pub use decisions::*;
pub use ranking::*;
pub use reopen::*;
pub use reviews::*;
