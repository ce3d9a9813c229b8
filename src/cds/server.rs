//! The CDS Hooks HTTP service (cargo feature `server`): axum on tokio, loopback by default.
//!
//! - `GET /cds-services`: discovery.
//! - `POST /cds-services/{id}`: a hook call; `application/json` only (`415`), at most
//!   [`MAX_REQUEST_BYTES`] (`413`, refused from `Content-Length` before the body is read), read
//!   within [`READ_TIMEOUT`] (`408`).
//! - Anything else: `404` or `405`. Every error has a JSON body `{"error": {"status", "message"}}`.
//!
//! A check runs under `catch_unwind`: a fault answers `500` and the service keeps serving.

use std::io;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::{CdsError, MAX_REQUEST_BYTES, Service};
use crate::kb::KnowledgeBase;

/// How long a client has to send the request body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

fn json(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn error(e: &CdsError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, e.to_json())
}

fn plain_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({"error": {"status": status.as_u16(), "message": message}});
    json(status, body.to_string())
}

async fn discovery(State(service): State<Arc<Service>>) -> Response {
    json(StatusCode::OK, service.discovery())
}

fn is_json(headers: &HeaderMap) -> Result<(), CdsError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .unwrap_or("(none)");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/fhir+json")
    {
        Ok(())
    } else {
        Err(CdsError::UnsupportedMediaType(ct.to_string()))
    }
}

async fn call(
    State(service): State<Arc<Service>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES as u64) {
        return error(&CdsError::TooLarge);
    }
    if let Err(e) = is_json(&headers) {
        return error(&e);
    }
    let read = Limited::new(body, MAX_REQUEST_BYTES).collect();
    let bytes = match tokio::time::timeout(READ_TIMEOUT, read).await {
        Err(_) => {
            return plain_error(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not received in time",
            );
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => return error(&CdsError::TooLarge),
        Ok(Err(e)) => {
            return plain_error(
                StatusCode::BAD_REQUEST,
                &format!("the request body could not be read: {e}"),
            );
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    // The check is short and CPU-bound (well under a millisecond); it runs in place.
    match catch_unwind(AssertUnwindSafe(|| service.call(&id, &bytes))) {
        Ok(Ok(cards)) => json(StatusCode::OK, cards),
        Ok(Err(e)) => error(&e),
        Err(_) => error(&CdsError::Internal(
            "an internal fault; the request was not checked".to_string(),
        )),
    }
}

async fn not_found() -> Response {
    plain_error(
        StatusCode::NOT_FOUND,
        "not found: the services are at /cds-services",
    )
}

async fn method_not_allowed() -> Response {
    plain_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed: GET /cds-services, POST /cds-services/{id}",
    )
}

/// The routes, for embedding the service in another axum application.
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/cds-services", get(discovery))
        .route("/cds-services/{id}", axum::routing::post(call))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::new(service))
}

/// A server running on a background thread; stopped when dropped.
#[derive(Debug)]
pub struct Handle {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

impl Handle {
    /// The address it listens on (the real port when bound to port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and waits for the thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A worker thread per core (tokio's default).
fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Starts the service on `addr` (`127.0.0.1:0` for an ephemeral port) on a background thread.
pub fn start(service: Service, addr: SocketAddr) -> io::Result<Handle> {
    let listener = bind(addr)?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("medcheck-cds".to_string())
        .spawn(move || {
            let rt = runtime()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, router(service))
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
            })
        })?;
    Ok(Handle {
        addr,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Serves until Ctrl-C; `on_bound` is told the address once listening.
pub fn run(
    kb: KnowledgeBase,
    addr: SocketAddr,
    on_bound: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    let listener = bind(addr)?;
    on_bound(listener.local_addr()?);
    let rt = runtime()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router(Service::new(kb)))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    })
}
