//! `pulse.v1.ImportService`: the push API, the import format's files written all or
//! nothing.

use axum::body::Bytes;
use tonic::{Request, Response, Status};

use super::proto::import_service_server::ImportService;
use super::proto::{ImportRequest, ImportResponse};
use super::{authenticated, observe};
use crate::api::Api;

pub struct Import {
    api: Api,
}

impl Import {
    pub fn new(api: Api) -> Self {
        Self { api }
    }
}

#[tonic::async_trait]
impl ImportService for Import {
    async fn import(&self, request: Request<ImportRequest>) -> Result<Response<ImportResponse>, Status> {
        observe("pulse.v1.ImportService/Import", async {
            let (p, r) = authenticated(&self.api, request).await?;
            let files = r.files.into_iter().map(|f| (f.kind, Bytes::from(f.content))).collect();
            let result = self.api.import(&p, files).await?;
            Ok(ImportResponse { counts: result.counts.into_iter().collect(), data_version: result.data_version })
        })
        .await
    }
}
