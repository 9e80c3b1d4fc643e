//! Test support for every crate of the workspace (feature `test-support`): a fresh
//! database per test, on either backend, and a macro running a test on both.
//!
//! PostgreSQL tests need `PULSE_TEST_PG_URL` (an ordinary, non-superuser role with
//! CREATEDB; `scripts/test` starts such a server). Without it they are skipped, unless
//! `PULSE_REQUIRE_ALL_BACKENDS=1` (set by `scripts/test` and CI), where skipping fails.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::ids::ClientSlug;
use crate::model::Branding;
use crate::{ClientStore, Store};

/// A fresh, migrated database that lives as long as the value.
pub struct TestDb {
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("pulse.db").display());
        let store = Store::open(&url).await.expect("open sqlite store");
        TestDb { url, store, _dir: Some(dir) }
    }

    /// `None` when PostgreSQL is not configured and not required.
    pub async fn postgres() -> Option<TestDb> {
        let url = Self::postgres_url("pulse_test").await?;
        let store = Store::open(&url).await.expect("open postgres store");
        Some(TestDb { url, store, _dir: None })
    }

    /// A URL of a fresh, empty PostgreSQL database (named after `prefix`), or `None`
    /// when PostgreSQL is not configured and not required.
    pub async fn postgres_url(prefix: &str) -> Option<String> {
        let Ok(base) = std::env::var("PULSE_TEST_PG_URL") else {
            if std::env::var("PULSE_REQUIRE_ALL_BACKENDS").as_deref() == Ok("1") {
                panic!("PULSE_TEST_PG_URL is not set but PULSE_REQUIRE_ALL_BACKENDS=1: run scripts/test");
            }
            eprintln!("skipping PostgreSQL test: PULSE_TEST_PG_URL is not set");
            return None;
        };
        let name = format!("{prefix}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(&base).await.expect("connect to PULSE_TEST_PG_URL");
        for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.expect("create a test database");
        }
        admin.close().await.ok();
        Some(replace_database(&base, &name))
    }

    /// A new client with default branding.
    pub async fn client(&self, slug: &str) -> ClientStore {
        let slug = ClientSlug::parse(slug).expect("a valid slug");
        self.store.create_client(&slug, &Branding::named(slug.as_str())).await.expect("create client")
    }
}

/// `postgres://u@h:p/db?x` with `db` replaced.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs each listed `async fn(TestDb)` of the enclosing module as two tests,
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::TestDb::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::testing::TestDb::postgres().await {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(replace_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
        assert_eq!(
            replace_database("postgres://u@h:5/postgres?sslmode=disable", "x"),
            "postgres://u@h:5/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    }
}
