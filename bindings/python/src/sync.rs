//! `Client.sync`: one integration's connector run page by page, reporting progress to a
//! Python callable; `Client.reextract`: its records rebuilt from the stored payloads.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pulse_connectors::http::UsageSnapshot;
use pulse_connectors::integration::{self, ConnectOptions};
use pulse_connectors::{Connector, ProgressEvent, SecretKey, Sync, SyncSummary, reextract as reextract_records};
use pulse_core::ClientStore;
use pulse_core::ids::IntegrationId;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Outcome;
use crate::runtime::{Abort, block_on};

/// One set of HTTP options for the process, so every sync shares the per-host pace.
fn options() -> &'static ConnectOptions {
    static OPTIONS: OnceLock<ConnectOptions> = OnceLock::new();
    OPTIONS.get_or_init(ConnectOptions::default)
}

fn usage_dict<'py>(py: Python<'py>, u: &UsageSnapshot) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("requests", u.requests)?;
    d.set_item("bytes", u.bytes)?;
    d.set_item("retries", u.retries)?;
    d.set_item("not_modified", u.not_modified)?;
    d.set_item("rate_limit_waits", u.rate_limit_waits)?;
    d.set_item("waited_ms", u.waited_ms)?;
    d.set_item("remaining", u.remaining)?;
    Ok(d)
}

fn event_dict<'py>(py: Python<'py>, event: &ProgressEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match event {
        ProgressEvent::StreamStarted { stream } => {
            d.set_item("event", "stream_started")?;
            d.set_item("stream", stream)?;
        }
        ProgressEvent::PageLanded { stream, items, records, usage } => {
            d.set_item("event", "page_landed")?;
            d.set_item("stream", stream)?;
            d.set_item("items", items)?;
            d.set_item("records", records)?;
            d.set_item("usage", usage_dict(py, usage)?)?;
        }
        ProgressEvent::StreamFinished { stream } => {
            d.set_item("event", "stream_finished")?;
            d.set_item("stream", stream)?;
        }
    }
    Ok(d)
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
                let called = Python::attach(|py| callback.call1(py, (event_dict(py, event)?,)).map(drop));
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
