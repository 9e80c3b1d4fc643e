//! A generated GitHub for tests and the sync benchmark: `N` pull requests with reviews,
//! review comments and commits, the default branch's squash commits, and deployments.
//!
//! GENERATED, not recorded: no public recording of a GraphQL pull request page with its
//! reviews and commits exists. Responses follow the recorded wire shape of
//! `tests/fixtures/graphql/pull-request-nodes.json` (`{"data":{"repository":{"pullRequests":
//! {…}}}}`, camelCase fields) with the field names of GitHub's schema, and the REST
//! shapes of the recorded REST responses (`commits`, `pulls/{n}/…`). Everything is derived
//! from the PR number on the fly, so 100,000 PRs cost no memory here; `touch` changes a PR.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub repo: String,
    pub prs: i64,
    pub reviews_per_pr: i64,
    pub comments_per_review: i64,
    pub commits_per_pr: i64,
    pub deployments: i64,
    pub start: DateTime<Utc>,
}

impl FakeConfig {
    pub fn new(prs: i64) -> Self {
        Self {
            repo: "acme/api".to_owned(),
            prs,
            reviews_per_pr: 3,
            comments_per_review: 1,
            commits_per_pr: 4,
            deployments: 20,
            start: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }
}

/// A pull request's current state, derived or overridden.
#[derive(Debug, Clone)]
pub struct PrState {
    pub updated: DateTime<Utc>,
    pub open: bool,
    pub title: String,
    /// Extra reviews beyond the generated ones (to overflow the nested page).
    pub extra_reviews: i64,
}

#[derive(Debug, Default)]
struct State {
    overrides: HashMap<i64, PrState>,
    order: Option<Vec<i64>>,
    /// The server's address, for absolute `Link` URLs.
    base: String,
    /// Request kinds served, in order (`graphql:pullRequests`, `rest:commits`, …).
    log: Vec<String>,
}

#[derive(Clone)]
pub struct FakeGithub {
    pub config: FakeConfig,
    state: Arc<Mutex<State>>,
}

pub fn sha(kind: u64, n: i64, i: i64) -> String {
    format!("{kind:x}{:039x}", (n as u64) * 1000 + i as u64)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl FakeGithub {
    pub fn new(config: FakeConfig) -> Self {
        Self { config, state: Arc::default() }
    }

    pub fn created(&self, n: i64) -> DateTime<Utc> {
        self.config.start + Duration::minutes(10 * n)
    }

    pub fn merged(&self, n: i64) -> DateTime<Utc> {
        self.created(n) + Duration::hours(3)
    }

    pub fn pr(&self, n: i64) -> PrState {
        let state = self.state.lock().unwrap();
        state.overrides.get(&n).cloned().unwrap_or_else(|| PrState {
            updated: self.merged(n) + Duration::minutes(1),
            open: false,
            title: format!("[CHK-{n}] change number {n}"),
            extra_reviews: 0,
        })
    }

    /// Changes a pull request (a later update time moves it to the front).
    pub fn touch(&self, n: i64, change: impl FnOnce(&mut PrState)) {
        let mut pr = self.pr(n);
        change(&mut pr);
        let mut state = self.state.lock().unwrap();
        state.overrides.insert(n, pr);
        state.order = None;
    }

    /// Where the fake is served (`Link` headers are absolute, as GitHub's are).
    pub fn set_base(&self, base: &str) {
        self.state.lock().unwrap().base = base.to_owned();
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    fn record(&self, kind: &str) {
        self.state.lock().unwrap().log.push(kind.to_owned());
    }

    /// PR numbers by update time, newest first.
    fn order(&self) -> Vec<i64> {
        if let Some(order) = &self.state.lock().unwrap().order {
            return order.clone();
        }
        let overrides: BTreeMap<i64, DateTime<Utc>> =
            self.state.lock().unwrap().overrides.iter().map(|(n, s)| (*n, s.updated)).collect();
        let mut order: Vec<i64> = (1..=self.config.prs).rev().collect();
        if !overrides.is_empty() {
            let updated = |n: i64| overrides.get(&n).copied().unwrap_or_else(|| self.merged(n) + Duration::minutes(1));
            order.sort_by_key(|n| std::cmp::Reverse((updated(*n), *n)));
        }
        self.state.lock().unwrap().order = Some(order.clone());
        order
    }

    fn author(n: i64) -> Value {
        if n % 50 == 0 {
            json!({"__typename": "Bot", "login": "dependabot"})
        } else {
            json!({"__typename": "User", "login": format!("dev{}", n % 17)})
        }
    }

    fn review_count(&self, n: i64) -> i64 {
        self.config.reviews_per_pr + self.pr(n).extra_reviews
    }

    fn pr_commit(&self, n: i64, i: i64) -> Value {
        let at = self.created(n) - Duration::hours(2) + Duration::minutes(i);
        let parent = if i == 0 { sha(0xb, n - 1, 0) } else { sha(0xc, n, i - 1) };
        json!({"commit": {
            "oid": sha(0xc, n, i),
            "authoredDate": ts(at),
            "committedDate": ts(at),
            "message": format!("work {i} on CHK-{n}"),
            "author": {"name": format!("Dev {}", n % 17), "user": {"login": format!("dev{}", n % 17)}},
            "parents": {"nodes": [{"oid": parent}]},
        }})
    }

    fn review(&self, n: i64, i: i64, comments: i64) -> Value {
        let at = self.created(n) + Duration::minutes(30 + 5 * i);
        let total = self.config.comments_per_review;
        json!({
            "fullDatabaseId": format!("{}", n * 100 + i),
            "state": if i == 0 { "COMMENTED" } else { "APPROVED" },
            "submittedAt": ts(at),
            "author": {"__typename": "User", "login": format!("rev{}", (n + i) % 13)},
            "comments": {"totalCount": total, "nodes": (0..total.min(comments)).map(|c| json!({
                "fullDatabaseId": format!("{}", n * 1000 + i * 10 + c),
                "createdAt": ts(at - Duration::minutes(1)),
                "author": {"__typename": "User", "login": format!("rev{}", (n + i) % 13)},
            })).collect::<Vec<_>>()},
        })
    }

    /// The GraphQL node of PR `n`, with nested pages cut at the query's `first:` sizes.
    pub fn node(&self, n: i64, limits: &Limits) -> Value {
        let pr = self.pr(n);
        let reviews = self.review_count(n);
        let merged = !pr.open;
        json!({
            "number": n,
            "title": pr.title,
            "state": if merged { "MERGED" } else { "OPEN" },
            "isDraft": false,
            "createdAt": ts(self.created(n)),
            "updatedAt": ts(pr.updated),
            "mergedAt": if merged { Value::from(ts(self.merged(n))) } else { Value::Null },
            "closedAt": if merged { Value::from(ts(self.merged(n))) } else { Value::Null },
            "additions": 10 * n % 997,
            "deletions": 3 * n % 101,
            "baseRefName": "main",
            "headRefName": format!("feature/chk-{n}"),
            "author": Self::author(n),
            "mergeCommit": if merged { json!({"oid": sha(0xb, n, 0)}) } else { Value::Null },
            "labels": {"totalCount": 0, "nodes": []},
            "reviews": {"totalCount": reviews, "nodes": (0..reviews.min(limits.reviews)).map(|i| self.review(n, i, limits.comments)).collect::<Vec<_>>()},
            "commits": {"totalCount": self.config.commits_per_pr, "nodes": (0..self.config.commits_per_pr.min(limits.commits)).map(|i| self.pr_commit(n, i)).collect::<Vec<_>>()},
        })
    }

    fn graphql(&self, body: &Value) -> Value {
        let query = body["query"].as_str().unwrap_or("");
        let vars = &body["variables"];
        let limits = Limits::of(query);
        let rate = json!({"cost": 1, "remaining": 4999, "resetAt": "2026-01-01T01:00:00Z"});
        if query.contains("pullRequests(first:") {
            self.record("graphql:pullRequests");
            let order = self.order();
            let first = vars["first"].as_i64().unwrap_or(100) as usize;
            let start = vars["after"].as_str().map_or(0, |c| c.trim_start_matches("c").parse::<usize>().unwrap());
            let end = (start + first).min(order.len());
            let nodes: Vec<Value> = order[start..end].iter().map(|n| self.node(*n, &limits)).collect();
            json!({"data": {"rateLimit": rate, "repository": {"pullRequests": {
                "pageInfo": {"hasNextPage": end < order.len(), "endCursor": format!("c{end}")},
                "nodes": nodes,
            }}}})
        } else if query.contains("pullRequest(number:") {
            self.record("graphql:recheck");
            let re = regex::Regex::new(r"pr(\d+): pullRequest").unwrap();
            let mut repository = serde_json::Map::new();
            for c in re.captures_iter(query) {
                let n: i64 = c[1].parse().unwrap();
                let node = if n <= self.config.prs { self.node(n, &limits) } else { Value::Null };
                repository.insert(format!("pr{n}"), node);
            }
            json!({"data": {"rateLimit": rate, "repository": repository}})
        } else if query.contains("deployments(first:") {
            self.record("graphql:deployments");
            let nodes: Vec<Value> = (1..=self.config.deployments)
                .rev()
                .map(|d| {
                    let n = d * self.config.prs.max(1) / self.config.deployments.max(1);
                    let at = self.merged(n.max(1)) + Duration::minutes(20);
                    json!({
                        "databaseId": 900_000 + d, "commitOid": sha(0xb, n.max(1), 0), "environment": "production",
                        "state": if d % 10 == 0 { "FAILURE" } else { "ACTIVE" }, "createdAt": ts(at), "updatedAt": ts(at + Duration::minutes(9)),
                        "latestStatus": {"state": if d % 10 == 0 { "FAILURE" } else { "SUCCESS" }, "createdAt": ts(at + Duration::minutes(8)), "updatedAt": ts(at + Duration::minutes(8))},
                        "statuses": {"nodes": [{"state": if d % 10 == 0 { "FAILURE" } else { "SUCCESS" }, "createdAt": ts(at + Duration::minutes(8)), "updatedAt": ts(at + Duration::minutes(8))}]},
                    })
                })
                .collect();
            json!({"data": {"rateLimit": rate, "repository": {"deployments": {
                "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": nodes}}}})
        } else if query.contains("releases(first:") {
            self.record("graphql:releases");
            json!({"data": {"rateLimit": rate, "repository": {"releases": {
                "pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []}}}})
        } else {
            json!({"errors": [{"message": "unexpected query"}]})
        }
    }

    /// REST `GET /repos/{repo}/commits`: the default branch's squash commits, newest
    /// first, `since` by commit time, 100 per page with a `Link` header.
    fn commits(&self, request: &Request) -> ResponseTemplate {
        self.record("rest:commits");
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let since = query.get("since").map(|s| DateTime::parse_from_rfc3339(s).unwrap().to_utc());
        let page: usize = query.get("page").map_or(1, |p| p.parse().unwrap());
        let untouched = self.state.lock().unwrap().overrides.is_empty();
        let matching: Vec<i64> = (1..=self.config.prs)
            .rev()
            .filter(|n| untouched || !self.pr(*n).open)
            .take_while(|n| since.is_none_or(|s| self.merged(*n) >= s))
            .collect();
        let items: Vec<Value> = matching
            .iter()
            .skip((page - 1) * 100)
            .take(100)
            .map(|n| {
                let at = ts(self.merged(*n));
                json!({
                    "sha": sha(0xb, *n, 0),
                    "commit": {"author": {"name": format!("Dev {}", n % 17), "date": at}, "committer": {"name": "GitHub", "date": at},
                               "message": self.pr(*n).title},
                    "author": {"login": format!("dev{}", n % 17), "type": "User"},
                    "parents": [{"sha": sha(0xb, n - 1, 0)}],
                })
            })
            .collect();
        let mut response = ResponseTemplate::new(200).insert_header("x-ratelimit-remaining", "4999");
        if page * 100 < matching.len() {
            let base = self.state.lock().unwrap().base.clone();
            let mut next = reqwest::Url::parse(&format!("{base}{}", request.url.path())).unwrap();
            for (k, v) in &query {
                if k != "page" {
                    next.query_pairs_mut().append_pair(k, v);
                }
            }
            next.query_pairs_mut().append_pair("page", &(page + 1).to_string());
            response = response.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        response.set_body_json(Value::Array(items))
    }

    /// REST `GET /repos/{repo}/pulls/{n}/reviews` (the nested page overflowed).
    fn rest_reviews(&self, n: i64) -> ResponseTemplate {
        self.record("rest:reviews");
        let items: Vec<Value> = (0..self.review_count(n))
            .map(|i| {
                let r = self.review(n, i, 0);
                json!({"id": n * 100 + i, "user": {"login": r["author"]["login"], "type": "User"}, "state": r["state"], "submitted_at": r["submittedAt"]})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(Value::Array(items))
    }

    fn rest_review_comments(&self, n: i64) -> ResponseTemplate {
        self.record("rest:comments");
        let items: Vec<Value> = (0..self.review_count(n))
            .map(|i| {
                let c = &self.review(n, i, 1)["comments"]["nodes"][0];
                json!({"id": n * 1000 + i * 10, "user": {"login": c["author"]["login"], "type": "User"}, "created_at": c["createdAt"]})
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(Value::Array(items))
    }
}

/// Nested page sizes a query asks for.
pub struct Limits {
    pub reviews: i64,
    pub comments: i64,
    pub commits: i64,
}

impl Limits {
    fn of(query: &str) -> Self {
        let first = |field: &str| {
            regex::Regex::new(&format!(r"{field}\(first: (\d+)\)"))
                .unwrap()
                .captures(query)
                .map_or(100, |c| c[1].parse().unwrap())
        };
        Self { reviews: first("reviews"), comments: first("comments"), commits: first("commits") }
    }
}

impl Respond for FakeGithub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        let repo = format!("/repos/{}", self.config.repo);
        let headers = |t: ResponseTemplate| t.insert_header("x-ratelimit-remaining", "4999");
        if path == "/graphql" {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            return headers(ResponseTemplate::new(200).set_body_json(self.graphql(&body)));
        }
        if path == repo {
            self.record("rest:repository");
            return headers(ResponseTemplate::new(200).insert_header("etag", "\"repo-v1\""))
                .set_body_json(json!({"id": 1, "full_name": self.config.repo, "default_branch": "main"}));
        }
        if path == format!("{repo}/commits") {
            return self.commits(request);
        }
        if path == format!("{repo}/issues") {
            self.record("rest:issues");
            return headers(ResponseTemplate::new(200)).set_body_json(json!([]));
        }
        if let Some(rest) = path.strip_prefix(&format!("{repo}/pulls/")) {
            let (n, what) = rest.split_once('/').unwrap();
            let n: i64 = n.parse().unwrap();
            return match what {
                "reviews" => self.rest_reviews(n),
                "comments" => self.rest_review_comments(n),
                _ => ResponseTemplate::new(404),
            };
        }
        ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}))
    }
}
