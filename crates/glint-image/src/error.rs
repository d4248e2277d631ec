use axum::response::{IntoResponse, Response};
use glint_store::StoreError;
use http::{HeaderValue, StatusCode};
use thiserror::Error;

/// Every failure the image service can report. Rendered to Glance's (webob's)
/// error bodies in one place: [`GlanceErrorBody::render`].
#[derive(Debug, Error)]
pub enum ImageError {
    #[error("{0}")]
    BadRequest(String),
    #[error("This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("The request media type {0} is not supported by this server.")]
    UnsupportedMediaType(String),
    /// Data uploads with another Content-Type than `application/octet-stream`.
    #[error("Invalid content type {0}")]
    InvalidContentType(String),
    /// The data is not in the declared disk format.
    #[error("{0}")]
    FormatMismatch(String),
    #[error("Requested range not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    #[error("{0}")]
    Unavailable(String),
    #[error("The server has either erred or is incapable of performing the requested operation.")]
    Database(#[from] sqlx::Error),
    #[error("The server has either erred or is incapable of performing the requested operation.")]
    Metadata(#[from] glint_metadata::MetadataError),
    #[error("The server has either erred or is incapable of performing the requested operation.")]
    Store(StoreError),
    #[error("The server has either erred or is incapable of performing the requested operation.")]
    Internal(String),
    /// A metadefs catalogue file that cannot be loaded (start-up only, so the
    /// operator sees which file and why).
    #[error("metadefs catalogue: {0}")]
    Catalogue(String),
}

/// An inline read of the SQLite file failed (see [`glint_metadata::InlineReads`]).
impl From<rusqlite::Error> for ImageError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Metadata(e.into())
    }
}

impl From<StoreError> for ImageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::TooLarge { limit } => Self::TooLarge(format!(
                "Image exceeds the storage quota: the image size cap is {limit} bytes."
            )),
            StoreError::SizeMismatch { expected, actual } => Self::BadRequest(format!(
                "Image size mismatch: x-openstack-image-size says {expected} bytes but {actual} were sent."
            )),
            StoreError::Client(e) => Self::BadRequest(format!("Error reading the request body: {e}")),
            StoreError::RangeNotSatisfiable => Self::RangeNotSatisfiable { size: 0 },
            other => Self::Store(other),
        }
    }
}

impl ImageError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) | Self::InvalidContentType(_) | Self::FormatMismatch(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Metadata(_) | Self::Store(_) | Self::Internal(_) | Self::Catalogue(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// An error body waiting for content negotiation: the image router's
/// middleware renders it as HTML, JSON or plain text from the request's
/// `Accept`, as webob does.
#[derive(Debug, Clone)]
pub struct GlanceErrorBody {
    pub status: StatusCode,
    pub explanation: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    Html,
    Json,
    Plain,
}

impl ErrorFormat {
    /// webob offers HTML first, then JSON, then plain text.
    /// webob: HTML unless the client asks for JSON; an `Accept` naming
    /// neither gets plain text.
    pub fn from_accept(accept: Option<&str>) -> Self {
        let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
            return Self::Html;
        };
        let types: Vec<&str> = accept
            .split(',')
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .collect();
        if types.iter().any(|t| *t == "text/html" || *t == "*/*" || *t == "text/*") {
            Self::Html
        } else if types.contains(&"application/json") {
            Self::Json
        } else {
            Self::Plain
        }
    }
}

/// webob's reason phrases, where they differ from today's HTTP names.
fn webob_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Request Entity Too Large",
        416 => "Requested Range Not Satisfiable",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

impl GlanceErrorBody {
    fn status_line(&self) -> String {
        format!("{} {}", self.status.as_u16(), webob_title(self.status))
    }

    pub fn render(&self, format: ErrorFormat) -> (HeaderValue, String) {
        let detail_block = if self.detail.is_empty() {
            String::new()
        } else {
            self.detail.clone()
        };
        match format {
            ErrorFormat::Json => {
                let body = serde_json::json!({
                    "message": format!("{}<br /><br />\n{}\n\n", self.explanation, detail_block),
                    "code": self.status_line(),
                    "title": webob_title(self.status),
                });
                (HeaderValue::from_static("application/json"), body.to_string())
            }
            ErrorFormat::Html => {
                let status = self.status_line();
                let body = format!(
                    "<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n  <h1>{status}</h1>\n  {}<br /><br />\n{}\n\n\n </body>\n</html>\n",
                    html_escape(&self.explanation),
                    html_escape(&detail_block),
                );
                (HeaderValue::from_static("text/html; charset=UTF-8"), body)
            }
            ErrorFormat::Plain => {
                let body = format!("{}\n\n{}\n\n{}\n", self.status_line(), self.explanation, detail_block);
                (HeaderValue::from_static("text/plain; charset=UTF-8"), body)
            }
        }
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

impl IntoResponse for ImageError {
    fn into_response(self) -> Response {
        match &self {
            Self::Database(e) => tracing::error!(error = %e, "image database error"),
            Self::Metadata(e) => tracing::error!(error = %e, "image database error"),
            Self::Store(e) => tracing::error!(error = %e, "image store error"),
            Self::Internal(e) => tracing::error!(error = %e, "image service error"),
            _ => {}
        }
        let status = self.status();
        let (explanation, detail) = match &self {
            Self::UnsupportedMediaType(_) => (
                format!("{self}\n"),
                "Image PATCH expects Content-Type one of: application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch".to_owned(),
            ),
            _ => (self.to_string(), String::new()),
        };
        let body = GlanceErrorBody {
            status,
            explanation,
            detail,
        };
        let (content_type, text) = body.render(ErrorFormat::Html);
        let mut res = (status, text).into_response();
        res.headers_mut().insert(http::header::CONTENT_TYPE, content_type);
        if matches!(self, Self::UnsupportedMediaType(_)) {
            res.headers_mut().insert(
                "accept-patch",
                HeaderValue::from_static(
                    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
                ),
            );
        }
        res.extensions_mut().insert(body);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found() -> GlanceErrorBody {
        GlanceErrorBody {
            status: StatusCode::NOT_FOUND,
            explanation: "No image found with ID no-such-image".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn renders_like_webob() {
        let (ct, html) = not_found().render(ErrorFormat::Html);
        assert_eq!(ct, "text/html; charset=UTF-8");
        assert_eq!(
            html,
            "<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n  No image found with ID no-such-image<br /><br />\n\n\n\n </body>\n</html>\n"
        );
        let (ct, json) = not_found().render(ErrorFormat::Json);
        assert_eq!(ct, "application/json");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["message"], "No image found with ID no-such-image<br /><br />\n\n\n");
        assert_eq!(v["code"], "404 Not Found");
        assert_eq!(v["title"], "Not Found");
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(ErrorFormat::from_accept(None), ErrorFormat::Html);
        assert_eq!(ErrorFormat::from_accept(Some("application/json")), ErrorFormat::Json);
        assert_eq!(ErrorFormat::from_accept(Some("*/*")), ErrorFormat::Html);
        assert_eq!(ErrorFormat::from_accept(Some("text/plain")), ErrorFormat::Plain);
        assert_eq!(
            ErrorFormat::from_accept(Some("application/octet-stream")),
            ErrorFormat::Plain
        );
    }
}
