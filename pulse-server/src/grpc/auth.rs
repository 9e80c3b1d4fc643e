//! `pulse.v1.AuthService`: signing in and out, refreshing, accepting invitations, and
//! who the caller is.

use tonic::{Request, Response, Status};

use super::messages::role;
use super::proto::auth_service_server::AuthService;
use super::proto::{
    AcceptInvitationRequest, AcceptInvitationResponse, LoginRequest, LoginResponse, LogoutRequest, LogoutResponse,
    RefreshRequest, RefreshResponse, Session, WhoAmIRequest, WhoAmIResponse,
};
use super::{authenticated, observe};
use crate::api::{self, Api};

pub struct Auth {
    api: Api,
}

impl Auth {
    pub fn new(api: Api) -> Self {
        Self { api }
    }
}

impl From<api::Session> for Session {
    fn from(s: api::Session) -> Self {
        let parsed = role(s.role);
        Self {
            access_token: s.access_token,
            token_type: s.token_type.to_owned(),
            expires_in: s.expires_in,
            refresh_token: s.refresh_token,
            refresh_expires_at: s.refresh_expires_at,
            client_id: s.client_id,
            role: parsed,
            user_id: s.user_id,
        }
    }
}

#[tonic::async_trait]
impl AuthService for Auth {
    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginResponse>, Status> {
        observe("pulse.v1.AuthService/Login", async {
            let r = request.into_inner();
            let login = api::LoginRequest { client: r.client, email: r.email, password: r.password };
            Ok(LoginResponse { session: Some(self.api.login(&login).await?.into()) })
        })
        .await
    }

    async fn refresh(&self, request: Request<RefreshRequest>) -> Result<Response<RefreshResponse>, Status> {
        observe("pulse.v1.AuthService/Refresh", async {
            let r = request.into_inner();
            Ok(RefreshResponse { session: Some(self.api.refresh(&r.refresh_token).await?.into()) })
        })
        .await
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<LogoutResponse>, Status> {
        observe("pulse.v1.AuthService/Logout", async {
            self.api.logout(&request.into_inner().refresh_token).await?;
            Ok(LogoutResponse {})
        })
        .await
    }

    async fn accept_invitation(
        &self,
        request: Request<AcceptInvitationRequest>,
    ) -> Result<Response<AcceptInvitationResponse>, Status> {
        observe("pulse.v1.AuthService/AcceptInvitation", async {
            let r = request.into_inner();
            Ok(AcceptInvitationResponse {
                session: Some(self.api.accept_invite(&r.invitation, &r.password).await?.into()),
            })
        })
        .await
    }

    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        observe("pulse.v1.AuthService/WhoAmI", async {
            let (p, _) = authenticated(&self.api, request).await?;
            let me = self.api.who_am_i(&p).await?;
            Ok(WhoAmIResponse {
                subject: me.subject,
                role: role(me.role),
                client: Some(me.client.into()),
                user: me.user.map(Into::into),
            })
        })
        .await
    }
}
