//! The crate's one error type. `Display` renders the message OSC would print.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    /// Bad command line discovered after parsing (exit 2, before any I/O).
    #[error("{0}")]
    Usage(String),
    /// Configuration problem (missing auth URL, unknown cloud, bad clouds.yaml).
    #[error("{0}")]
    Config(String),
    /// A generic command failure with an OSC-style message (exit 1).
    #[error("{0}")]
    Command(String),
    /// Authentication failed at Keystone (keystoneauth message format).
    #[error("{message} (HTTP {status}){}", request_id.as_ref().map(|r| format!(" (Request-ID: {r})")).unwrap_or_default())]
    Auth {
        message: String,
        status: u16,
        request_id: Option<String>,
    },
    /// Could not connect to the identity service at all.
    #[error("Failed to discover available identity versions when contacting {url}. Attempting to parse version from URL.\nCould not find versioned identity endpoints when attempting to authenticate. Please check that your auth_url is correct. Unable to establish connection to {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// An HTTP error from a service (openstacksdk `HttpException.__str__` format).
    #[error("{}: {status}: {} Error for url: {url}{}", http_exception_name(*status), if *status >= 500 { "Server" } else { "Client" }, if details.is_empty() { String::new() } else { format!(", {details}") })]
    Http { status: u16, url: String, details: String },
    /// openstacksdk's ResourceNotFound from a find.
    #[error("No {kind} found for {name}")]
    NotFound { kind: &'static str, name: String },
    /// openstacksdk's DuplicateResource from a find.
    #[error("More than one {kind} exists with the name '{name}'.")]
    Duplicate { kind: &'static str, name: String },
    #[error("{0}")]
    Io(String),
    #[error("Unable to establish connection to {url}: {reason}")]
    Connection { url: String, reason: String },
    #[error("{0}")]
    Json(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CliError::Http { status, .. } | CliError::Auth { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub fn http_exception_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequestException",
        403 => "ForbiddenException",
        404 => "NotFoundException",
        409 => "ConflictException",
        412 => "PreconditionFailedException",
        _ => "HttpException",
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e.to_string())
    }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Json(format!("Invalid JSON in response: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
