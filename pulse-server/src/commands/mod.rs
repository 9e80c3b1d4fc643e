//! One module per command.

pub mod client;
pub mod demo;
pub mod generate;
pub mod import;
pub mod integration;
pub mod jobs;
pub mod metrics;
pub mod migrate;
pub mod serve;
pub mod sync;
pub mod user;

use pulse_core::ids::ClientSlug;
use pulse_core::{Backend, ClientStore, Store};

use crate::cli::Global;
use crate::error::{Error, Result};

/// The store named by `--db`, migrated.
pub async fn open_store(global: &Global) -> Result<Store> {
    Ok(Store::open(&global.db).await?)
}

/// The client named by `--client`. With the embedded database it is created on first
/// use; a server database needs `pulse client create` first.
pub async fn open_client(store: &Store, global: &Global) -> Result<ClientStore> {
    let slug = ClientSlug::parse(&global.client)?;
    if store.backend() == Backend::Sqlite {
        return Ok(store.client_or_create(&slug).await?);
    }
    match store.client(&slug).await {
        Err(pulse_core::Error::NotFound { .. }) => Err(Error::UnknownClient { slug: slug.to_string() }),
        other => Ok(other?),
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
