//! The study records the proposal page shows at once.

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::store::study::{self as store};

use crate::store::study::{EnrollmentRow, GatesRow, MilestoneRow, PublicationRow};
use crate::workflows::proposals::Loaded;

/// The study records the proposal page shows; `loaded` was authorised by the page's load.
pub struct StudyRecords {
    pub gates: Option<GatesRow>,
    pub milestones: Vec<MilestoneRow>,
    pub enrollment: Vec<EnrollmentRow>,
    pub publications: Vec<PublicationRow>,
}

pub fn records(conn: &mut DbConnection, loaded: &Loaded) -> AppResult<StudyRecords> {
    let id = &loaded.row.id;
    Ok(StudyRecords {
        gates: store::gates(conn, id)?,
        milestones: store::milestones_of(conn, id)?,
        enrollment: store::enrollment_of(conn, id)?,
        publications: store::publications_of(conn, id)?,
    })
}
