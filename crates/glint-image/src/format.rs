//! Disk format inspection from an image's first bytes, as Glance's
//! `require_image_format_match` does while streaming: detect the format,
//! read the virtual size, and refuse unsafe qcow2 features.

/// How many leading bytes inspection needs (ISO's descriptor sits at 32 KiB).
pub const INSPECT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectedFormat {
    Raw,
    Qcow2,
    Vmdk,
    Vhd,
    Vhdx,
    Iso,
    Gpt,
}

impl DetectedFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Qcow2 => "qcow2",
            Self::Vmdk => "vmdk",
            Self::Vhd => "vhd",
            Self::Vhdx => "vhdx",
            Self::Iso => "iso",
            Self::Gpt => "gpt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub format: DetectedFormat,
    /// `None` when the header does not say (then Glance leaves it unset).
    pub virtual_size: Option<u64>,
    /// Why the image must be refused, if it must.
    pub unsafe_reason: Option<String>,
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
}

fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
}

/// Inspects `head` (the first bytes, up to [`INSPECT_BYTES`]) of an image of `total_size` bytes.
pub fn inspect(head: &[u8], total_size: u64) -> Inspection {
    if head.starts_with(b"QFI\xfb") {
        let version = be_u32(head, 4).unwrap_or(0);
        let backing_file_offset = be_u64(head, 8).unwrap_or(0);
        let incompatible = if version >= 3 { be_u64(head, 72).unwrap_or(0) } else { 0 };
        // Bit 2 of the incompatible features: an external data file.
        let unsafe_reason = if backing_file_offset != 0 {
            Some("qcow2 images with a backing file are not allowed".to_owned())
        } else if incompatible & (1 << 2) != 0 {
            Some("qcow2 images with an external data file are not allowed".to_owned())
        } else {
            None
        };
        return Inspection {
            format: DetectedFormat::Qcow2,
            virtual_size: be_u64(head, 24),
            unsafe_reason,
        };
    }
    if head.starts_with(b"KDMV") {
        // Capacity in 512-byte sectors, little-endian, at offset 12.
        let sectors = le_u64(head, 12);
        return Inspection {
            format: DetectedFormat::Vmdk,
            virtual_size: sectors.map(|s| s * 512),
            unsafe_reason: None,
        };
    }
    if head.starts_with(b"vhdxfile") {
        return Inspection {
            format: DetectedFormat::Vhdx,
            virtual_size: None,
            unsafe_reason: None,
        };
    }
    if head.starts_with(b"conectix") {
        // The footer copy at the start of a dynamic VHD: current size at 48.
        return Inspection {
            format: DetectedFormat::Vhd,
            virtual_size: be_u64(head, 48),
            unsafe_reason: None,
        };
    }
    if head.get(0x8001..0x8006) == Some(b"CD001".as_slice()) {
        return Inspection {
            format: DetectedFormat::Iso,
            virtual_size: Some(total_size),
            unsafe_reason: None,
        };
    }
    if head.get(510..512) == Some([0x55, 0xAA].as_slice()) && head.get(512..520) == Some(b"EFI PART".as_slice()) {
        return Inspection {
            format: DetectedFormat::Gpt,
            virtual_size: Some(total_size),
            unsafe_reason: None,
        };
    }
    Inspection {
        format: DetectedFormat::Raw,
        virtual_size: Some(total_size),
        unsafe_reason: None,
    }
}

/// Does data detected as `detected` fit an image declared `disk_format`?
/// Formats Glint does not inspect (ami, ari, aki, vdi, ploop) accept anything.
pub fn matches_disk_format(disk_format: &str, detected: DetectedFormat) -> bool {
    use DetectedFormat::*;
    match disk_format {
        // Glance accepts any content as raw (a qcow2 file stored raw is just bytes).
        "raw" => true,
        "qcow2" => detected == Qcow2,
        "vmdk" => detected == Vmdk,
        "vhd" => detected == Vhd,
        "vhdx" => detected == Vhdx,
        "iso" => detected == Iso,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qcow2_header(size: u64, backing: u64, incompatible: u64) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..4].copy_from_slice(b"QFI\xfb");
        h[4..8].copy_from_slice(&3u32.to_be_bytes());
        h[8..16].copy_from_slice(&backing.to_be_bytes());
        h[24..32].copy_from_slice(&size.to_be_bytes());
        h[72..80].copy_from_slice(&incompatible.to_be_bytes());
        h
    }

    #[test]
    fn qcow2_size_and_safety() {
        let i = inspect(&qcow2_header(64 << 20, 0, 0), 196_616);
        assert_eq!(i.format, DetectedFormat::Qcow2);
        assert_eq!(i.virtual_size, Some(64 << 20));
        assert!(i.unsafe_reason.is_none());
        assert!(inspect(&qcow2_header(1, 0x200, 0), 512).unsafe_reason.is_some());
        assert!(inspect(&qcow2_header(1, 0, 4), 512).unsafe_reason.is_some());
    }

    #[test]
    fn raw_is_the_fallback_and_matches() {
        let i = inspect(b"hello glance\n", 13);
        assert_eq!(
            i,
            Inspection {
                format: DetectedFormat::Raw,
                virtual_size: Some(13),
                unsafe_reason: None
            }
        );
        assert!(matches_disk_format("raw", DetectedFormat::Raw));
        assert!(
            matches_disk_format("raw", DetectedFormat::Qcow2),
            "raw takes anything, as Glance"
        );
        assert!(!matches_disk_format("qcow2", DetectedFormat::Raw));
        assert!(matches_disk_format("ami", DetectedFormat::Qcow2));
    }

    #[test]
    fn other_signatures() {
        let mut iso = vec![0u8; 0x8010];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        assert_eq!(inspect(&iso, 1 << 20).format, DetectedFormat::Iso);
        assert_eq!(
            inspect(b"KDMV\x01\0\0\0\0\0\0\0\x00\x08\0\0\0\0\0\0", 4096).virtual_size,
            Some(2048 * 512)
        );
        assert_eq!(inspect(b"vhdxfile....", 100).format, DetectedFormat::Vhdx);
    }
}
