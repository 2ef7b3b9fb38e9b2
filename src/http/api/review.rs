//! Review committee API: committees, reviewers, conflict of interest, reviews, decisions.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db;
use crate::domain::review::{ConflictKind, Criterion, Outcome};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{etag, required_if_match};
use crate::state::AppState;
use crate::workflows::review::{
    self as workflow, CoiView, CommitteeInput, CommitteeRow, DecisionInput, DecisionView, Member,
    RankedProposal, ReviewInput, ReviewView,
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberRef {
    pub user_id: String,
    /// `reviewer` or `chair`.
    pub role: String,
    #[serde(default, skip_deserializing)]
    pub display_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommitteeResponse {
    pub id: String,
    pub name: String,
    pub quorum: i32,
    pub version: i64,
    pub members: Vec<MemberRef>,
    pub rubric: Vec<Criterion>,
}

fn committee_response(committee: CommitteeRow, members: Vec<Member>) -> CommitteeResponse {
    let members = members
        .into_iter()
        .map(|m| MemberRef {
            user_id: m.user_id,
            role: m.member_role,
            display_name: m.display_name,
        })
        .collect();
    CommitteeResponse {
        rubric: workflow::rubric_of(&committee),
        id: committee.id,
        name: committee.name,
        quorum: committee.quorum,
        version: committee.version,
        members,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommitteeRequest {
    #[schema(example = "臨床研究審査委員会")]
    pub name: String,
    /// Minimum completed, non-recused reviews before a decision (default 3).
    pub quorum: Option<i32>,
    pub members: Vec<MemberRef>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommitteeRequest {
    pub name: Option<String>,
    pub quorum: Option<i32>,
    pub members: Option<Vec<MemberRef>>,
}

/// Committees (chairs and admins).
#[utoipa::path(get, path = "/api/v1/committees", tag = "review", security(("bearer" = [])),
    responses((status = 200, body = Vec<CommitteeResponse>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_committees(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<CommitteeResponse>>> {
    workflow::require_committee_reader(&principal)?;
    let list = db::run(&state.pool, move |conn| {
        Ok(workflow::committees(conn, &principal)?
            .into_iter()
            .map(|(c, members)| committee_response(c, members))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(web::Json(list))
}

/// Create a committee with the default rubric (admins).
#[utoipa::path(post, path = "/api/v1/committees", tag = "review", request_body = CreateCommitteeRequest,
    security(("bearer" = [])),
    responses((status = 201, body = CommitteeResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_committee(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateCommitteeRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let response = db::run_tx(&state.pool, move |conn| {
        let members: Vec<(String, String)> = body
            .members
            .iter()
            .map(|m| (m.user_id.clone(), m.role.clone()))
            .collect();
        let committee = workflow::create_committee(
            conn,
            &principal,
            &CommitteeInput {
                name: &body.name,
                quorum: body.quorum.unwrap_or(crate::domain::review::DEFAULT_QUORUM),
                members: &members,
            },
        )?;
        let (committee, members) = workflow::committee(conn, &principal, &committee.id)?;
        Ok(committee_response(committee, members))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/committees/{}", response.id),
        ))
        .insert_header((header::ETAG, etag(response.version)))
        .json(response))
}

/// One committee (chairs and admins).
#[utoipa::path(get, path = "/api/v1/committees/{id}", tag = "review", params(("id" = String, Path, description = "Committee id")),
    security(("bearer" = [])),
    responses((status = 200, body = CommitteeResponse, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_committee(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    workflow::require_committee_reader(&principal)?;
    let id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let (committee, members) = workflow::committee(conn, &principal, &id)?;
        Ok(committee_response(committee, members))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(response.version)))
        .json(response))
}

/// Change a committee's name, quorum or members (admins). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/committees/{id}", tag = "review", request_body = UpdateCommitteeRequest,
    params(("id" = String, Path, description = "Committee id"), ("If-Match" = String, Header, description = "ETag from GET")),
    security(("bearer" = [])),
    responses((status = 200, body = CommitteeResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
pub async fn update_committee(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UpdateCommitteeRequest>,
) -> AppResult<HttpResponse> {
    crate::auth::policy::manage_users(&principal).require()?;
    let expected = required_if_match(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let response = db::run_tx(&state.pool, move |conn| {
        let (current, current_members) = workflow::committee(conn, &principal, &id)?;
        let members: Vec<(String, String)> = match &body.members {
            Some(list) => list
                .iter()
                .map(|m| (m.user_id.clone(), m.role.clone()))
                .collect(),
            None => current_members
                .into_iter()
                .map(|m| (m.user_id, m.member_role))
                .collect(),
        };
        let committee = workflow::update_committee(
            conn,
            &principal,
            &id,
            expected.expected(current.version),
            &CommitteeInput {
                name: body.name.as_deref().unwrap_or(&current.name),
                quorum: body.quorum.unwrap_or(current.quorum),
                members: &members,
            },
        )?;
        let (committee, members) = workflow::committee(conn, &principal, &committee.id)?;
        Ok(committee_response(committee, members))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(response.version)))
        .json(response))
}

/// Proposals under review ranked by weighted score (chairs and admins).
#[utoipa::path(get, path = "/api/v1/ranking", tag = "review", security(("bearer" = [])),
    responses((status = 200, body = Vec<RankedProposal>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn get_ranking(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<RankedProposal>>> {
    let ranked = db::run(&state.pool, move |conn| workflow::ranking(conn, &principal)).await?;
    Ok(web::Json(ranked))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssignmentResponse {
    pub assignment_id: String,
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub round: i32,
    pub coi_status: String,
    pub coi_kind: Option<String>,
    pub completed: bool,
}

/// Reviewers of the current round (chair and admins).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/reviewers", tag = "review", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<AssignmentResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_reviewers(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<AssignmentResponse>>> {
    let id = path.into_inner();
    let list = db::run(&state.pool, move |conn| {
        let view = workflow::committee_view(conn, &principal, &id)?;
        Ok(view
            .reviews
            .into_iter()
            .map(|r| AssignmentResponse {
                assignment_id: r.assignment_id,
                reviewer_id: r.reviewer_id,
                reviewer_name: r.reviewer_name.unwrap_or_default(),
                round: r.round,
                coi_status: r.coi_status,
                coi_kind: r.coi_kind,
                completed: r.completed,
            })
            .collect())
    })
    .await?;
    Ok(web::Json(list))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignReviewerRequest {
    pub reviewer_id: String,
}

/// Assign a committee member as reviewer (chair or admin). The reviewer is emailed and must
/// declare conflicts of interest before seeing the proposal.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/reviewers", tag = "review", request_body = AssignReviewerRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = AssignmentResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_reviewer(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<AssignReviewerRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let reviewer_id = body.into_inner().reviewer_id;
    let location = format!("/api/v1/proposals/{id}/reviewers");
    let response = db::run_tx(&state.pool, move |conn| {
        let assignment = workflow::assign_reviewer(conn, &principal, &id, &reviewer_id)?;
        let name = workflow::reviewer_name(conn, &assignment)?;
        Ok(AssignmentResponse {
            assignment_id: assignment.id,
            reviewer_id: assignment.reviewer_id,
            reviewer_name: name,
            round: assignment.round,
            coi_status: assignment.coi_status,
            coi_kind: assignment.coi_kind,
            completed: false,
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(response))
}

/// What an assigned reviewer sees before declaring: title, investigator, institution, product.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/coi", tag = "review", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = CoiView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_coi(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<CoiView>> {
    let id = path.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| {
            workflow::coi_view(conn, &principal, &id)
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoiRequest {
    /// `none`, or the kind of conflict: `collaborator`, `institutional`, `financial`, `personal`, `other`.
    #[schema(example = "none")]
    pub conflict: String,
    /// Required when a conflict is declared.
    pub note: Option<String>,
}

/// Declare conflicts of interest (once per round). A conflict recuses the reviewer for good.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/coi", tag = "review", request_body = CoiRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 200, body = CoiView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn declare_coi(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<CoiRequest>,
) -> AppResult<web::Json<CoiView>> {
    let id = path.into_inner();
    let body = body.into_inner();
    let conflict = match body.conflict.as_str() {
        "none" => None,
        other => Some(ConflictKind::parse(other).ok_or_else(|| {
            AppError::validation_one(
                "conflict",
                "invalid_choice",
                "none, collaborator, institutional, financial, personal or other",
            )
        })?),
    };
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::declare_coi(conn, &principal, &id, conflict, body.note.as_deref())
    })
    .await?;
    Ok(web::Json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyReviewResponse {
    pub review: ReviewView,
    pub rubric: Vec<Criterion>,
}

/// The caller's review of the current round (after declaring no conflict), with its `ETag`.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/reviews/mine", tag = "review", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = MyReviewResponse, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_my_review(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (review, rubric) = db::run(&state.pool, move |conn| {
        workflow::my_review(conn, &principal, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(review.version)))
        .json(MyReviewResponse { review, rubric }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// Criterion key → score 1–5.
    #[serde(default)]
    pub scores: BTreeMap<String, u8>,
    #[schema(value_type = Option<String>, example = "approve")]
    pub recommendation: Option<Outcome>,
    #[serde(default)]
    pub comments_to_investigator: String,
    /// Seen by the committee only.
    #[serde(default)]
    pub confidential_comments: String,
    /// `true` submits the review (every score and a recommendation required). A submitted
    /// review stays submitted when saved again (then it must stay complete); only reopening it
    /// on the web page, before the decision, makes it a draft.
    #[serde(default)]
    pub complete: bool,
}

/// Save or complete the caller's review (editable until the decision). Requires `If-Match`.
#[utoipa::path(put, path = "/api/v1/proposals/{id}/reviews/mine", tag = "review", request_body = ReviewRequest,
    params(("id" = String, Path, description = "Proposal id"), ("If-Match" = String, Header, description = "ETag from GET")),
    security(("bearer" = [])),
    responses((status = 200, body = ReviewView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn put_my_review(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ReviewRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let expected = crate::http::api::optional_if_match(&req)?;
    let review = db::run_tx(&state.pool, move |conn| {
        // Authorise first (NotFound / Forbidden), then insist on the precondition.
        let (current, _) = workflow::my_review(conn, &principal, &id)?;
        let expected = expected
            .ok_or(AppError::PreconditionRequired)?
            .expected(current.version);
        workflow::save_review(
            conn,
            &principal,
            &id,
            expected,
            &ReviewInput {
                scores: body.scores,
                recommendation: body.recommendation,
                comments_to_investigator: body.comments_to_investigator,
                confidential_comments: body.confidential_comments,
                complete: body.complete,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(review.version)))
        .json(review))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsResponse {
    pub round: i32,
    pub quorum: i32,
    pub completed: usize,
    pub quorum_met: bool,
    /// Mean of the completed reviews' weighted scores (1–5).
    pub score: Option<f64>,
    pub rubric: Vec<Criterion>,
    pub reviews: Vec<ReviewView>,
}

/// Every review of the current round, confidential comments included (chair and admins). An
/// MSL asking is refused by a compliance guardrail, and the attempt is audited.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/reviews", tag = "review", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = ReviewsResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_reviews(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<ReviewsResponse>> {
    let id = path.into_inner();
    let response = db::run_tx(&state.pool, move |conn| {
        let view = workflow::committee_view(conn, &principal, &id)?;
        Ok(ReviewsResponse {
            round: view.loaded.row.round,
            quorum: view
                .committee
                .as_ref()
                .map(|c| c.quorum)
                .unwrap_or(crate::domain::review::DEFAULT_QUORUM),
            completed: view.completed,
            quorum_met: view.quorum_met,
            score: view.score,
            rubric: view.rubric,
            reviews: view.reviews,
        })
    })
    .await?;
    Ok(web::Json(response))
}

/// The latest decision: the investigator's version (comments to the investigator only) or the
/// committee's.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/decision", tag = "review", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = DecisionView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<DecisionView>> {
    let id = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        workflow::decision_view(conn, &principal, &id)
    })
    .await?;
    view.map(web::Json).ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[schema(value_type = String, example = "approve_with_conditions")]
    pub outcome: Outcome,
    pub rationale: String,
    /// For `approve_with_conditions` only.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Needed when deciding before quorum; audited.
    pub quorum_override_reason: Option<String>,
}

/// Record the committee's decision (chair). Refused before quorum unless overridden with a
/// reason; the investigator is sent the decision letter.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/decision", tag = "review", request_body = DecisionRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = DecisionView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn post_decision(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<DecisionRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let location = format!("/api/v1/proposals/{id}/decision");
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::decide(
            conn,
            &principal,
            &id,
            &DecisionInput {
                outcome: body.outcome,
                rationale: body.rationale,
                conditions: body.conditions,
                quorum_override_reason: body.quorum_override_reason,
            },
        )?;
        workflow::decision_view(conn, &principal, &id)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view))
}
