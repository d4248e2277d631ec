//! The `glint` binary: `glint serve` runs the cloud; every other subcommand
//! is the openstack-compatible client.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "glint serve", about = "Run the Glint Identity + Image server")]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5050", env = "GLINT_LISTEN")]
    listen: SocketAddr,
    /// Where the database, Fernet keys and image files live.
    #[arg(long, default_value = "./glint-data", env = "GLINT_DATA_DIR")]
    data_dir: PathBuf,
    /// Base URL clients reach this server at (default: http://<listen>).
    #[arg(long, env = "GLINT_PUBLIC_URL")]
    public_url: Option<String>,
}

#[derive(Parser)]
#[command(name = "glint")]
struct TopLevel {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).map(|a| a == "serve").unwrap_or(false) {
        let TopLevel {
            command: Command::Serve(serve_args),
        } = TopLevel::parse();
        return serve(serve_args);
    }
    let code = glint_cli::run_client(args.into_iter().skip(1).collect());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn serve(args: ServeArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("GLINT_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("glint: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_async(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("glint serve: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve_async(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let bound = listener.local_addr()?;
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{bound}"));
    let mut config = glint_server::ServeConfig::new(&args.data_dir, public_url);
    config.admin_password = std::env::var("GLINT_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    let app = glint_server::App::open(config).await?;
    if let Some(password) = &app.admin_password {
        // Printed once, when the password is set; the file keeps it for later.
        println!(
            "# Glint admin credentials (also in {}):",
            args.data_dir.join("admin-openrc.sh").display()
        );
        print!("{}", glint_server::openrc(&app.config, password));
    }
    tracing::info!(listen = %bound, public_url = %app.config.public_url, "glint serving /identity and /image");
    glint_server::run(listener, &app, glint_server::shutdown_signal()).await?;
    Ok(())
}
