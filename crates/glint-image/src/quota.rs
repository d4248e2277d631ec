//! Quotas from unified limits, enforced as Glance does with
//! `use_keystone_limits`: usage is checked before an operation (so a streamed
//! upload may overshoot once, and later ones are refused), over limit → 413.

use std::collections::HashMap;

use async_trait::async_trait;

use crate::ImageError;

pub const IMAGE_SIZE_TOTAL: &str = "image_size_total";
pub const IMAGE_STAGE_TOTAL: &str = "image_stage_total";
pub const IMAGE_COUNT_TOTAL: &str = "image_count_total";
pub const IMAGE_COUNT_UPLOADING: &str = "image_count_uploading";
pub const RESOURCES: [&str; 4] = [
    IMAGE_SIZE_TOTAL,
    IMAGE_STAGE_TOTAL,
    IMAGE_COUNT_TOTAL,
    IMAGE_COUNT_UPLOADING,
];

/// Where a project's limits come from: Glint's own identity service, or an
/// external Keystone. Resources without a registered limit are missing from
/// the map and count as 0, as oslo.limit does; -1 means unlimited.
#[async_trait]
pub trait LimitSource: Send + Sync + 'static {
    async fn project_limits(&self, project_id: &str) -> Result<HashMap<String, i64>, ImageError>;
}

/// A project's usage, in Glance's units (MiB for sizes, counts otherwise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub image_size_total: i64,
    pub image_stage_total: i64,
    pub image_count_total: i64,
    pub image_count_uploading: i64,
}

impl Usage {
    pub fn get(&self, resource: &str) -> i64 {
        match resource {
            IMAGE_SIZE_TOTAL => self.image_size_total,
            IMAGE_STAGE_TOTAL => self.image_stage_total,
            IMAGE_COUNT_TOTAL => self.image_count_total,
            IMAGE_COUNT_UPLOADING => self.image_count_uploading,
            _ => 0,
        }
    }
}

/// Bytes to MiB, rounding up: one byte over a limit is over it.
pub fn mib(bytes: u64) -> i64 {
    bytes.div_ceil(1 << 20) as i64
}

/// Refuses `delta` more of `resource` when usage + delta would pass the limit.
pub fn check(
    project_id: &str,
    limits: &HashMap<String, i64>,
    usage: &Usage,
    resource: &str,
    delta: i64,
) -> Result<(), ImageError> {
    let limit = limits.get(resource).copied().unwrap_or(0);
    if limit < 0 {
        return Ok(());
    }
    let current = usage.get(resource);
    if current + delta > limit {
        return Err(ImageError::TooLarge(format!(
            "The request returned a 413 Request Entity Too Large. This generally means that rate limiting or a quota threshold was breached.\n\nThe response body:\nProject {project_id} is over a limit for [Resource {resource} is over limit of {limit} due to current usage {current} and delta {delta}]"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_table() {
        let limits: HashMap<String, i64> = [(IMAGE_COUNT_TOTAL.to_string(), 1), (IMAGE_SIZE_TOTAL.to_string(), -1)]
            .into_iter()
            .collect();
        let usage = Usage {
            image_count_total: 1,
            image_size_total: 1 << 30,
            ..Default::default()
        };
        let over = check("p", &limits, &usage, IMAGE_COUNT_TOTAL, 1).unwrap_err();
        assert!(over.to_string().ends_with(
            "Project p is over a limit for [Resource image_count_total is over limit of 1 due to current usage 1 and delta 1]"
        ));
        assert!(check("p", &limits, &usage, IMAGE_COUNT_TOTAL, 0).is_ok());
        assert!(
            check("p", &limits, &usage, IMAGE_SIZE_TOTAL, 1).is_ok(),
            "-1 is unlimited"
        );
        assert!(
            check("p", &limits, &Usage::default(), IMAGE_STAGE_TOTAL, 1).is_err(),
            "unregistered means 0"
        );
        assert_eq!(mib(0), 0);
        assert_eq!(mib(1), 1);
        assert_eq!(mib(1 << 20), 1);
        assert_eq!(mib((1 << 20) + 1), 2);
    }
}
