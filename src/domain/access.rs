//! The caller's standing towards one proposal, and every answer that follows from it: whether
//! they may see it, edit it or read its audit trail, and which column of the visibility table
//! (`domain::visibility`) they read. Built once per request by `workflows::access`; plain data
//! here so that each relation's rights are unit-tested.

use crate::domain::Role;
use crate::domain::lifecycle::{ActorRole, Status};
use crate::domain::visibility::{Audience, FieldGroup, sees};

/// What a caller wants to do with a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    View,
    EditFields,
    ViewAudit,
}

/// The answer to one access question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The caller knows the proposal exists (403).
    Forbidden,
    /// The proposal does not exist for the caller (404).
    Hidden,
}

/// Where an assigned reviewer stands after (or before) their conflict-of-interest declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewerStanding {
    /// Assigned, not declared yet: may open the declaration form only.
    Undeclared,
    /// Declared no conflict: reads and scores.
    Cleared,
    /// Declared a conflict: out of this proposal's review for good.
    Recused,
}

/// How a caller stands to a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    Admin,
    /// The investigator who wrote it.
    Owner,
    /// An MSL assigned to it, once it is shared with them (submitted, or advice requested).
    AssignedMsl,
    /// A reviewer assigned to its current round.
    Reviewer(ReviewerStanding),
    /// A chair; `standing` when they were also assigned to review it.
    Chair {
        standing: Option<ReviewerStanding>,
    },
    /// A partner CRO (key or person) whose organisation is assigned to the study, with the
    /// organisation's role on it.
    AssignedCro {
        role: String,
    },
    /// Anybody else, with their role.
    Unrelated(Role),
}

/// One caller's access to one proposal in its current status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub relation: Relation,
    pub status: Status,
}

impl Access {
    pub fn new(relation: Relation, status: Status) -> Access {
        Access { relation, status }
    }

    fn may_see(&self) -> bool {
        match &self.relation {
            Relation::Admin | Relation::Owner | Relation::AssignedMsl => true,
            Relation::AssignedCro { .. } => true,
            Relation::Reviewer(standing) => *standing == ReviewerStanding::Cleared,
            Relation::Chair { standing } => {
                self.status != Status::Draft && *standing != Some(ReviewerStanding::Recused)
            }
            Relation::Unrelated(_) => false,
        }
    }

    /// Whether the caller may take `action`. A reviewer assigned but not cleared knows the
    /// proposal exists (they are asked to declare), so is refused rather than told "not found".
    pub fn decide(&self, action: ProposalAction) -> Decision {
        if !self.may_see() {
            let assigned = matches!(
                self.relation,
                Relation::Reviewer(_) | Relation::Chair { standing: Some(_) }
            );
            return if assigned {
                Decision::Forbidden
            } else {
                Decision::Hidden
            };
        }
        let owner = self.relation == Relation::Owner;
        match action {
            ProposalAction::View => Decision::Allow,
            ProposalAction::EditFields if owner => Decision::Allow,
            ProposalAction::ViewAudit if owner || self.relation == Relation::Admin => {
                Decision::Allow
            }
            ProposalAction::EditFields | ProposalAction::ViewAudit => Decision::Forbidden,
        }
    }

    /// The column of the visibility table the caller reads.
    pub fn audience(&self) -> Audience {
        match &self.relation {
            Relation::Admin | Relation::Unrelated(Role::Admin) => Audience::Admin,
            Relation::Owner | Relation::Unrelated(Role::Investigator) => Audience::Investigator,
            Relation::Reviewer(_)
            | Relation::Chair { .. }
            | Relation::Unrelated(Role::Reviewer | Role::Chair) => Audience::Committee,
            Relation::AssignedMsl | Relation::Unrelated(Role::Msl) => Audience::Msl,
            Relation::AssignedCro { .. } | Relation::Unrelated(Role::Cro) => Audience::Cro,
        }
    }

    /// Whether the caller reads `group` of this proposal.
    pub fn sees(&self, group: FieldGroup) -> bool {
        self.may_see() && sees(self.audience(), group)
    }

    /// Who the caller is to the lifecycle's transition table.
    pub fn lifecycle_actor(&self) -> ActorRole {
        match self.relation {
            Relation::Owner => ActorRole::Owner,
            Relation::Chair { .. } | Relation::Unrelated(Role::Chair) => ActorRole::Chair,
            Relation::Admin | Relation::Unrelated(Role::Admin) => ActorRole::Admin,
            _ => ActorRole::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(relation: Relation, status: Status) -> Access {
        Access::new(relation, status)
    }

    #[test]
    fn each_relation_sees_what_it_should_of_a_submitted_proposal() {
        use Decision::*;
        use ReviewerStanding::*;
        let cases = [
            (Relation::Admin, Allow),
            (Relation::Owner, Allow),
            (Relation::AssignedMsl, Allow),
            (Relation::Reviewer(Cleared), Allow),
            (Relation::Reviewer(Undeclared), Forbidden),
            (Relation::Reviewer(Recused), Forbidden),
            (Relation::Chair { standing: None }, Allow),
            (
                Relation::Chair {
                    standing: Some(Recused),
                },
                Forbidden,
            ),
            (
                Relation::AssignedCro {
                    role: "monitoring".into(),
                },
                Allow,
            ),
            (Relation::Unrelated(Role::Investigator), Hidden),
            (Relation::Unrelated(Role::Msl), Hidden),
            (Relation::Unrelated(Role::Reviewer), Hidden),
            (Relation::Unrelated(Role::Cro), Hidden),
        ];
        for (relation, expected) in cases {
            let a = access(relation.clone(), Status::Submitted);
            assert_eq!(a.decide(ProposalAction::View), expected, "{relation:?}");
        }
    }

    #[test]
    fn only_the_owner_edits_and_only_owner_and_admin_read_the_whole_audit_call() {
        for relation in [
            Relation::Admin,
            Relation::AssignedMsl,
            Relation::Reviewer(ReviewerStanding::Cleared),
            Relation::Chair { standing: None },
        ] {
            let a = access(relation.clone(), Status::Submitted);
            assert_eq!(a.decide(ProposalAction::EditFields), Decision::Forbidden);
        }
        let owner = access(Relation::Owner, Status::Draft);
        assert_eq!(owner.decide(ProposalAction::EditFields), Decision::Allow);
        assert_eq!(owner.decide(ProposalAction::ViewAudit), Decision::Allow);
        let chair = access(Relation::Chair { standing: None }, Status::UnderReview);
        assert_eq!(chair.decide(ProposalAction::ViewAudit), Decision::Forbidden);
    }

    #[test]
    fn a_chair_does_not_see_drafts() {
        let chair = access(Relation::Chair { standing: None }, Status::Draft);
        assert_eq!(chair.decide(ProposalAction::View), Decision::Hidden);
    }

    #[test]
    fn a_recused_reviewer_reads_no_field_group_even_those_everyone_else_reads() {
        let recused = access(
            Relation::Reviewer(ReviewerStanding::Recused),
            Status::UnderReview,
        );
        assert!(!recused.sees(FieldGroup::Protocol));
        assert!(!recused.sees(FieldGroup::Scores));
        let cleared = access(
            Relation::Reviewer(ReviewerStanding::Cleared),
            Status::UnderReview,
        );
        assert!(cleared.sees(FieldGroup::Scores));
        assert!(!cleared.sees(FieldGroup::Payments));
    }

    #[test]
    fn a_cro_reads_the_protocol_but_not_the_budget() {
        let cro = access(
            Relation::AssignedCro {
                role: "monitoring".into(),
            },
            Status::Active,
        );
        assert_eq!(cro.audience(), Audience::Cro);
        assert!(cro.sees(FieldGroup::Protocol));
        assert!(!cro.sees(FieldGroup::Budget));
    }
}
