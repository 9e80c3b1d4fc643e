//! `Client.sync`: one integration's connector run page by page, reporting progress to a
//! Python callable; `Client.reextract`: its records rebuilt from the stored payloads.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pulse_connectors::integration::{self, ConnectOptions};
use pulse_connectors::{Connector, SecretKey, Sync, SyncSummary, reextract as reextract_records};
use pulse_core::ClientStore;
use pulse_core::ids::IntegrationId;
use pyo3::prelude::*;

use crate::errors::Outcome;
use crate::runtime::{Abort, block_on};

/// One set of HTTP options for the process, so every sync shares the per-host pace.
fn options() -> &'static ConnectOptions {
    static OPTIONS: OnceLock<ConnectOptions> = OnceLock::new();
    OPTIONS.get_or_init(ConnectOptions::default)
}

/// The stored integration and its connector.
async fn connect(client: &ClientStore, integration_id: i64) -> Outcome<Box<dyn Connector>> {
    let key = SecretKey::from_env()?;
    let stored = client
        .integration(IntegrationId::new(integration_id))
        .await?
        .ok_or(pulse_core::Error::NotFound { entity: "integration" })?;
    Ok(integration::connector(client, &stored, &key, options()).await?)
}

pub fn run(
    py: Python<'_>,
    client: &ClientStore,
    integration_id: i64,
    progress: Option<Py<PyAny>>,
    max_pages: Option<u64>,
) -> PyResult<SyncSummary> {
    let client = client.clone();
    let abort = Abort::default();
    let abort_ref = &abort;
    block_on(py, Some(&abort), || async move {
        let connector = connect(&client, integration_id).await?;
        let mut sync = Sync::new(&client, connector.as_ref());
        if let Some(pages) = max_pages {
            sync = sync.max_pages(pages);
        }
        if let Some(callback) = progress {
            sync = sync.on_progress(move |event| {
                if abort_ref.is_raised() {
                    return;
                }
                let called = Python::attach(|py| callback.call1(py, (crate::json::to_python(py, event)?,)).map(drop));
                if let Err(err) = called {
                    abort_ref.raise(err);
                }
            });
        }
        Outcome::Ok(sync.execute().await?)
    })
}

pub fn reextract(py: Python<'_>, client: &ClientStore, integration_id: i64) -> PyResult<BTreeMap<&'static str, u64>> {
    let client = client.clone();
    block_on(py, None, || async move {
        let connector = connect(&client, integration_id).await?;
        Outcome::Ok(reextract_records(&client, connector.as_ref()).await?)
    })
}
