//! The `glint` binary: `glint serve` runs the cloud; every other subcommand
//! is the openstack-compatible client.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod log_sink;

#[derive(Parser)]
#[command(name = "glint serve", about = "Run the Glint Identity + Image server")]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5050", env = "GLINT_LISTEN")]
    listen: SocketAddr,
    /// Where the database, Fernet keys and image files live.
    #[arg(long, default_value = "./glint-data", env = "GLINT_DATA_DIR")]
    data_dir: PathBuf,
    #[command(flatten)]
    shared: SharedState,
    #[command(flatten)]
    node: NodeUrl,
    /// Base URL clients reach this server at (default: http://<listen>).
    #[arg(long, env = "GLINT_PUBLIC_URL")]
    public_url: Option<String>,
    /// Hosts (`host` or `host:port`) the web-download import may fetch from; repeatable.
    #[arg(long = "web-download-allow", env = "GLINT_WEB_DOWNLOAD_ALLOW", value_delimiter = ',')]
    web_download_allow: Vec<String>,
    /// Let web-download reach loopback and private addresses (labs and tests only).
    #[arg(long)]
    web_download_allow_private: bool,
    /// Do not enforce unified limits (quotas) on images.
    #[arg(long)]
    no_quotas: bool,
    /// A store `ID=DIRECTORY` or `ID=swift+tempauth://USER:KEY@HOST:PORT/auth/v1.0?container=C` or
    /// `ID=swift+keystone://USER:PASSWORD@HOST:PORT/v3?project=P&container=C`; repeat for several
    /// (multi-store). Default: `fs=<data-dir>/images`.
    #[arg(long = "store", value_parser = parse_store)]
    stores: Vec<(String, glint_server::StoreSpec)>,
    /// The store used when a client names none (default: the first `--store`).
    #[arg(long)]
    default_store: Option<String>,
    /// Load the metadata-definitions catalogue from this directory of Glance-format namespace
    /// files (Glance's `etc/metadefs`, as `glance-manage db_load_metadefs` does) instead of
    /// Glint's built-in one. Namespaces already in the database are kept.
    #[arg(long, env = "GLINT_METADEFS_DIR")]
    metadefs_dir: Option<PathBuf>,
    /// Print each request's internal calls (image → identity, image → store) as a Mermaid
    /// sequence diagram on stderr; the only format is `mermaid`.
    #[arg(long, value_parser = ["mermaid"])]
    trace: Option<String>,
    /// Trust this Keystone (v3 URL) instead of serving Glint's own identity: /identity is not
    /// served and image requests are validated there.
    #[arg(long, env = "GLINT_IDENTITY_URL")]
    identity_url: Option<String>,
    /// The service user Glint logs in as on the external Keystone.
    #[arg(long, env = "GLINT_IDENTITY_USER", default_value = "glance")]
    identity_user: String,
    /// Its password (prefer the environment variable to the flag).
    #[arg(long, env = "GLINT_IDENTITY_PASSWORD", hide_env_values = true)]
    identity_password: Option<String>,
    /// Its project.
    #[arg(long, env = "GLINT_IDENTITY_PROJECT", default_value = "service")]
    identity_project: String,
    /// The domain id of the service user and project.
    #[arg(long, default_value = "default")]
    identity_domain: String,
}

/// What several nodes share: the metadata database and the Fernet keys.
#[derive(clap::Args)]
struct SharedState {
    /// Metadata database: `postgres://USER:PASSWORD@HOST:PORT/DB` or `sqlite://PATH`
    /// (default: SQLite in the data dir).
    #[arg(long = "database", env = "GLINT_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Fernet key repository shared by all nodes (default: <data-dir>/fernet-keys).
    #[arg(long = "fernet-keys", env = "GLINT_FERNET_KEYS")]
    fernet_keys_dir: Option<PathBuf>,
}

/// This node's own address, for the other nodes.
#[derive(clap::Args)]
struct NodeUrl {
    /// This node's base URL as the other nodes reach it (like Glance's
    /// worker_self_reference_url): glance-direct imports go to the node holding the staged data.
    #[arg(long = "node-url", env = "GLINT_NODE_URL")]
    node_url: Option<String>,
}

impl SharedState {
    fn apply(self, config: &mut glint_server::ServeConfig) {
        config.database_url = self.database_url;
        config.fernet_keys_dir = self.fernet_keys_dir;
    }
}

fn parse_store(s: &str) -> Result<(String, glint_server::StoreSpec), String> {
    let (id, spec) = s.split_once('=').ok_or_else(|| format!("expected ID=WHERE, got {s}"))?;
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid || spec.is_empty() {
        return Err(format!(
            "expected ID=WHERE with an id of letters, digits, '-' or '_', got {s}"
        ));
    }
    Ok((id.to_owned(), glint_server::StoreSpec::parse(spec)?))
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
    Serve(Box<ServeArgs>),
    /// Operator commands on a data dir (like keystone-manage).
    #[command(subcommand)]
    Admin(Box<AdminCommand>),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the default domain, admin project/user/roles, region and catalog (idempotent).
    Bootstrap {
        #[arg(long, default_value = "./glint-data", env = "GLINT_DATA_DIR")]
        data_dir: PathBuf,
        #[command(flatten)]
        shared: SharedState,
        /// The admin password to set (default: keep it, or generate one for a new admin).
        #[arg(long, env = "GLINT_ADMIN_PASSWORD")]
        bootstrap_password: Option<String>,
        /// Base URL for the catalog endpoints.
        #[arg(long, default_value = "http://127.0.0.1:5050", env = "GLINT_PUBLIC_URL")]
        public_url: String,
        #[arg(long, default_value = "RegionOne")]
        region: String,
    },
    /// List the objects in a store (one image location per line), e.g. to audit it.
    StoreList {
        /// The store, as for `glint serve --store`.
        #[arg(long = "store", value_parser = parse_store)]
        store: (String, glint_server::StoreSpec),
    },
    /// Write one object of a store to stdout.
    StoreGet {
        #[arg(long = "store", value_parser = parse_store)]
        store: (String, glint_server::StoreSpec),
        /// The image location, as `store-list` prints it.
        location: String,
    },
    /// Rotate the Fernet keys as `keystone-manage fernet_rotate` does.
    FernetRotate {
        #[arg(long, default_value = "./glint-data", env = "GLINT_DATA_DIR")]
        data_dir: PathBuf,
        /// The key repository (default: <data-dir>/fernet-keys).
        #[arg(long = "fernet-keys", env = "GLINT_FERNET_KEYS")]
        fernet_keys_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 3)]
        max_active_keys: usize,
    },
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "serve" || a == "admin") {
        return match TopLevel::parse().command {
            Command::Serve(serve_args) => serve(*serve_args),
            Command::Admin(admin) => run_admin(*admin),
        };
    }
    let code = glint_cli::run_client(args.into_iter().skip(1).collect());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn serve(args: ServeArgs) -> ExitCode {
    // Log lines are written in batches by a thread of their own (see `log_sink`).
    let (log_writer, _log_flush_guard) = match log_sink::batched(std::io::stderr()) {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("glint: cannot start the log writer: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLINT_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(log_writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    args.shared.apply(&mut config);
    config.node_url = args.node.node_url;
    config.admin_password = std::env::var("GLINT_ADMIN_PASSWORD").ok().filter(|p| !p.is_empty());
    config.web_download_hosts = args.web_download_allow;
    config.web_download_allow_private = args.web_download_allow_private;
    config.enforce_quotas = !args.no_quotas;
    config.stores = args.stores;
    config.default_store = args.default_store;
    config.trace = args.trace.is_some();
    config.metadefs_dir = args.metadefs_dir;
    if let Some(auth_url) = args.identity_url {
        let password = args
            .identity_password
            .ok_or("--identity-url needs GLINT_IDENTITY_PASSWORD")?;
        config.external_identity = Some(glint_server::keystone::ExternalIdentity {
            auth_url,
            username: args.identity_user,
            password,
            project_name: args.identity_project,
            user_domain_id: args.identity_domain.clone(),
            project_domain_id: args.identity_domain,
        });
    }
    let app = glint_server::App::open(config).await?;
    if let Some(password) = app.admin_password.as_ref().filter(|_| app.identity.is_some()) {
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

fn run_admin(command: AdminCommand) -> ExitCode {
    let result: Result<(), Box<dyn std::error::Error>> = match command {
        AdminCommand::Bootstrap {
            data_dir,
            shared,
            bootstrap_password,
            public_url,
            region,
        } => {
            let mut config = glint_server::ServeConfig::new(&data_dir, public_url);
            shared.apply(&mut config);
            config.admin_password = bootstrap_password.filter(|p| !p.is_empty());
            config.region = region;
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Into::into)
                .and_then(|rt| rt.block_on(glint_server::admin_bootstrap(&config)).map_err(Into::into))
                .map(|password| match password {
                    Some(p) => print!("{}", glint_server::openrc(&config, &p)),
                    None => println!("bootstrap: nothing to change"),
                })
        }
        AdminCommand::StoreList { store: (id, spec) } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|rt| rt.block_on(glint_server::store_list(&id, &spec)).map_err(Into::into))
            .map(|locations| locations.iter().for_each(|l| println!("{l}"))),
        AdminCommand::StoreGet {
            store: (id, spec),
            location,
        } => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|rt| {
                rt.block_on(glint_server::store_get(&id, &spec, &location, &mut tokio::io::stdout()))
                    .map_err(Into::into)
            })
            .map(|_| ()),
        AdminCommand::FernetRotate {
            data_dir,
            fernet_keys_dir,
            max_active_keys,
        } => glint_server::fernet_rotate(
            &fernet_keys_dir.unwrap_or_else(|| data_dir.join("fernet-keys")),
            max_active_keys,
        )
        .map(|primary| println!("fernet-rotate: key {primary} is now the primary key"))
        .map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("glint admin: {e}");
            ExitCode::FAILURE
        }
    }
}
