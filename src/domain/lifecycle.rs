//! The proposal state machine as one pure transition function.
//!
//! The caller gathers the facts (who is acting, which gates are met); this module only
//! decides. Keeping the whole table in `rule` makes it the single source of truth.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A name that does not match any variant of a lifecycle enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}'")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a fieldless enum with snake_case serde names, `ALL`, `as_str`, Display and
/// FromStr, so the wire name is written exactly once per variant.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant,)+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s.trim())
                    .ok_or_else(|| UnknownName {
                        kind: $kind,
                        value: s.to_owned(),
                    })
            }
        }
    };
}

named_enum!(
    /// Proposal status.
    Status, "status" {
        Draft => "draft",
        Submitted => "submitted",
        UnderReview => "under_review",
        RevisionRequested => "revision_requested",
        Approved => "approved",
        Rejected => "rejected",
        Active => "active",
        Completed => "completed",
        Closed => "closed",
        Terminated => "terminated",
        Withdrawn => "withdrawn",
    }
);

named_enum!(
    /// Something a user asks to do to a proposal.
    Action, "action" {
        Submit => "submit",
        StartReview => "start_review",
        Approve => "approve",
        ApproveWithConditions => "approve_with_conditions",
        ReviseAndResubmit => "revise_and_resubmit",
        Defer => "defer",
        Reject => "reject",
        Activate => "activate",
        Complete => "complete",
        Close => "close",
        Terminate => "terminate",
        Withdraw => "withdraw",
    }
);

named_enum!(
    /// Who is acting, relative to this proposal. The caller decides ownership and maps
    /// staff roles.
    ActorRole, "actor role" {
        Owner => "owner",
        Chair => "chair",
        Admin => "admin",
        Other => "other",
    }
);

named_enum!(
    /// A precondition of a transition.
    Guard, "guard" {
        Complete => "complete",
        CommitteeChosen => "committee_chosen",
        Quorum => "quorum",
        Reason => "reason",
        ContractSigned => "contract_signed",
        EthicsApproved => "ethics_approved",
        Registered => "registered",
        FinalReportDone => "final_report_done",
    }
);

/// Facts the caller has already established; the domain does not query anything.
#[derive(Debug, Clone, Default)]
pub struct GuardFacts {
    /// Completeness check passed.
    pub complete: bool,
    pub committee_chosen: bool,
    pub quorum_met: bool,
    /// Non-blank counts as quorum.
    pub quorum_override_reason: Option<String>,
    /// The reason given with the action, if any.
    pub reason: Option<String>,
    pub contract_signed: bool,
    pub ethics_approved: bool,
    pub registered: bool,
    pub final_report_done: bool,
}

fn non_blank(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.trim().is_empty())
}

impl GuardFacts {
    fn satisfies(&self, guard: Guard) -> bool {
        match guard {
            Guard::Complete => self.complete,
            Guard::CommitteeChosen => self.committee_chosen,
            Guard::Quorum => self.quorum_met || non_blank(&self.quorum_override_reason),
            Guard::Reason => non_blank(&self.reason),
            Guard::ContractSigned => self.contract_signed,
            Guard::EthicsApproved => self.ethics_approved,
            Guard::Registered => self.registered,
            Guard::FinalReportDone => self.final_report_done,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action does not exist from this status.
    #[error(
        "action '{action}' is not allowed from status '{from}'; allowed: {}",
        join(.allowed)
    )]
    NotAllowed {
        from: Status,
        action: Action,
        allowed: Vec<Action>,
    },
    /// The action exists but this actor may not take it.
    #[error("you are not permitted to take action '{action}'")]
    NotPermitted { action: Action },
    /// Every unmet guard is listed so the user can fix them all at once.
    #[error("action '{action}' is blocked; unmet: {}", join(.unmet))]
    GuardFailed { action: Action, unmet: Vec<Guard> },
}

impl TransitionError {
    /// Stable machine code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "not_allowed",
            Self::NotPermitted { .. } => "not_permitted",
            Self::GuardFailed { .. } => "guard_failed",
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

struct Rule {
    to: Status,
    actors: &'static [ActorRole],
    guards: &'static [Guard],
}

const OWNER: &[ActorRole] = &[ActorRole::Owner];
const CHAIR: &[ActorRole] = &[ActorRole::Chair];
const ADMIN: &[ActorRole] = &[ActorRole::Admin];
const CHAIR_OR_ADMIN: &[ActorRole] = &[ActorRole::Chair, ActorRole::Admin];

/// The transition table: `None` means the action does not exist from `from`.
fn rule(from: Status, action: Action) -> Option<Rule> {
    use Action as A;
    use Status as S;
    let r = |to, actors, guards| Some(Rule { to, actors, guards });
    match (from, action) {
        (S::Draft | S::RevisionRequested, A::Submit) => r(S::Submitted, OWNER, &[Guard::Complete]),
        (S::Submitted, A::StartReview) => {
            r(S::UnderReview, CHAIR_OR_ADMIN, &[Guard::CommitteeChosen])
        }
        (S::UnderReview, A::Approve | A::ApproveWithConditions) => {
            r(S::Approved, CHAIR, &[Guard::Quorum])
        }
        (S::UnderReview, A::ReviseAndResubmit) => r(S::RevisionRequested, CHAIR, &[Guard::Quorum]),
        (S::UnderReview, A::Defer) => r(S::UnderReview, CHAIR, &[Guard::Reason]),
        (S::UnderReview, A::Reject) => r(S::Rejected, CHAIR, &[Guard::Quorum]),
        (S::Approved, A::Activate) => r(
            S::Active,
            ADMIN,
            &[
                Guard::ContractSigned,
                Guard::EthicsApproved,
                Guard::Registered,
            ],
        ),
        (S::Active, A::Complete) => r(S::Completed, ADMIN, &[Guard::FinalReportDone]),
        (S::Completed, A::Close) => r(S::Closed, ADMIN, &[]),
        (S::Approved | S::Active, A::Terminate) => r(S::Terminated, ADMIN, &[Guard::Reason]),
        (
            S::Draft | S::Submitted | S::UnderReview | S::RevisionRequested | S::Approved,
            A::Withdraw,
        ) => r(S::Withdrawn, OWNER, &[Guard::Reason]),
        _ => None,
    }
}

/// Actions that exist from `from`, ignoring who acts and guards, in `Action::ALL` order.
pub fn allowed_actions(from: Status) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|&a| rule(from, a).is_some())
        .collect()
}

/// Decides the next status. Checks, in order: the action exists, the actor may take it,
/// every guard holds.
pub fn transition(
    from: Status,
    action: Action,
    actor: ActorRole,
    facts: &GuardFacts,
) -> Result<Status, TransitionError> {
    let Some(rule) = rule(from, action) else {
        return Err(TransitionError::NotAllowed {
            from,
            action,
            allowed: allowed_actions(from),
        });
    };
    if !rule.actors.contains(&actor) {
        return Err(TransitionError::NotPermitted { action });
    }
    let unmet: Vec<Guard> = rule
        .guards
        .iter()
        .copied()
        .filter(|&g| !facts.satisfies(g))
        .collect();
    if unmet.is_empty() {
        Ok(rule.to)
    } else {
        Err(TransitionError::GuardFailed { action, unmet })
    }
}

/// True when taking `action` from `from` opens a new review round (first submission or
/// resubmission); the caller bumps the round counter.
/// Whether `action` from `from` needs a reason: the rule that validation enforces is also
/// the one that puts the required mark on the reason field.
pub fn needs_reason(from: Status, action: Action) -> bool {
    rule(from, action).is_some_and(|r| r.guards.contains(&Guard::Reason))
}

pub fn starts_new_round(from: Status, action: Action) -> bool {
    action == Action::Submit && matches!(from, Status::Draft | Status::RevisionRequested)
}

/// No action leads out of these statuses.
pub fn is_terminal(s: Status) -> bool {
    matches!(
        s,
        Status::Rejected | Status::Closed | Status::Terminated | Status::Withdrawn
    )
}

pub fn is_editable_by_owner(s: Status) -> bool {
    matches!(s, Status::Draft | Status::RevisionRequested)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActorRole as R;
    use Status as S;

    /// The expected table, written out independently of `rule`.
    const TABLE: &[(Status, Action, Status, &[ActorRole])] = &[
        (S::Draft, Action::Submit, S::Submitted, &[R::Owner]),
        (
            S::RevisionRequested,
            Action::Submit,
            S::Submitted,
            &[R::Owner],
        ),
        (
            S::Submitted,
            Action::StartReview,
            S::UnderReview,
            &[R::Chair, R::Admin],
        ),
        (S::UnderReview, Action::Approve, S::Approved, &[R::Chair]),
        (
            S::UnderReview,
            Action::ApproveWithConditions,
            S::Approved,
            &[R::Chair],
        ),
        (
            S::UnderReview,
            Action::ReviseAndResubmit,
            S::RevisionRequested,
            &[R::Chair],
        ),
        (S::UnderReview, Action::Defer, S::UnderReview, &[R::Chair]),
        (S::UnderReview, Action::Reject, S::Rejected, &[R::Chair]),
        (S::Approved, Action::Activate, S::Active, &[R::Admin]),
        (S::Active, Action::Complete, S::Completed, &[R::Admin]),
        (S::Completed, Action::Close, S::Closed, &[R::Admin]),
        (S::Approved, Action::Terminate, S::Terminated, &[R::Admin]),
        (S::Active, Action::Terminate, S::Terminated, &[R::Admin]),
        (S::Draft, Action::Withdraw, S::Withdrawn, &[R::Owner]),
        (S::Submitted, Action::Withdraw, S::Withdrawn, &[R::Owner]),
        (S::UnderReview, Action::Withdraw, S::Withdrawn, &[R::Owner]),
        (
            S::RevisionRequested,
            Action::Withdraw,
            S::Withdrawn,
            &[R::Owner],
        ),
        (S::Approved, Action::Withdraw, S::Withdrawn, &[R::Owner]),
    ];

    fn expected(from: Status, action: Action) -> Option<(Status, &'static [ActorRole])> {
        TABLE
            .iter()
            .find(|(f, a, _, _)| *f == from && *a == action)
            .map(|&(_, _, to, actors)| (to, actors))
    }

    fn all_met() -> GuardFacts {
        GuardFacts {
            complete: true,
            committee_chosen: true,
            quorum_met: true,
            quorum_override_reason: None,
            reason: Some("budget withdrawn by sponsor".to_owned()),
            contract_signed: true,
            ethics_approved: true,
            registered: true,
            final_report_done: true,
        }
    }

    fn guard_failure(
        from: Status,
        action: Action,
        actor: ActorRole,
        facts: &GuardFacts,
    ) -> Vec<Guard> {
        match transition(from, action, actor, facts) {
            Err(TransitionError::GuardFailed { action: a, unmet }) => {
                assert_eq!(a, action);
                unmet
            }
            other => panic!("expected GuardFailed for {from} {action}, got {other:?}"),
        }
    }

    #[test]
    fn every_status_action_pair_matches_the_expected_table() {
        assert_eq!(S::ALL.len(), 11);
        assert_eq!(Action::ALL.len(), 12);
        let facts = all_met();
        for &from in S::ALL {
            let allowed: Vec<Action> = Action::ALL
                .iter()
                .copied()
                .filter(|&a| expected(from, a).is_some())
                .collect();
            assert_eq!(
                allowed_actions(from),
                allowed,
                "allowed actions from {from}"
            );
            for &action in Action::ALL {
                match expected(from, action) {
                    Some((to, actors)) => {
                        for &actor in actors {
                            assert_eq!(
                                transition(from, action, actor, &facts),
                                Ok(to),
                                "{from} --{action}--> as {actor}"
                            );
                        }
                    }
                    None => {
                        for &actor in R::ALL {
                            assert_eq!(
                                transition(from, action, actor, &facts),
                                Err(TransitionError::NotAllowed {
                                    from,
                                    action,
                                    allowed: allowed.clone(),
                                }),
                                "{from} --{action}--> as {actor}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_actors_are_not_permitted_on_every_allowed_pair_even_before_guards() {
        for &(from, action, _, actors) in TABLE {
            for &actor in R::ALL.iter().filter(|r| !actors.contains(r)) {
                for facts in [all_met(), GuardFacts::default()] {
                    assert_eq!(
                        transition(from, action, actor, &facts),
                        Err(TransitionError::NotPermitted { action }),
                        "{from} --{action}--> as {actor}"
                    );
                }
            }
        }
    }

    #[test]
    fn not_allowed_is_reported_before_permission_and_guards() {
        assert_eq!(
            transition(
                S::Closed,
                Action::Withdraw,
                R::Other,
                &GuardFacts::default()
            ),
            Err(TransitionError::NotAllowed {
                from: S::Closed,
                action: Action::Withdraw,
                allowed: vec![],
            })
        );
    }

    #[test]
    fn submit_requires_completeness() {
        for from in [S::Draft, S::RevisionRequested] {
            let facts = GuardFacts {
                complete: false,
                ..all_met()
            };
            assert_eq!(
                guard_failure(from, Action::Submit, R::Owner, &facts),
                [Guard::Complete]
            );
        }
    }

    #[test]
    fn start_review_requires_a_chosen_committee() {
        let facts = GuardFacts {
            committee_chosen: false,
            ..all_met()
        };
        assert_eq!(
            guard_failure(S::Submitted, Action::StartReview, R::Admin, &facts),
            [Guard::CommitteeChosen]
        );
    }

    #[test]
    fn decisions_require_quorum_unless_an_override_reason_is_given() {
        let no_quorum = GuardFacts {
            quorum_met: false,
            ..all_met()
        };
        let blank_override = GuardFacts {
            quorum_override_reason: Some("  ".to_owned()),
            ..no_quorum.clone()
        };
        let overridden = GuardFacts {
            quorum_override_reason: Some("two members recused".to_owned()),
            ..no_quorum.clone()
        };
        for (action, to) in [
            (Action::Approve, S::Approved),
            (Action::ApproveWithConditions, S::Approved),
            (Action::ReviseAndResubmit, S::RevisionRequested),
            (Action::Reject, S::Rejected),
        ] {
            for facts in [&no_quorum, &blank_override] {
                assert_eq!(
                    guard_failure(S::UnderReview, action, R::Chair, facts),
                    [Guard::Quorum]
                );
            }
            assert_eq!(
                transition(S::UnderReview, action, R::Chair, &overridden),
                Ok(to)
            );
        }
    }

    #[test]
    fn activate_lists_all_three_missing_gates_at_once() {
        let facts = GuardFacts {
            contract_signed: false,
            ethics_approved: false,
            registered: false,
            ..all_met()
        };
        assert_eq!(
            guard_failure(S::Approved, Action::Activate, R::Admin, &facts),
            [
                Guard::ContractSigned,
                Guard::EthicsApproved,
                Guard::Registered
            ]
        );
        let only_registration_missing = GuardFacts {
            registered: false,
            ..all_met()
        };
        assert_eq!(
            guard_failure(
                S::Approved,
                Action::Activate,
                R::Admin,
                &only_registration_missing
            ),
            [Guard::Registered]
        );
    }

    #[test]
    fn complete_requires_the_final_report() {
        let facts = GuardFacts {
            final_report_done: false,
            ..all_met()
        };
        assert_eq!(
            guard_failure(S::Active, Action::Complete, R::Admin, &facts),
            [Guard::FinalReportDone]
        );
    }

    #[test]
    fn close_has_no_guards() {
        assert_eq!(
            transition(
                S::Completed,
                Action::Close,
                R::Admin,
                &GuardFacts::default()
            ),
            Ok(S::Closed)
        );
    }

    #[test]
    fn missing_or_whitespace_only_reason_does_not_count() {
        let cases = [
            (S::UnderReview, Action::Defer, R::Chair),
            (S::Approved, Action::Terminate, R::Admin),
            (S::Active, Action::Terminate, R::Admin),
            (S::Draft, Action::Withdraw, R::Owner),
            (S::Approved, Action::Withdraw, R::Owner),
        ];
        for reason in [None, Some(String::new()), Some(" \t\n ".to_owned())] {
            let facts = GuardFacts {
                reason: reason.clone(),
                ..all_met()
            };
            for (from, action, actor) in cases {
                assert_eq!(
                    guard_failure(from, action, actor, &facts),
                    [Guard::Reason],
                    "{from} {action} with reason {reason:?}"
                );
            }
        }
    }

    #[test]
    fn new_round_starts_only_on_submission() {
        for &from in S::ALL {
            for &action in Action::ALL {
                let expected =
                    action == Action::Submit && (from == S::Draft || from == S::RevisionRequested);
                assert_eq!(starts_new_round(from, action), expected, "{from} {action}");
            }
        }
    }

    #[test]
    fn terminal_statuses_have_no_actions_and_others_do() {
        for &s in S::ALL {
            assert_eq!(is_terminal(s), allowed_actions(s).is_empty(), "{s}");
        }
        let terminal: Vec<Status> = S::ALL.iter().copied().filter(|&s| is_terminal(s)).collect();
        assert_eq!(
            terminal,
            [S::Rejected, S::Closed, S::Terminated, S::Withdrawn]
        );
    }

    #[test]
    fn only_draft_and_revision_requested_are_editable_by_owner() {
        let editable: Vec<Status> = S::ALL
            .iter()
            .copied()
            .filter(|&s| is_editable_by_owner(s))
            .collect();
        assert_eq!(editable, [S::Draft, S::RevisionRequested]);
    }

    #[test]
    fn names_round_trip_through_serde_as_str_and_from_str() {
        fn check<T>(all: &[T], as_str: fn(&T) -> &'static str)
        where
            T: Copy + PartialEq + fmt::Debug + Serialize + serde::de::DeserializeOwned + FromStr,
            T::Err: fmt::Debug,
        {
            for v in all {
                let json = serde_json::to_string(v).unwrap();
                assert_eq!(json, format!("\"{}\"", as_str(v)));
                assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *v);
                assert_eq!(as_str(v).parse::<T>().unwrap(), *v);
            }
        }
        check(S::ALL, S::as_str);
        check(Action::ALL, Action::as_str);
        check(R::ALL, R::as_str);
        check(Guard::ALL, Guard::as_str);
        assert_eq!(S::UnderReview.as_str(), "under_review");
        assert_eq!(
            Action::ApproveWithConditions.as_str(),
            "approve_with_conditions"
        );
        assert!("approved_maybe".parse::<S>().is_err());
    }

    #[test]
    fn errors_read_as_english() {
        let err = transition(S::Draft, Action::Activate, R::Admin, &all_met()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 'activate' is not allowed from status 'draft'; allowed: submit, withdraw"
        );
        assert_eq!(err.code(), "not_allowed");
        let err = transition(
            S::Approved,
            Action::Activate,
            R::Admin,
            &GuardFacts::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 'activate' is blocked; unmet: contract_signed, ethics_approved, registered"
        );
        let err = transition(S::Closed, Action::Close, R::Admin, &all_met()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "action 'close' is not allowed from status 'closed'; allowed: none"
        );
    }
}
