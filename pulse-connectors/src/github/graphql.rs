//! The GraphQL queries. Pull requests come 100 to a request with their reviews, review
//! comments and commits nested, which is where the API economy comes from: REST needs
//! one list call per 100 PRs plus three calls per PR.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::wire::{GqlError, PageInfo};
use crate::error::{Error, Result};
use crate::http::{Http, Request, Response};

/// Nested page sizes: enough for nearly every PR; a PR with more is completed over REST.
pub(crate) const REVIEWS_PER_PR: u32 = 25;
pub(crate) const COMMENTS_PER_REVIEW: u32 = 20;
pub(crate) const COMMITS_PER_PR: u32 = 50;

pub(crate) fn pull_request_fields() -> String {
    format!(
        "number title state isDraft createdAt updatedAt mergedAt closedAt additions deletions \
         baseRefName headRefName author {{ __typename login }} mergeCommit {{ oid }} \
         labels(first: 20) {{ totalCount nodes {{ name }} }} \
         reviews(first: {REVIEWS_PER_PR}) {{ totalCount nodes {{ fullDatabaseId state submittedAt \
           author {{ __typename login }} \
           comments(first: {COMMENTS_PER_REVIEW}) {{ totalCount nodes {{ fullDatabaseId createdAt author {{ __typename login }} }} }} }} }} \
         commits(first: {COMMITS_PER_PR}) {{ totalCount nodes {{ commit {{ oid authoredDate committedDate message \
           author {{ name user {{ login }} }} parents(first: 5) {{ nodes {{ oid }} }} }} }} }}"
    )
}

/// Pull requests, most recently updated first.
pub(crate) fn pull_requests_query() -> String {
    format!(
        "query($owner: String!, $name: String!, $first: Int!, $after: String) {{ \
         rateLimit {{ cost remaining resetAt }} \
         repository(owner: $owner, name: $name) {{ \
         pullRequests(first: $first, after: $after, orderBy: {{field: UPDATED_AT, direction: DESC}}) {{ \
         pageInfo {{ hasNextPage endCursor }} nodes {{ {} }} }} }} }}",
        pull_request_fields()
    )
}

/// Named pull requests (the open ones being re-checked), one alias each.
pub(crate) fn pull_requests_by_number_query(numbers: &[i64]) -> String {
    let fields = pull_request_fields();
    let aliases: Vec<String> =
        numbers.iter().map(|n| format!("pr{n}: pullRequest(number: {n}) {{ {fields} }}")).collect();
    format!(
        "query($owner: String!, $name: String!) {{ rateLimit {{ cost remaining resetAt }} \
         repository(owner: $owner, name: $name) {{ {} }} }}",
        aliases.join(" ")
    )
}

pub(crate) const DEPLOYMENTS_QUERY: &str = "query($owner: String!, $name: String!, $first: Int!, $after: String) { \
    rateLimit { cost remaining resetAt } \
    repository(owner: $owner, name: $name) { \
    deployments(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) { \
    pageInfo { hasNextPage endCursor } \
    nodes { databaseId commitOid environment state createdAt updatedAt \
      latestStatus { state createdAt updatedAt } statuses(first: 10) { nodes { state createdAt updatedAt } } } } } }";

pub(crate) const RELEASES_QUERY: &str = "query($owner: String!, $name: String!, $first: Int!, $after: String) { \
    rateLimit { cost remaining resetAt } \
    repository(owner: $owner, name: $name) { \
    releases(first: $first, after: $after, orderBy: {field: CREATED_AT, direction: DESC}) { \
    pageInfo { hasNextPage endCursor } \
    nodes { databaseId tagName isDraft isPrerelease createdAt publishedAt tagCommit { oid } } } } }";

/// A GraphQL response: `data` kept as raw JSON so that nodes can be stored verbatim.
#[derive(Debug, Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    errors: Vec<GqlError>,
}

/// A connection's page with its nodes verbatim.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection<'a> {
    pub page_info: PageInfo,
    #[serde(borrow)]
    pub nodes: Vec<&'a RawValue>,
}

/// POSTs a query and returns the response; GraphQL errors become [`Error::GraphQl`]
/// (or [`Error::RateLimited`]), except `NOT_FOUND` when `tolerate_missing` (an aliased
/// pull request that was deleted).
pub(crate) async fn post(
    http: &Http,
    endpoint: &str,
    query: &str,
    variables: serde_json::Value,
    tolerate_missing: bool,
) -> Result<Response> {
    let body = serde_json::json!({ "query": query, "variables": variables });
    let response = http.send(Request::post_json(endpoint, &body)).await?;
    let envelope: Envelope<'_> = response.json()?;
    let fatal: Vec<&GqlError> =
        envelope.errors.iter().filter(|e| !(tolerate_missing && e.kind.as_deref() == Some("NOT_FOUND"))).collect();
    if let Some(first) = fatal.first() {
        if first.kind.as_deref() == Some("RATE_LIMITED") {
            let until = response
                .header("x-ratelimit-reset")
                .and_then(|r| r.parse::<i64>().ok())
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .unwrap_or_else(|| chrono::Utc::now() + chrono::Duration::hours(1));
            return Err(Error::RateLimited {
                host: http.base().host_str().unwrap_or_default().to_owned(),
                until,
                kind: "GraphQL points",
            });
        }
        let messages: Vec<&str> = fatal.iter().map(|e| e.message.as_str()).collect();
        return Err(Error::GraphQl { endpoint: response.endpoint().to_owned(), message: messages.join("; ") });
    }
    if envelope.data.is_none() {
        return Err(Error::malformed(response.endpoint(), "neither data nor errors"));
    }
    Ok(response)
}

/// The `data` of a response [`post`] accepted.
pub(crate) fn data(response: &Response) -> Result<&RawValue> {
    let envelope: Envelope<'_> = response.json()?;
    envelope.data.ok_or_else(|| Error::malformed(response.endpoint(), "no data"))
}

/// `data.repository.<field>` as a connection.
pub(crate) fn connection<'a>(response: &'a Response, field: &str) -> Result<Connection<'a>> {
    #[derive(Deserialize)]
    struct Data<'a> {
        #[serde(borrow)]
        repository: Option<std::collections::HashMap<String, &'a RawValue>>,
    }
    let data: Data<'a> = serde_json::from_str(data(response)?.get())
        .map_err(|e| Error::malformed(response.endpoint(), format!("unexpected data ({e})")))?;
    let repository = data.repository.ok_or_else(|| Error::Status {
        endpoint: response.endpoint().to_owned(),
        status: 404,
        message: "repository not found".into(),
    })?;
    let raw = repository
        .get(field)
        .ok_or_else(|| Error::malformed(response.endpoint(), format!("no repository.{field} in the data")))?;
    serde_json::from_str(raw.get()).map_err(|e| Error::malformed(response.endpoint(), format!("{field}: {e}")))
}

/// `data.repository` as alias → node (null for a deleted pull request).
pub(crate) fn aliases(response: &Response) -> Result<Vec<(String, Option<&RawValue>)>> {
    #[derive(Deserialize)]
    struct Data<'a> {
        #[serde(borrow)]
        repository: Option<std::collections::BTreeMap<String, Option<&'a RawValue>>>,
    }
    let data: Data<'_> = serde_json::from_str(data(response)?.get())
        .map_err(|e| Error::malformed(response.endpoint(), format!("unexpected data ({e})")))?;
    let repository = data.repository.ok_or_else(|| Error::Status {
        endpoint: response.endpoint().to_owned(),
        status: 404,
        message: "repository not found".into(),
    })?;
    Ok(repository.into_iter().map(|(alias, node)| (alias, node.filter(|n| n.get() != "null"))).collect())
}
