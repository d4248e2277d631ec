use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("image data exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("image size {actual} does not match the announced size {expected}")]
    SizeMismatch { expected: u64, actual: u64 },
    #[error("no data at location {0}")]
    NotFound(String),
    #[error("requested range is not satisfiable")]
    RangeNotSatisfiable,
    #[error("invalid location {0}")]
    InvalidLocation(String),
    /// The client's body stream failed (disconnect, bad chunking).
    #[error("error reading image data: {0}")]
    Client(std::io::Error),
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
}
