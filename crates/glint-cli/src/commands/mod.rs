//! Command implementations. Each returns the text to print on stdout.

pub mod catalog;
pub mod image;
pub mod token;
pub mod versions;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::session::Session;

pub async fn dispatch(cli: Cli, s: &mut Session) -> Result<String> {
    match cli.command {
        Command::Image(cmd) => image::run(cmd, s).await,
        Command::Token(cmd) => token::run(cmd, s).await,
        Command::Catalog(cmd) => catalog::run(cmd, s).await,
        Command::Versions(cmd) => versions::run(cmd, s).await,
    }
}
