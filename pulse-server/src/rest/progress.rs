//! WebSocket progress: `/jobs/{id}/progress` (one job) and `/jobs/progress` (all of the
//! caller's client's jobs). Each message is one progress event as JSON, the same events
//! the gRPC stream carries. The caller and the job are checked before the upgrade, so a
//! refused stream is an ordinary HTTP error.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::{SinkExt, Stream, StreamExt};
use pulse_core::model::JobId;
use pulse_jobs::ProgressEvent;

use super::extract::{Caller, Id};
use crate::api::{Api, ApiError};

/// Live progress of one job; the socket closes after the job's final state.
#[utoipa::path(get, path = "/jobs/{id}/progress", tag = "jobs", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 101, description = "WebSocket of progress events (JSON text messages)"),
        (status = 404, description = "No such job in your client")))]
pub async fn one(
    State(api): State<Api>,
    Caller(p): Caller,
    Id(id): Id,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let events = api.progress(&p, Some(JobId::new(id))).await?;
    Ok(ws.on_upgrade(move |socket| forward(socket, events)))
}

/// Live progress of every job of the caller's client.
#[utoipa::path(get, path = "/jobs/progress", tag = "jobs", security(("bearer" = [])),
    responses((status = 101, description = "WebSocket of progress events (JSON text messages)")))]
pub async fn all(State(api): State<Api>, Caller(p): Caller, ws: WebSocketUpgrade) -> Result<Response, ApiError> {
    let events = api.progress(&p, None).await?;
    Ok(ws.on_upgrade(move |socket| forward(socket, events)))
}

/// Sends the events until the stream ends (a single job's does after its last event) or
/// the client goes away, then closes.
async fn forward(socket: WebSocket, events: impl Stream<Item = ProgressEvent> + Send + 'static) {
    let (mut sink, mut incoming) = socket.split();
    let mut events = std::pin::pin!(events);
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { break };
                let text = event.to_json().to_string();
                if sink.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            message = incoming.next() => match message {
                // The client went away or closed: stop forwarding.
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = sink.send(Message::Close(None)).await;
}
