//! `GET /v2/images` query parameters, parsed into a plain [`ListQuery`].
//! The database turns it into SQL; tests call [`ListQuery::parse`] directly.

use crate::model::{ImageStatus, MemberStatus, Visibility};
use crate::ImageError;

pub const DEFAULT_LIMIT: u32 = 25;
pub const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    ContainerFormat,
    DiskFormat,
    Size,
    Id,
    CreatedAt,
    UpdatedAt,
}

impl SortKey {
    const ALL: [SortKey; 8] = [
        Self::Name,
        Self::Status,
        Self::ContainerFormat,
        Self::DiskFormat,
        Self::Size,
        Self::Id,
        Self::CreatedAt,
        Self::UpdatedAt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Status => "status",
            Self::ContainerFormat => "container_format",
            Self::DiskFormat => "disk_format",
            Self::Size => "size",
            Self::Id => "id",
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
        }
    }

    fn parse(s: &str) -> Result<Self, ImageError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let all: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
            ImageError::BadRequest(format!(
                "Invalid sort key: {s}. It must be one of the following: {}.",
                all.join(", ")
            ))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDir {
    Asc,
    Desc,
}

impl SortDir {
    fn parse(s: &str) -> Result<Self, ImageError> {
        match s {
            "asc" => Ok(Self::Asc),
            "desc" => Ok(Self::Desc),
            _ => Err(ImageError::BadRequest(format!("Invalid sort direction: {s}"))),
        }
    }
}

/// `visibility=` in a list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisibilityFilter {
    Only(Visibility),
    All,
}

/// `member_status=`; Glance's default is `accepted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatusFilter {
    Only(MemberStatus),
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Eq,
    Neq,
    Lt,
    Lte,
}

impl CmpOp {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Gte => ">=",
            Self::Eq => "=",
            Self::Neq => "!=",
            Self::Lt => "<",
            Self::Lte => "<=",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: u32,
    pub marker: Option<String>,
    /// Always ends with `id` so that pages are stable.
    pub sort: Vec<(SortKey, SortDir)>,
    pub ids: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub statuses: Option<Vec<ImageStatus>>,
    pub disk_formats: Option<Vec<String>>,
    pub container_formats: Option<Vec<String>>,
    pub visibility: Option<VisibilityFilter>,
    pub member_status: MemberStatusFilter,
    pub owner: Option<String>,
    pub os_hidden: bool,
    pub protected: Option<bool>,
    pub tags: Vec<String>,
    pub size_min: Option<u64>,
    pub size_max: Option<u64>,
    pub created_at: Vec<(CmpOp, String)>,
    pub updated_at: Vec<(CmpOp, String)>,
    /// Any other `key=value`: an extra-property filter.
    pub properties: Vec<(String, String)>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            marker: None,
            sort: vec![(SortKey::CreatedAt, SortDir::Desc), (SortKey::Id, SortDir::Desc)],
            ids: None,
            names: None,
            statuses: None,
            disk_formats: None,
            container_formats: None,
            visibility: None,
            member_status: MemberStatusFilter::Only(MemberStatus::Accepted),
            owner: None,
            os_hidden: false,
            protected: None,
            tags: Vec::new(),
            size_min: None,
            size_max: None,
            created_at: Vec::new(),
            updated_at: Vec::new(),
            properties: Vec::new(),
        }
    }
}

fn bad(msg: impl Into<String>) -> ImageError {
    ImageError::BadRequest(msg.into())
}

/// `in:a,"b,c",d` → `[a, "b,c", d]`; a plain value → `[value]`.
pub fn parse_in_list(value: &str) -> Result<Vec<String>, ImageError> {
    let Some(list) = value.strip_prefix("in:") else {
        return Ok(vec![value.to_owned()]);
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    for c in list.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            ',' if !quoted => {
                out.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(bad("Invalid filter value: the quotes are not closed."));
    }
    if !current.is_empty() || was_quoted || !out.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ImageError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(format!(
            "Invalid value '{value}' for parameter '{key}': expected 'true' or 'false'."
        ))),
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, ImageError> {
    value.parse().map_err(|_| {
        bad(format!(
            "Invalid value '{value}' for parameter '{key}': expected a non-negative integer."
        ))
    })
}

/// `gte:2026-01-01T00:00:00Z` (op optional, default `eq`) → normalised timestamp.
fn parse_time_filter(key: &str, value: &str) -> Result<(CmpOp, String), ImageError> {
    let (op, rest) = match value.split_once(':') {
        Some((op, rest)) if ["gt", "gte", "eq", "neq", "lt", "lte"].contains(&op) => (op, rest),
        _ => ("eq", value),
    };
    let op = match op {
        "gt" => CmpOp::Gt,
        "gte" => CmpOp::Gte,
        "neq" => CmpOp::Neq,
        "lt" => CmpOp::Lt,
        "lte" => CmpOp::Lte,
        _ => CmpOp::Eq,
    };
    let parsed = chrono::DateTime::parse_from_rfc3339(rest)
        .map(|d| d.with_timezone(&chrono::Utc))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(rest, "%Y-%m-%dT%H:%M:%S").map(|n| n.and_utc()))
        .map_err(|_| {
            bad(format!(
                "Invalid value '{value}' for parameter '{key}': expected an ISO 8601 time."
            ))
        })?;
    Ok((op, parsed.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

impl ListQuery {
    /// Parses decoded query pairs, in order (repeated keys matter).
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, ImageError> {
        let mut q = ListQuery::default();
        let mut sort_keys: Vec<SortKey> = Vec::new();
        let mut sort_dirs: Vec<SortDir> = Vec::new();
        let mut sort_param: Option<Vec<(SortKey, SortDir)>> = None;
        for (key, value) in pairs {
            match key.as_str() {
                "limit" => {
                    let n: i64 = value.parse().map_err(|_| bad("limit param must be an integer"))?;
                    if n < 0 {
                        return Err(bad("limit param must be positive"));
                    }
                    q.limit = u32::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
                }
                "marker" => q.marker = Some(value.clone()),
                "sort_key" => sort_keys.push(SortKey::parse(value)?),
                "sort_dir" => sort_dirs.push(SortDir::parse(value)?),
                "sort" => {
                    let mut parsed = Vec::new();
                    for part in value.split(',').filter(|p| !p.is_empty()) {
                        let (k, d) = part.split_once(':').unwrap_or((part, "desc"));
                        parsed.push((SortKey::parse(k.trim())?, SortDir::parse(d.trim())?));
                    }
                    sort_param = Some(parsed);
                }
                "id" => q.ids = Some(parse_in_list(value)?),
                "name" => q.names = Some(parse_in_list(value)?),
                "status" => {
                    q.statuses = Some(
                        parse_in_list(value)?
                            .iter()
                            .map(|s| s.parse().map_err(|_| bad(format!("Invalid status value: {s}"))))
                            .collect::<Result<_, _>>()?,
                    )
                }
                "disk_format" => q.disk_formats = Some(parse_in_list(value)?),
                "container_format" => q.container_formats = Some(parse_in_list(value)?),
                "visibility" => {
                    q.visibility = Some(match value.as_str() {
                        "all" => VisibilityFilter::All,
                        v => VisibilityFilter::Only(
                            v.parse().map_err(|_| bad(format!("Invalid visibility value: {v}")))?,
                        ),
                    })
                }
                "member_status" => {
                    q.member_status = match value.as_str() {
                        "all" => MemberStatusFilter::All,
                        v => {
                            MemberStatusFilter::Only(v.parse().map_err(|_| bad(format!("Invalid status value: {v}")))?)
                        }
                    }
                }
                "owner" => q.owner = Some(value.clone()),
                // openstacksdk sends `os_hidden=True`; Glance parses it leniently.
                "os_hidden" => q.os_hidden = parse_bool(key, &value.to_ascii_lowercase())?,
                "protected" => q.protected = Some(parse_bool(key, value)?),
                "tag" => q.tags.push(value.clone()),
                "size_min" => q.size_min = Some(parse_u64(key, value)?),
                "size_max" => q.size_max = Some(parse_u64(key, value)?),
                "created_at" => q.created_at.push(parse_time_filter(key, value)?),
                "updated_at" => q.updated_at.push(parse_time_filter(key, value)?),
                "changes-since" => return Err(bad("The 'changes-since' filter is no longer available on v2.")),
                _ => q.properties.push((key.clone(), value.clone())),
            }
        }
        if let Some(sort) = sort_param {
            if !sort_keys.is_empty() || !sort_dirs.is_empty() {
                return Err(bad("Old and new sorting syntax cannot be combined"));
            }
            q.sort = sort;
        } else if !sort_keys.is_empty() {
            if sort_dirs.len() > 1 && sort_dirs.len() != sort_keys.len() {
                return Err(bad("Number of sort dirs does not match the number of sort keys"));
            }
            let default_dir = sort_dirs.first().copied().unwrap_or(SortDir::Desc);
            q.sort = sort_keys
                .iter()
                .enumerate()
                .map(|(i, k)| (*k, sort_dirs.get(i).copied().unwrap_or(default_dir)))
                .collect();
        } else if let Some(dir) = sort_dirs.first() {
            q.sort = vec![(SortKey::CreatedAt, *dir)];
        }
        if !q.sort.iter().any(|(k, _)| *k == SortKey::Id) {
            let dir = q.sort.last().map(|(_, d)| *d).unwrap_or(SortDir::Desc);
            q.sort.push((SortKey::Id, dir));
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ListQuery, ImageError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        ListQuery::parse(&pairs)
    }

    #[test]
    fn defaults() {
        let q = parse("").unwrap();
        assert_eq!(q.limit, 25);
        assert_eq!(
            q.sort,
            vec![(SortKey::CreatedAt, SortDir::Desc), (SortKey::Id, SortDir::Desc)]
        );
        assert_eq!(q.member_status, MemberStatusFilter::Only(MemberStatus::Accepted));
        assert!(!q.os_hidden);
    }

    #[test]
    fn limits() {
        assert_eq!(parse("limit=5000").unwrap().limit, 1000);
        assert_eq!(parse("limit=0").unwrap().limit, 0);
        assert!(matches!(parse("limit=abc"), Err(ImageError::BadRequest(m)) if m == "limit param must be an integer"));
        assert!(matches!(parse("limit=-1"), Err(ImageError::BadRequest(m)) if m == "limit param must be positive"));
    }

    #[test]
    fn sorting_both_syntaxes() {
        let q = parse("sort_key=name&sort_dir=asc&sort_key=size").unwrap();
        assert_eq!(
            q.sort,
            vec![
                (SortKey::Name, SortDir::Asc),
                (SortKey::Size, SortDir::Asc),
                (SortKey::Id, SortDir::Asc)
            ]
        );
        let q = parse("sort=name:asc,size:desc").unwrap();
        assert_eq!(
            q.sort,
            vec![
                (SortKey::Name, SortDir::Asc),
                (SortKey::Size, SortDir::Desc),
                (SortKey::Id, SortDir::Desc)
            ]
        );
        assert!(parse("sort_key=owner").is_err());
        assert!(parse("sort_dir=up").is_err());
        assert!(parse("sort=name:asc&sort_key=id").is_err());
    }

    #[test]
    fn in_lists_and_filters() {
        assert_eq!(parse_in_list("in:a,\"b,c\",d").unwrap(), vec!["a", "b,c", "d"]);
        assert_eq!(parse_in_list("plain,comma").unwrap(), vec!["plain,comma"]);
        assert!(parse_in_list("in:\"open").is_err());
        let q = parse("name=in:x,y&status=in:active,queued&tag=a&tag=b&os_hidden=true&custom=1").unwrap();
        assert_eq!(q.names, Some(vec!["x".into(), "y".into()]));
        assert_eq!(q.statuses, Some(vec![ImageStatus::Active, ImageStatus::Queued]));
        assert_eq!(q.tags, vec!["a", "b"]);
        assert!(q.os_hidden);
        assert_eq!(q.properties, vec![("custom".to_string(), "1".to_string())]);
        assert!(parse("status=bogus").is_err());
        assert!(parse("visibility=everyone").is_err());
        assert_eq!(parse("visibility=all").unwrap().visibility, Some(VisibilityFilter::All));
        assert!(parse("protected=True").is_err());
        assert!(parse("os_hidden=True").unwrap().os_hidden);
        assert!(parse("changes-since=2020-01-01").is_err());
    }

    #[test]
    fn time_filters_normalise() {
        let q = parse("created_at=gte:2026-01-02T03:04:05%2B01:00&updated_at=2026-01-01T00:00:00Z").unwrap();
        assert_eq!(q.created_at, vec![(CmpOp::Gte, "2026-01-02T02:04:05Z".to_string())]);
        assert_eq!(q.updated_at, vec![(CmpOp::Eq, "2026-01-01T00:00:00Z".to_string())]);
        assert!(parse("created_at=gte:yesterday").is_err());
        assert_eq!(parse("size_min=10&size_max=20").unwrap().size_max, Some(20));
        assert!(parse("size_min=-3").is_err());
    }
}
