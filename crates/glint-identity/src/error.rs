use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;
use thiserror::Error;

/// Every failure the identity service can report. Rendered to Keystone's
/// `{"error":{"code","title","message"}}` shape in one place, below.
#[derive(Debug, Error)]
pub enum IdentityError {
    #[error("The request you have made requires authentication.")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("You are not authorized to perform the requested action: {0}.")]
    Forbidden(String),
    #[error("Could not find {kind}: {id}.")]
    NotFound { kind: &'static str, id: String },
    #[error("Conflict occurred attempting to store {0}.")]
    Conflict(String),
    #[error("An unexpected error prevented the server from fulfilling your request.")]
    Database(#[from] sqlx::Error),
    #[error("An unexpected error prevented the server from fulfilling your request.")]
    Internal(String),
}

impl IdentityError {
    pub fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound { kind, id: id.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for IdentityError {
    fn into_response(self) -> Response {
        if let Self::Database(e) = &self {
            tracing::error!(error = %e, "identity database error");
        }
        if let Self::Internal(e) = &self {
            tracing::error!(error = %e, "identity internal error");
        }
        let status = self.status();
        let title = match status {
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::BAD_REQUEST => "Bad Request",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not Found",
            StatusCode::CONFLICT => "Conflict",
            _ => "Internal Server Error",
        };
        let body = json!({"error": {"code": status.as_u16(), "message": self.to_string(), "title": title}});
        (status, axum::Json(body)).into_response()
    }
}
