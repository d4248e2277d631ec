//! Command-line definition (clap derive), argv-compatible with `openstack`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::config::OsArgs;
use crate::output::OutputArgs;

pub const CONTAINER_CHOICES: &[&str] = &["ami", "ari", "aki", "bare", "docker", "ova", "ovf"];
pub const DISK_CHOICES: &[&str] = &[
    "ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vhdx", "vdi", "iso", "ploop",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    Mermaid,
}

#[derive(Parser, Debug)]
#[command(
    name = "glint",
    about = "Fast openstack-compatible client (image, token, catalog, versions)",
    version,
    args_override_self = true
)]
pub struct Cli {
    #[command(flatten)]
    pub os: OsArgs,
    /// Show every request and response (keystoneauth format) on stderr
    #[arg(long, global = true)]
    pub debug: bool,
    /// Print the HTTP exchange as a diagram on stderr when the command ends
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub trace: Option<TraceFormat>,
    /// Neither read nor write the token/discovery cache
    #[arg(long = "no-cache", global = true)]
    pub no_cache: bool,
    /// Directory of the token/discovery cache (default ~/.cache/glint)
    #[arg(long = "cache-dir", env = "GLINT_CACHE_DIR", global = true, hide = true)]
    pub cache_dir: Option<PathBuf>,
    /// Increase verbosity (accepted for compatibility)
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Suppress output except warnings and errors
    #[arg(short = 'q', long = "quiet", global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Image commands
    #[command(subcommand)]
    Image(ImageCmd),
    /// Token commands
    #[command(subcommand)]
    Token(TokenCmd),
    /// Catalog commands
    #[command(subcommand)]
    Catalog(CatalogCmd),
    /// API version discovery
    #[command(subcommand)]
    Versions(VersionsCmd),
}

fn key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(format!("Expected 'key=value' type, but got: {s}")),
    }
}

/// --public/--private/--community/--shared
#[derive(Args, Debug, Clone, Default)]
#[command(group(ArgGroup::new("visibility").multiple(false)))]
pub struct Visibility {
    /// Image is accessible and visible to all users
    #[arg(long, group = "visibility")]
    pub public: bool,
    /// Image is only accessible by the owner
    #[arg(long, group = "visibility")]
    pub private: bool,
    /// Image is accessible by all users but does not appear in the default image list of any user except the owner
    #[arg(long, group = "visibility")]
    pub community: bool,
    /// Image is only accessible by the owner and image members
    #[arg(long, group = "visibility")]
    pub shared: bool,
}

impl Visibility {
    pub fn value(&self) -> Option<&'static str> {
        if self.public {
            Some("public")
        } else if self.private {
            Some("private")
        } else if self.community {
            Some("community")
        } else if self.shared {
            Some("shared")
        } else {
            None
        }
    }
}

/// --protected/--unprotected
#[derive(Args, Debug, Clone, Default)]
pub struct Protection {
    /// Prevent image from being deleted
    #[arg(long, conflicts_with = "unprotected")]
    pub protected: bool,
    /// Allow image to be deleted (default)
    #[arg(long)]
    pub unprotected: bool,
}

impl Protection {
    pub fn value(&self) -> Option<bool> {
        if self.protected {
            Some(true)
        } else if self.unprotected {
            Some(false)
        } else {
            None
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum ImageCmd {
    /// List available images
    List(ImageList),
    /// Display image details
    Show(ImageShow),
    /// Create/upload an image
    Create(ImageCreate),
    /// Delete image(s)
    Delete(ImageDelete),
    /// Save an image locally
    Save(ImageSave),
    /// Set image properties
    Set(Box<ImageSet>),
    /// Unset image tags and properties
    Unset(ImageUnset),
    /// Associate project with image
    #[command(subcommand)]
    Add(AddCmd),
    /// Disassociate project with image
    #[command(subcommand)]
    Remove(RemoveCmd),
    /// Image member commands
    #[command(subcommand)]
    Member(MemberCmd),
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("list_visibility").multiple(false)))]
pub struct ImageList {
    /// List only public images
    #[arg(long, group = "list_visibility")]
    pub public: bool,
    /// List only private images
    #[arg(long, group = "list_visibility")]
    pub private: bool,
    /// List only community images
    #[arg(long, group = "list_visibility")]
    pub community: bool,
    /// List only shared images
    #[arg(long, group = "list_visibility")]
    pub shared: bool,
    /// List all images
    #[arg(long, group = "list_visibility")]
    pub all: bool,
    /// Filter output based on property (repeat option to filter on multiple properties)
    #[arg(long, value_name = "key=value", value_parser = key_value)]
    pub property: Vec<(String, String)>,
    /// Filter images based on name.
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    /// Filter images based on status.
    #[arg(long, value_name = "status")]
    pub status: Option<String>,
    /// Filter images based on member status.
    #[arg(long = "member-status", value_name = "member-status", value_parser = ["accepted", "pending", "rejected", "all"], ignore_case = true)]
    pub member_status: Option<String>,
    /// Search by project (admin only) (name or ID)
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Filter images based on tag. (repeat option to filter on multiple tags)
    #[arg(long, value_name = "tag")]
    pub tag: Vec<String>,
    /// List hidden images
    #[arg(long)]
    pub hidden: bool,
    /// List additional fields in output
    #[arg(long)]
    pub long: bool,
    #[arg(long = "page-size", hide = true)]
    pub page_size: Option<String>,
    /// Sort output by selected keys and directions (asc or desc) (default: name:asc)
    #[arg(long, value_name = "key[:direction]", default_value = "name:asc")]
    pub sort: String,
    /// The last image of the previous page (name or ID)
    #[arg(long, value_name = "image")]
    pub marker: Option<String>,
    /// Maximum number of images to display.
    #[arg(long, value_name = "num-images")]
    pub limit: Option<u64>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ImageShow {
    /// Print image size in a human-friendly format.
    #[arg(long = "human-readable")]
    pub human_readable: bool,
    /// Image to display (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ImageCreate {
    /// New image name
    #[arg(value_name = "image-name")]
    pub name: String,
    /// Image ID to reserve
    #[arg(long, value_name = "id")]
    pub id: Option<String>,
    /// Image container format
    #[arg(long = "container-format", value_name = "container-format", default_value = "bare", value_parser = clap::builder::PossibleValuesParser::new(CONTAINER_CHOICES))]
    pub container_format: String,
    /// Image disk format
    #[arg(long = "disk-format", value_name = "disk-format", default_value = "raw", value_parser = clap::builder::PossibleValuesParser::new(DISK_CHOICES))]
    pub disk_format: String,
    /// Minimum disk size needed to boot image, in gigabytes
    #[arg(long = "min-disk", value_name = "disk-gb")]
    pub min_disk: Option<i64>,
    /// Minimum RAM size needed to boot image, in megabytes
    #[arg(long = "min-ram", value_name = "ram-mb")]
    pub min_ram: Option<i64>,
    /// Size of image data in bytes.
    #[arg(long, value_name = "size", value_parser = clap::value_parser!(u64).range(1..))]
    pub size: Option<u64>,
    /// Upload image from local file
    #[arg(long, value_name = "file", conflicts_with = "volume")]
    pub file: Option<PathBuf>,
    /// Create image from a volume (not supported by glint)
    #[arg(long, value_name = "volume")]
    pub volume: Option<String>,
    #[arg(long)]
    pub force: bool,
    /// Show upload progress bar
    #[arg(long)]
    pub progress: bool,
    #[command(flatten)]
    pub protection: Protection,
    #[command(flatten)]
    pub visibility: Visibility,
    /// Set a property on this image (repeat option to set multiple properties)
    #[arg(long, value_name = "key=value", value_parser = key_value)]
    pub property: Vec<(String, String)>,
    /// Set a tag on this image (repeat option to set multiple tags)
    #[arg(long, value_name = "tag")]
    pub tag: Vec<String>,
    /// Set an alternate project on this image (name or ID)
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    /// Domain the project belongs to (name or ID).
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Force the use of glance image import instead of direct upload (not supported by glint)
    #[arg(long = "import")]
    pub use_import: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct ImageDelete {
    /// Image(s) to delete (name or ID)
    #[arg(value_name = "image", required = true)]
    pub images: Vec<String>,
    /// Store to delete image(s) from.
    #[arg(long, value_name = "STORE")]
    pub store: Option<String>,
}

#[derive(Args, Debug)]
pub struct ImageSave {
    /// Size in bytes to read from the wire and buffer at one time (ignored: glint uses large buffers)
    #[arg(long = "chunk-size", value_name = "chunk-size", default_value_t = 1024)]
    pub chunk_size: i64,
    /// Downloaded image save filename (default: stdout)
    #[arg(long, value_name = "filename")]
    pub file: Option<PathBuf>,
    /// Show download progress bar
    #[arg(long)]
    pub progress: bool,
    /// Image to save (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("activation").multiple(false)))]
#[command(group(ArgGroup::new("membership").multiple(false)))]
#[command(group(ArgGroup::new("hiding").multiple(false)))]
pub struct ImageSet {
    /// Image to modify (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    /// New image name
    #[arg(long, value_name = "name")]
    pub name: Option<String>,
    #[arg(long = "min-disk", value_name = "disk-gb")]
    pub min_disk: Option<i64>,
    #[arg(long = "min-ram", value_name = "ram-mb")]
    pub min_ram: Option<i64>,
    #[arg(long = "container-format", value_name = "container-format", value_parser = clap::builder::PossibleValuesParser::new(CONTAINER_CHOICES))]
    pub container_format: Option<String>,
    #[arg(long = "disk-format", value_name = "disk-format", value_parser = clap::builder::PossibleValuesParser::new(DISK_CHOICES))]
    pub disk_format: Option<String>,
    #[command(flatten)]
    pub protection: Protection,
    #[command(flatten)]
    pub visibility: Visibility,
    /// Set a property on this image (repeat option to set multiple properties)
    #[arg(long, value_name = "key=value", value_parser = key_value)]
    pub property: Vec<(String, String)>,
    /// Set a tag on this image (repeat option to set multiple tags)
    #[arg(long, value_name = "tag")]
    pub tag: Vec<String>,
    #[arg(long, value_name = "architecture")]
    pub architecture: Option<String>,
    #[arg(long = "instance-id", alias = "instance-uuid", value_name = "instance-id")]
    pub instance_id: Option<String>,
    #[arg(long = "kernel-id", value_name = "kernel-id")]
    pub kernel_id: Option<String>,
    #[arg(long = "os-distro", value_name = "os-distro")]
    pub os_distro: Option<String>,
    #[arg(long = "os-version", value_name = "os-version")]
    pub os_version: Option<String>,
    #[arg(long = "ramdisk-id", value_name = "ramdisk-id")]
    pub ramdisk_id: Option<String>,
    /// Deactivate the image
    #[arg(long, group = "activation")]
    pub deactivate: bool,
    /// Activate the image
    #[arg(long, group = "activation")]
    pub activate: bool,
    /// Set an alternate project on this image (name or ID)
    #[arg(long, value_name = "project")]
    pub project: Option<String>,
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    /// Accept the image membership
    #[arg(long, group = "membership")]
    pub accept: bool,
    /// Reject the image membership
    #[arg(long, group = "membership")]
    pub reject: bool,
    /// Reset the image membership to 'pending'
    #[arg(long, group = "membership")]
    pub pending: bool,
    /// Hide the image
    #[arg(long, group = "hiding")]
    pub hidden: bool,
    /// Unhide the image
    #[arg(long, group = "hiding")]
    pub unhidden: bool,
}

#[derive(Args, Debug)]
pub struct ImageUnset {
    /// Image to modify (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    /// Unset a tag on this image (repeat option to unset multiple tags)
    #[arg(long, value_name = "tag")]
    pub tag: Vec<String>,
    /// Unset a property on this image (repeat option to unset multiple properties)
    #[arg(long, value_name = "property-key")]
    pub property: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum AddCmd {
    /// Associate project with image
    Project(ProjectArgs),
}

#[derive(Subcommand, Debug)]
pub enum RemoveCmd {
    /// Disassociate project with image
    Project(RemoveProjectArgs),
}

#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// Image to share (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    /// Project to associate with image (name or ID)
    #[arg(value_name = "project")]
    pub project: String,
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Args, Debug)]
pub struct RemoveProjectArgs {
    /// Image to unshare (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    /// Project to disassociate with image (name or ID)
    #[arg(value_name = "project")]
    pub project: String,
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum MemberCmd {
    /// List projects associated with image
    List(MemberList),
}

#[derive(Args, Debug)]
pub struct MemberList {
    /// Image (name or ID)
    #[arg(value_name = "image")]
    pub image: String,
    #[arg(long = "project-domain", value_name = "project-domain")]
    pub project_domain: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Issue new token
    Issue {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Revoke existing token
    Revoke {
        /// Token to be deleted
        #[arg(value_name = "token")]
        token: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum CatalogCmd {
    /// List services in the service catalog
    List {
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Display service catalog details
    Show {
        /// Service to display (type or name)
        #[arg(value_name = "service")]
        service: String,
        #[command(flatten)]
        out: OutputArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum VersionsCmd {
    /// Show available versions of services
    Show(VersionsShow),
}

#[derive(Args, Debug)]
pub struct VersionsShow {
    /// Show values for all interfaces
    #[arg(long = "all-interfaces", conflicts_with = "interface")]
    pub all_interfaces: bool,
    /// Show versions for a specific interface.
    #[arg(long, value_name = "interface")]
    pub interface: Option<String>,
    /// Show versions for a specific region.
    #[arg(long = "region-name", value_name = "region_name")]
    pub region_name: Option<String>,
    /// Show versions for a specific service.
    #[arg(long, value_name = "service")]
    pub service: Option<String>,
    /// Show versions for a specific status.
    #[arg(long, value_name = "status")]
    pub status: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

impl Command {
    /// The formatter options and whether the command is a lister.
    pub fn output(&self) -> Option<(&OutputArgs, bool)> {
        match self {
            Command::Image(ImageCmd::List(a)) => Some((&a.out, true)),
            Command::Image(ImageCmd::Show(a)) => Some((&a.out, false)),
            Command::Image(ImageCmd::Create(a)) => Some((&a.out, false)),
            Command::Image(ImageCmd::Add(AddCmd::Project(a))) => Some((&a.out, false)),
            Command::Image(ImageCmd::Member(MemberCmd::List(a))) => Some((&a.out, true)),
            Command::Token(TokenCmd::Issue { out }) => Some((out, false)),
            Command::Catalog(CatalogCmd::List { out }) => Some((out, true)),
            Command::Catalog(CatalogCmd::Show { out, .. }) => Some((out, false)),
            Command::Versions(VersionsCmd::Show(a)) => Some((&a.out, true)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("glint").chain(args.iter().copied()))
    }

    #[test]
    fn parses_osc_style_lines() {
        let c = parse(&[
            "--os-cloud",
            "x",
            "image",
            "list",
            "--long",
            "-f",
            "json",
            "-c",
            "ID",
            "-c",
            "Name",
        ])
        .unwrap();
        match c.command {
            Command::Image(ImageCmd::List(l)) => {
                assert!(l.long);
                assert_eq!(l.out.columns, vec!["ID", "Name"]);
                assert_eq!(l.sort, "name:asc");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(c.os.cloud.as_deref(), Some("x"));
        let c = parse(&[
            "image",
            "create",
            "img",
            "--file",
            "f",
            "--public",
            "--property",
            "a=b=c",
            "--tag",
            "t",
            "--debug",
        ])
        .unwrap();
        assert!(c.debug);
        match c.command {
            Command::Image(ImageCmd::Create(cr)) => {
                assert_eq!(cr.disk_format, "raw");
                assert_eq!(cr.container_format, "bare");
                assert_eq!(cr.visibility.value(), Some("public"));
                assert_eq!(cr.property, vec![("a".to_string(), "b=c".to_string())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["image", "add", "project", "img", "demo"]).is_ok());
        assert!(parse(&["image", "member", "list", "img", "-f", "value"]).is_ok());
        assert!(parse(&["image", "set", "img", "--accept", "--property", "k=v", "--deactivate"]).is_ok());
        assert!(parse(&["token", "issue", "-f", "value", "-c", "id"]).is_ok());
        assert!(parse(&["versions", "show", "--service", "image"]).is_ok());
    }

    #[test]
    fn usage_errors_are_exit_2() {
        for bad in [
            vec!["image", "delete"],
            vec!["image", "delte", "x"],
            vec!["image", "list", "--public", "--private"],
            vec!["image", "create", "x", "--disk-format", "bogus"],
            vec!["image", "set", "x", "--property", "novalue"],
            vec!["image", "set", "x", "--accept", "--reject"],
            vec!["image", "delete", "x", "-f", "json"],
            vec!["image", "show"],
        ] {
            let e = parse(&bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
    }
}
