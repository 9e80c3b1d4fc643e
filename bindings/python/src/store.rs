//! `pulse.open(url)` and `pulse.Store`: a database with Pulse's schema, and its clients.

use pulse_core::Store as CoreStore;
use pulse_core::ids::ClientSlug;
use pulse_core::model::{Branding, Client as ClientRecord};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::client::Client;
use crate::errors::Outcome;
use crate::runtime::block_on;

/// Opens `url` (`sqlite:///path/to/file.db`, created when missing, or
/// `postgres://user@host/db`) and applies pending schema migrations.
#[pyfunction]
pub fn open(py: Python<'_>, url: &str) -> PyResult<Store> {
    let url = url.to_owned();
    let store = block_on(py, None, || async move { Outcome::Ok(CoreStore::open(&url).await?) })?;
    Ok(Store { store })
}

/// An open database. Use as a context manager, or call `close()`, to release its
/// connections early.
#[pyclass(module = "pulse", name = "Store", frozen)]
pub struct Store {
    store: CoreStore,
}

fn slug(text: &str) -> Outcome<ClientSlug> {
    Ok(ClientSlug::parse(text)?)
}

pub fn client_dict<'py>(py: Python<'py>, c: &ClientRecord) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", c.id.get())?;
    d.set_item("slug", c.slug.as_str())?;
    d.set_item("name", &c.branding.display_name)?;
    d.set_item("created_at", c.created_at)?;
    Ok(d)
}

#[pymethods]
impl Store {
    /// `"sqlite"` or `"postgres"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.store.backend().as_str()
    }

    /// The client with this slug. With `create=True` it is created (named after its
    /// slug) when missing; otherwise a missing client raises `NotFound`.
    #[pyo3(signature = (slug, *, create = false))]
    fn client(&self, py: Python<'_>, slug: &str, create: bool) -> PyResult<Client> {
        let (store, text) = (self.store.clone(), slug.to_owned());
        let client = block_on(py, None, || async move {
            let slug = self::slug(&text)?;
            Outcome::Ok(if create { store.client_or_create(&slug).await? } else { store.client(&slug).await? })
        })?;
        Ok(Client::new(client))
    }

    /// Creates a client; raises `AlreadyExists` when the slug is taken.
    #[pyo3(signature = (slug, name = None))]
    fn create_client(&self, py: Python<'_>, slug: &str, name: Option<String>) -> PyResult<Client> {
        let (store, text) = (self.store.clone(), slug.to_owned());
        let client = block_on(py, None, || async move {
            let slug = self::slug(&text)?;
            let branding = Branding::named(name.unwrap_or_else(|| slug.to_string()));
            Outcome::Ok(store.create_client(&slug, &branding).await?)
        })?;
        Ok(Client::new(client))
    }

    /// Every client: dicts with `id`, `slug`, `name` and `created_at`, by slug.
    fn clients<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let store = self.store.clone();
        let clients = block_on(py, None, || async move { Outcome::Ok(store.clients().await?) })?;
        clients.iter().map(|c| client_dict(py, c)).collect()
    }

    /// Closes every connection; the store cannot be used afterwards.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let store = self.store.clone();
        block_on(py, None, || async move {
            store.close().await;
            Outcome::Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("<pulse.Store on {}>", self.store.backend().as_str())
    }
}
