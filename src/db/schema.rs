//! Hand-written schema shared by both backends: ids are UUID text, times are UTC `Timestamp`.

diesel::table! {
    mail_quotas (quota_key, window_start) {
        quota_key -> Text,
        window_start -> Timestamp,
        used -> Integer,
    }
}

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        created_at -> Timestamp,
        service_user_id -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        lang -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        organization_id -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        name -> Text,
        token_prefix -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_links (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    proposals (id) {
        id -> Text,
        reference -> Nullable<Text>,
        status -> Text,
        owner_id -> Text,
        title -> Text,
        product -> Text,
        therapeutic_area -> Text,
        content -> Text,
        round -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        committee_id -> Nullable<Text>,
        advice_requested_at -> Nullable<Timestamp>,
        advice_last_role -> Nullable<Text>,
    }
}

diesel::table! {
    proposal_rounds (proposal_id, round) {
        proposal_id -> Text,
        round -> Integer,
        content -> Text,
        submitted_at -> Timestamp,
        submitted_by -> Text,
    }
}

diesel::table! {
    proposal_events (id) {
        id -> Text,
        proposal_id -> Text,
        action -> Text,
        from_status -> Text,
        to_status -> Text,
        actor_id -> Text,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last_value -> Integer,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(login_links -> users (user_id));
diesel::joinable!(proposals -> users (owner_id));
diesel::joinable!(proposal_rounds -> proposals (proposal_id));
diesel::joinable!(proposal_events -> proposals (proposal_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    mail_quotas,
    organizations,
    users,
    api_tokens,
    login_links,
    sessions,
    audit_log,
    idempotency_keys,
    proposals,
    proposal_rounds,
    proposal_events,
    reference_counters,
    outbox,
    committees,
    committee_members,
    review_assignments,
    decisions,
    msl_assignments,
    advice,
    interactions,
    documents,
    study_gates,
    milestones,
    enrollment_updates,
    publications,
    payments,
    calendar_tokens,
    cro_assignments,
    webhooks,
    listening_priorities,
    insights,
    insight_links,
    insight_history,
    insight_restricted_phrases,
);

diesel::table! {
    outbox (id) {
        id -> Text,
        channel -> Text,
        event -> Text,
        recipient -> Text,
        recipient_name -> Text,
        lang -> Text,
        data -> Text,
        dedupe_key -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    committees (id) {
        id -> Text,
        name -> Text,
        quorum -> Integer,
        rubric -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    committee_members (committee_id, user_id) {
        committee_id -> Text,
        user_id -> Text,
        member_role -> Text,
    }
}

diesel::table! {
    review_assignments (id) {
        id -> Text,
        proposal_id -> Text,
        reviewer_id -> Text,
        round -> Integer,
        assigned_by -> Text,
        assigned_at -> Timestamp,
        coi_status -> Text,
        coi_kind -> Nullable<Text>,
        coi_note -> Nullable<Text>,
        coi_declared_at -> Nullable<Timestamp>,
        scores -> Text,
        recommendation -> Nullable<Text>,
        comments_to_investigator -> Text,
        confidential_comments -> Text,
        completed_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    decisions (id) {
        id -> Text,
        proposal_id -> Text,
        round -> Integer,
        outcome -> Text,
        rationale -> Text,
        conditions -> Text,
        quorum_override_reason -> Nullable<Text>,
        decided_by -> Text,
        decided_at -> Timestamp,
    }
}

diesel::joinable!(committee_members -> committees (committee_id));
diesel::joinable!(committee_members -> users (user_id));
diesel::joinable!(review_assignments -> proposals (proposal_id));
diesel::joinable!(decisions -> proposals (proposal_id));

diesel::table! {
    msl_assignments (id) {
        id -> Text,
        proposal_id -> Text,
        msl_id -> Text,
        assigned_by -> Text,
        assigned_at -> Timestamp,
        unassigned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    advice (id) {
        id -> Text,
        proposal_id -> Text,
        parent_id -> Nullable<Text>,
        author_id -> Text,
        author_role -> Text,
        section -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    interactions (id) {
        id -> Text,
        proposal_id -> Text,
        msl_id -> Text,
        occurred_on -> Date,
        channel -> Text,
        summary -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        proposal_id -> Text,
        doc_type -> Text,
        version -> Integer,
        file_name -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
    }
}

diesel::joinable!(msl_assignments -> proposals (proposal_id));
diesel::joinable!(advice -> proposals (proposal_id));
diesel::joinable!(interactions -> proposals (proposal_id));
diesel::joinable!(documents -> proposals (proposal_id));

diesel::table! {
    study_gates (proposal_id) {
        proposal_id -> Text,
        contract_signed_on -> Nullable<Date>,
        ethics_committee -> Nullable<Text>,
        ethics_approved_on -> Nullable<Date>,
        ethics_approval_number -> Nullable<Text>,
        registry -> Nullable<Text>,
        registry_id -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    milestones (id) {
        id -> Text,
        proposal_id -> Text,
        kind -> Text,
        title -> Text,
        due_on -> Nullable<Date>,
        completed_on -> Nullable<Date>,
        owner_role -> Text,
        note -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enrollment_updates (id) {
        id -> Text,
        proposal_id -> Text,
        as_of -> Date,
        enrolled -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    publications (id) {
        id -> Text,
        proposal_id -> Text,
        kind -> Text,
        title -> Text,
        venue -> Text,
        status -> Text,
        submitted_on -> Nullable<Date>,
        accepted_on -> Nullable<Date>,
        published_on -> Nullable<Date>,
        doi -> Nullable<Text>,
        pmid -> Nullable<Text>,
        congress_name -> Nullable<Text>,
        city -> Nullable<Text>,
        presented_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        proposal_id -> Text,
        milestone_id -> Nullable<Text>,
        amount -> BigInt,
        currency -> Text,
        paid_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_tokens (user_id) {
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(study_gates -> proposals (proposal_id));
diesel::joinable!(milestones -> proposals (proposal_id));
diesel::joinable!(enrollment_updates -> proposals (proposal_id));
diesel::joinable!(publications -> proposals (proposal_id));
diesel::joinable!(payments -> proposals (proposal_id));
diesel::joinable!(payments -> milestones (milestone_id));

diesel::table! {
    cro_assignments (id) {
        id -> Text,
        proposal_id -> Text,
        organization_id -> Text,
        cro_role -> Text,
        assigned_by -> Text,
        assigned_at -> Timestamp,
        unassigned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        organization_id -> Text,
        url -> Text,
        secret -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(cro_assignments -> proposals (proposal_id));
diesel::joinable!(cro_assignments -> organizations (organization_id));
diesel::joinable!(webhooks -> organizations (organization_id));

diesel::table! {
    listening_priorities (id) {
        id -> Text,
        therapeutic_area -> Text,
        product -> Text,
        question_ja -> Text,
        question_en -> Text,
        active_from -> Date,
        active_to -> Nullable<Date>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    insights (id) {
        id -> Text,
        author_id -> Text,
        status -> Text,
        title -> Text,
        body -> Text,
        category -> Text,
        source -> Text,
        therapeutic_area -> Text,
        product -> Text,
        interaction_id -> Nullable<Text>,
        justification -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
    }
}

diesel::table! {
    insight_links (insight_id, kind, target_id) {
        insight_id -> Text,
        kind -> Text,
        target_id -> Text,
    }
}

diesel::table! {
    insight_history (id) {
        id -> Text,
        insight_id -> Text,
        at -> Timestamp,
        actor_id -> Text,
        action -> Text,
        status -> Text,
        snapshot -> Text,
        compliance_matches -> Text,
        justification -> Nullable<Text>,
    }
}

diesel::table! {
    insight_restricted_phrases (id) {
        id -> Text,
        phrase -> Text,
        kind -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}
