//! Image records and the status machine, as Glance defines them.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageStatus {
    Queued,
    Saving,
    Uploading,
    Importing,
    Active,
    Killed,
    PendingDelete,
    Deactivated,
    Deleted,
}

impl ImageStatus {
    pub const ALL: [ImageStatus; 9] = [
        Self::Queued,
        Self::Saving,
        Self::Uploading,
        Self::Importing,
        Self::Active,
        Self::Killed,
        Self::PendingDelete,
        Self::Deactivated,
        Self::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Saving => "saving",
            Self::Uploading => "uploading",
            Self::Importing => "importing",
            Self::Active => "active",
            Self::Killed => "killed",
            Self::PendingDelete => "pending_delete",
            Self::Deactivated => "deactivated",
            Self::Deleted => "deleted",
        }
    }

    /// Glance's allowed transitions (`glance/domain`, `valid_state_targets`).
    pub fn can_become(self, to: ImageStatus) -> bool {
        use ImageStatus::*;
        matches!(
            (self, to),
            (Queued, Saving | Uploading | Importing | Active | Deleted)
                | (Saving, Active | Killed | Deleted | Queued)
                | (Uploading, Importing | Queued | Deleted)
                | (Importing, Active | Deleted | Queued)
                | (Active, PendingDelete | Deleted | Deactivated)
                | (Killed, Deleted)
                | (PendingDelete, Deleted | Active)
                | (Deactivated, Active | Deleted)
        )
    }
}

impl fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImageStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Public,
    Community,
    Shared,
    Private,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [Self::Public, Self::Community, Self::Shared, Self::Private];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Community => "community",
            Self::Shared => "shared",
            Self::Private => "private",
        }
    }
}

impl FromStr for Visibility {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Pending,
    Accepted,
    Rejected,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }
}

impl FromStr for MemberStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "rejected" => Ok(Self::Rejected),
            _ => Err(()),
        }
    }
}

pub const DISK_FORMATS: &[&str] = &[
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];
pub const CONTAINER_FORMATS: &[&str] = &["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"];

/// Where an image's bytes live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub store_id: String,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub status: ImageStatus,
    pub visibility: Visibility,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub size: Option<u64>,
    pub virtual_size: Option<u64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub protected: bool,
    pub os_hidden: bool,
    pub min_disk: u64,
    pub min_ram: u64,
    pub owner: Option<String>,
    /// RFC 3339, seconds, `Z`.
    pub created_at: String,
    pub updated_at: String,
    pub tags: Vec<String>,
    /// Extra (user-defined) properties.
    pub properties: BTreeMap<String, String>,
    /// Where the data is: one location per store holding a copy.
    pub locations: Vec<Location>,
}

impl Image {
    /// A new, empty (`queued`) image with no data, tags or properties, created now.
    pub fn queued(id: String, owner: Option<String>, visibility: Visibility) -> Self {
        let now = now_timestamp();
        Image {
            id,
            name: None,
            status: ImageStatus::Queued,
            visibility,
            disk_format: None,
            container_format: None,
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            protected: false,
            os_hidden: false,
            min_disk: 0,
            min_ram: 0,
            owner,
            created_at: now.clone(),
            updated_at: now,
            tags: Vec::new(),
            properties: BTreeMap::new(),
            locations: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub image_id: String,
    pub member_id: String,
    pub status: MemberStatus,
    pub created_at: String,
    pub updated_at: String,
}

/// An asynchronous operation on an image (Glance's `api_image_import` task).
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: String,
    pub task_type: String,
    /// pending, processing, success or failure.
    pub status: String,
    pub owner: Option<String>,
    pub image_id: Option<String>,
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub input: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub message: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The current time as Glance prints it.
pub fn now_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_machine_matches_glance() {
        use ImageStatus::*;
        assert!(Queued.can_become(Saving));
        assert!(Saving.can_become(Active));
        assert!(Saving.can_become(Queued));
        assert!(!Active.can_become(Saving));
        assert!(!Deleted.can_become(Active));
        assert!(Deactivated.can_become(Active));
        assert!(!Queued.can_become(Deactivated));
        for s in ImageStatus::ALL {
            assert_eq!(s.as_str().parse::<ImageStatus>(), Ok(s));
            assert!(!s.can_become(s), "{s} must not transition to itself");
        }
    }
}
