//! Property tests: parsers and the transition function never panic, and parse → print →
//! parse is stable.

use liaison::domain::identifiers::{Doi, JrctId, NctId, Orcid, Pmid, UminId};
use liaison::domain::lifecycle::{
    Action, ActorRole, GuardFacts, Status, allowed_actions, transition,
};
use liaison::domain::proposal::ProposalContent;
use proptest::prelude::*;

/// ORCID check character (ISO 7064 MOD 11-2), computed independently of the crate.
fn orcid_check(digits: &str) -> char {
    let total = digits
        .bytes()
        .fold(0u32, |t, b| (t + u32::from(b - b'0')) * 2);
    match (12 - total % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('0'),
    }
}

macro_rules! stable {
    ($ty:ty, $input:expr) => {
        if let Ok(parsed) = <$ty>::parse($input) {
            let again = <$ty>::parse(parsed.as_str()).expect("a normalised id parses again");
            prop_assert_eq!(again.as_str(), parsed.as_str());
            prop_assert_eq!(parsed.to_string(), parsed.as_str());
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary text: no input panics. It rarely parses (short digit strings do, as PMIDs),
    /// so stable normalisation is shown mainly by the identifier-shaped inputs of the next test.
    #[test]
    fn identifier_parsers_never_panic_and_normalise_stably(input in ".{0,40}") {
        stable!(Orcid, &input);
        stable!(NctId, &input);
        stable!(JrctId, &input);
        stable!(UminId, &input);
        stable!(Doi, &input);
        stable!(Pmid, &input);
    }

    /// Identifier-shaped text with the prefixes, labels and spaces people type: whatever
    /// parses, parses again to the same normal form.
    #[test]
    fn decorated_identifiers_normalise_stably(
        prefix in "(|PMID|pmid:|PMID: |Pmid |doi:|DOI: |https://doi.org/|https://dx.doi.org/|NCT|nct|JPRN-jRCT|jRCT|jrct|JPRN-UMIN|UMIN|https://orcid.org/| )",
        body in "[0-9]{1,16}|[a-z][0-9]{9}|10\\.[0-9]{3,10}/[A-Za-z0-9.()_-]{0,20}|[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9Xx]",
        suffix in "(| |  )",
    ) {
        let input = format!("{prefix}{body}{suffix}");
        stable!(Orcid, &input);
        stable!(NctId, &input);
        stable!(JrctId, &input);
        stable!(UminId, &input);
        stable!(Doi, &input);
        stable!(Pmid, &input);
    }

    #[test]
    fn id_shaped_inputs_round_trip(digits in "[0-9]{15}", nct in "[0-9]{8}", jrct in "[0-9]{10}", doi in "10\\.[0-9]{4,9}/[A-Za-z0-9.()_-]{1,20}", pmid in "[1-9][0-9]{0,8}", pmid_label in "(PMID|pmid|Pmid)( ?: ?| )") {
        let orcid = format!("https://orcid.org/{}-{}-{}-{}{}", &digits[0..4], &digits[4..8], &digits[8..12], &digits[12..15], orcid_check(&digits));
        let parsed = Orcid::parse(&orcid).expect("a valid ORCID");
        let again = Orcid::parse(parsed.as_str()).expect("again");
        prop_assert_eq!(again.as_str(), parsed.as_str());
        let nct_input = format!("nct{nct}");
        let jrct_input = format!("JPRN-jRCT{jrct}");
        prop_assert!(NctId::parse(&nct_input).is_ok());
        prop_assert!(JrctId::parse(&jrct_input).is_ok());
        let normalised = Doi::parse(&format!("https://doi.org/{doi}")).expect("a valid DOI");
        prop_assert_eq!(normalised.as_str(), doi.as_str());
        // A labelled PMID (`PMID: 1`, `pmid:1`, `PMID 1`) normalises to its digits.
        let labelled = Pmid::parse(&format!("{pmid_label}{pmid}")).expect("a valid labelled PMID");
        prop_assert_eq!(labelled.as_str(), pmid.as_str());
    }

    #[test]
    fn the_transition_function_never_panics_and_only_takes_existing_actions(
        from in 0usize..11, action in 0usize..12, actor in 0usize..4,
        complete: bool, committee: bool, quorum: bool, reason in proptest::option::of(".{0,5}"),
        contract: bool, ethics: bool, registered: bool, report: bool,
    ) {
        let from = Status::ALL[from];
        let action = Action::ALL[action];
        let actor = [ActorRole::Owner, ActorRole::Chair, ActorRole::Admin, ActorRole::Other][actor];
        let facts = GuardFacts {
            complete, committee_chosen: committee, quorum_met: quorum, quorum_override_reason: None, reason,
            contract_signed: contract, ethics_approved: ethics, registered, final_report_done: report,
        };
        if transition(from, action, actor, &facts).is_ok() {
            prop_assert!(allowed_actions(from).contains(&action));
        }
    }

    #[test]
    fn proposal_json_never_panics_and_round_trips(title in ".{0,50}", size in proptest::option::of(any::<i64>()), extra in "[a-z_]{1,12}") {
        let body = serde_json::json!({"title": title, "planned_sample_size": size, "secondary_endpoints": [title.clone()]});
        let content: ProposalContent = serde_json::from_value(body).expect("a valid partial proposal");
        let text = serde_json::to_string(&content).expect("serialises");
        let again: ProposalContent = serde_json::from_str(&text).expect("parses back");
        prop_assert_eq!(&again, &content);
        let _ = content.check_complete();
        let _ = content.clone().tidy();
        // Unknown fields are refused, never ignored.
        let unknown = serde_json::json!({ format!("x_{extra}"): 1 });
        prop_assert!(serde_json::from_value::<ProposalContent>(unknown).is_err());
    }
}
