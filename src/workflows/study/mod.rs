//! After approval (docs/PRODUCT.md#study-tracking): activation gates, milestones, enrollment,
//! publications, payments, the disclosure and study exports, reminders and calendar feeds.

mod calendar;
mod common;
mod enrollment;
mod exports;
mod gates;
mod milestones;
mod payments;
mod publications;
mod records;
mod reminders;

pub use calendar::*;
pub use common::*;
pub use enrollment::*;
pub use exports::*;
pub use gates::*;
pub use milestones::*;
pub use payments::*;
pub use publications::*;
pub use records::*;
pub use reminders::*;
