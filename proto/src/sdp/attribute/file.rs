//! File transfer attributes (RFC 5547): `a=file-selector`, `a=file-date`, `a=file-range`.

use std::fmt;
use std::str::FromStr;

use crate::sdp::error::Fault;
use crate::sdp::text;

/// `a=file-selector`: identifies the file offered or requested (RFC 5547 §6, §10):
/// `name:"<filename>" type:<media type> size:<octets> hash:<algorithm>:<XX:XX:…>`, each
/// selector optional, in any order, space-separated.
///
/// The attribute text is kept as written and serialized unchanged; the typed fields are read
/// from it. Selectors of unknown kind are skipped by the typed fields but kept in the text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileSelector {
    raw: String,
    name: Option<String>,
    media_type: Option<String>,
    size: Option<u64>,
    hashes: Vec<FileHash>,
}

impl FileSelector {
    /// Builds a selector from its parts, written in the order name, type, size, hashes. The
    /// name is percent-encoded where RFC 5547 requires (`"`, `%`, CR, LF, NUL). Fails if the
    /// media type is not `type/subtype` without spaces, or a hash is empty.
    pub fn new(
        name: Option<&str>,
        media_type: Option<&str>,
        size: Option<u64>,
        hashes: &[FileHash],
    ) -> Result<Self, Fault> {
        let mut parts = Vec::new();
        if let Some(name) = name {
            parts.push(format!("name:\"{}\"", percent_encode(name)));
        }
        if let Some(media_type) = media_type {
            parts.push(format!("type:{media_type}"));
        }
        if let Some(size) = size {
            parts.push(format!("size:{size}"));
        }
        parts.extend(hashes.iter().map(|h| format!("hash:{h}")));
        parts.join(" ").parse()
    }

    /// The attribute value as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The file name, percent-decoded (bytes that are not UTF-8 are replaced).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The media type of the file, with its parameters, such as `image/jpeg`.
    #[must_use]
    pub fn media_type(&self) -> Option<&str> {
        self.media_type.as_deref()
    }

    /// The file size in octets.
    #[must_use]
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The hashes of the file.
    #[must_use]
    pub fn hashes(&self) -> &[FileHash] {
        &self.hashes
    }

    /// The hash computed with `algorithm` (such as `sha-1`, compared without regard to case).
    #[must_use]
    pub fn hash(&self, algorithm: &str) -> Option<&FileHash> {
        self.hashes
            .iter()
            .find(|h| h.algorithm.eq_ignore_ascii_case(algorithm))
    }
}

impl FromStr for FileSelector {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut selector = Self {
            raw: value.to_owned(),
            name: None,
            media_type: None,
            size: None,
            hashes: Vec::new(),
        };
        for item in text::quoted_items(value)? {
            if let Some(name) = strip_prefix_ci(item, "name:") {
                if selector.name.is_some() {
                    return Err(Fault::Duplicate("name selector"));
                }
                let name = text::unquote(name, "name selector")?;
                if name.is_empty() {
                    return Err(Fault::Missing("file name"));
                }
                selector.name = Some(percent_decode(name)?);
            } else if let Some(media_type) = strip_prefix_ci(item, "type:") {
                if selector.media_type.is_some() {
                    return Err(Fault::Duplicate("type selector"));
                }
                match media_type.split_once('/') {
                    Some((t, s)) if !t.is_empty() && !s.is_empty() => {}
                    _ => return Err(Fault::Invalid("type selector")),
                }
                selector.media_type = Some(media_type.to_owned());
            } else if let Some(size) = strip_prefix_ci(item, "size:") {
                if selector.size.is_some() {
                    return Err(Fault::Duplicate("size selector"));
                }
                selector.size = Some(text::parse_u64(size, "size selector")?);
            } else if let Some(hash) = strip_prefix_ci(item, "hash:") {
                selector.hashes.push(hash.parse()?);
            }
        }
        Ok(selector)
    }
}

impl fmt::Display for FileSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A hash selector `<algorithm>:<XX:XX:…>` (RFC 5547 §6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileHash {
    /// The hash algorithm's textual name (IANA registry), such as `sha-1`.
    pub algorithm: String,
    /// The hash value.
    pub value: Vec<u8>,
}

impl FromStr for FileHash {
    type Err = Fault;

    /// Hex digits are accepted in either case; they are written in upper case as the RFC
    /// requires.
    fn from_str(s: &str) -> Result<Self, Fault> {
        let (algorithm, hex) = s.split_once(':').ok_or(Fault::Missing("hash value"))?;
        if algorithm.is_empty() {
            return Err(Fault::Missing("hash algorithm"));
        }
        let value = hex
            .split(':')
            .map(|byte| match byte.as_bytes() {
                [hi, lo] => Some((hex_digit(*hi)? << 4) | hex_digit(*lo)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or(Fault::Invalid("hash value"))?;
        Ok(Self {
            algorithm: algorithm.to_owned(),
            value,
        })
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.algorithm)?;
        for b in &self.value {
            write!(f, ":{b:02X}")?;
        }
        Ok(())
    }
}

/// `s` without `prefix`, compared without regard to ASCII case (ABNF literals).
fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Percent-encodes the bytes a quoted RFC 5547 file name may not hold.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' | '%' | '\r' | '\n' | '\0' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits is a fault.
fn percent_decode(s: &str) -> Result<String, Fault> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_digit);
            let lo = bytes.get(i + 2).copied().and_then(hex_digit);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(Fault::Invalid("percent-encoding"));
            };
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The kind of date in `a=file-date` (RFC 5547 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileDateKind {
    /// `creation`.
    Creation,
    /// `modification`.
    Modification,
    /// `read`.
    Read,
}

impl FileDateKind {
    /// The parameter name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creation => "creation",
            Self::Modification => "modification",
            Self::Read => "read",
        }
    }
}

/// `a=file-date:creation:"<date>" modification:"<date>" read:"<date>"` (RFC 5547 §6), any
/// non-empty subset in any order. The dates are RFC 2822 date-times kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileDate {
    /// The dates in the order written; each kind at most once.
    pub dates: Vec<(FileDateKind, String)>,
}

impl FileDate {
    /// The date of a kind.
    #[must_use]
    pub fn get(&self, kind: FileDateKind) -> Option<&str> {
        self.dates
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, d)| d.as_str())
    }

    /// The creation date.
    #[must_use]
    pub fn creation(&self) -> Option<&str> {
        self.get(FileDateKind::Creation)
    }

    /// The modification date.
    #[must_use]
    pub fn modification(&self) -> Option<&str> {
        self.get(FileDateKind::Modification)
    }

    /// The date the file was last read.
    #[must_use]
    pub fn read(&self) -> Option<&str> {
        self.get(FileDateKind::Read)
    }
}

impl FromStr for FileDate {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let mut dates: Vec<(FileDateKind, String)> = Vec::new();
        for item in text::quoted_items(value)? {
            let (kind, date) = item.split_once(':').ok_or(Fault::Invalid("date-param"))?;
            let kind = [
                FileDateKind::Creation,
                FileDateKind::Modification,
                FileDateKind::Read,
            ]
            .into_iter()
            .find(|k| kind.eq_ignore_ascii_case(k.as_str()))
            .ok_or(Fault::Invalid("date-param"))?;
            if dates.iter().any(|(k, _)| *k == kind) {
                return Err(Fault::Duplicate("date-param"));
            }
            let date = text::unquote(date, "date")?;
            if date.is_empty() {
                return Err(Fault::Missing("date"));
            }
            dates.push((kind, date.to_owned()));
        }
        if dates.is_empty() {
            return Err(Fault::Missing("date-param"));
        }
        Ok(Self { dates })
    }
}

impl fmt::Display for FileDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (kind, date)) in self.dates.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{}:\"{date}\"", kind.as_str())?;
        }
        Ok(())
    }
}

/// `a=file-range:<start>-<stop>`: the octets of the file to transfer, 1-based and inclusive;
/// a stop of `*` means the end of the file (RFC 5547 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileRange {
    /// The first octet, counted from 1.
    pub start: u64,
    /// The last octet, `None` for `*` (up to the end).
    pub stop: Option<u64>,
}

impl FromStr for FileRange {
    type Err = Fault;

    fn from_str(value: &str) -> Result<Self, Fault> {
        let (start, stop) = value
            .trim()
            .split_once('-')
            .ok_or(Fault::Missing("stop offset"))?;
        let start = text::parse_u64(start, "start offset")?;
        if start == 0 {
            return Err(Fault::OutOfRange("start offset"));
        }
        let stop = match stop {
            "*" => None,
            s => Some(text::parse_u64(s, "stop offset")?),
        };
        Ok(Self { start, stop })
    }
}

impl fmt::Display for FileRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stop {
            Some(stop) => write!(f, "{}-{stop}", self.start),
            None => write!(f, "{}-*", self.start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1: &str = "sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E";

    #[test]
    fn parses_rfc5547_selector() {
        let text = format!(r#"name:"My cool picture.jpg" type:image/jpeg size:4092 hash:{SHA1}"#);
        let s: FileSelector = text.parse().unwrap();
        assert_eq!(s.name(), Some("My cool picture.jpg"));
        assert_eq!(s.media_type(), Some("image/jpeg"));
        assert_eq!(s.size(), Some(4092));
        let hash = s.hash("SHA-1").unwrap();
        assert_eq!(hash.value.len(), 20);
        assert_eq!(hash.value[..3], [0x72, 0x24, 0x5F]);
        assert_eq!(hash.to_string(), SHA1);
        assert_eq!(s.to_string(), text);
        assert_eq!(s.as_str(), text);
    }

    #[test]
    fn builds_selector_with_escapes() {
        let hash: FileHash = SHA1.parse().unwrap();
        let s =
            FileSelector::new(Some("a \"b\" 100%"), Some("text/plain"), Some(7), &[hash]).unwrap();
        assert_eq!(
            s.as_str(),
            format!(r#"name:"a %22b%22 100%25" type:text/plain size:7 hash:{SHA1}"#)
        );
        assert_eq!(s.name(), Some("a \"b\" 100%"));
        assert_eq!(s.to_string().parse::<FileSelector>().unwrap(), s);
        assert_eq!(
            FileSelector::new(None, Some("x y"), None, &[]),
            Err(Fault::Invalid("type selector"))
        );
        let empty: FileSelector = "".parse().unwrap();
        assert_eq!((empty.name(), empty.size()), (None, None));
    }

    #[test]
    fn rejects_bad_selectors() {
        let bad = [
            ("name:\"a", Fault::Invalid("quoted string")),
            ("name:a", Fault::Invalid("name selector")),
            ("name:\"\"", Fault::Missing("file name")),
            ("name:\"%zz\"", Fault::Invalid("percent-encoding")),
            ("size:x", Fault::Invalid("size selector")),
            ("size:1 size:2", Fault::Duplicate("size selector")),
            ("type:image", Fault::Invalid("type selector")),
            ("hash:sha-1:7", Fault::Invalid("hash value")),
            ("hash:sha-1", Fault::Missing("hash value")),
        ];
        for (text, fault) in bad {
            assert_eq!(text.parse::<FileSelector>(), Err(fault), "{text}");
        }
        let unknown: FileSelector = "color:blue size:3".parse().unwrap();
        assert_eq!(unknown.size(), Some(3));
    }

    #[test]
    fn file_dates() {
        let text =
            r#"creation:"Mon, 15 May 2006 15:01:31 +0300" read:"Tue, 16 May 2006 10:00:00 +0300""#;
        let d: FileDate = text.parse().unwrap();
        assert_eq!(d.creation(), Some("Mon, 15 May 2006 15:01:31 +0300"));
        assert_eq!(d.modification(), None);
        assert_eq!(d.read(), Some("Tue, 16 May 2006 10:00:00 +0300"));
        assert_eq!(d.to_string(), text);
        assert_eq!("".parse::<FileDate>(), Err(Fault::Missing("date-param")));
        assert_eq!(
            "birth:\"x\"".parse::<FileDate>(),
            Err(Fault::Invalid("date-param"))
        );
        assert_eq!(
            "read:\"x\" read:\"y\"".parse::<FileDate>(),
            Err(Fault::Duplicate("date-param"))
        );
    }

    #[test]
    fn file_ranges() {
        assert_eq!(
            "1-*".parse(),
            Ok(FileRange {
                start: 1,
                stop: None
            })
        );
        assert_eq!(
            "10-4092".parse(),
            Ok(FileRange {
                start: 10,
                stop: Some(4092)
            })
        );
        assert_eq!(
            "0-1".parse::<FileRange>(),
            Err(Fault::OutOfRange("start offset"))
        );
        assert_eq!("5".parse::<FileRange>(), Err(Fault::Missing("stop offset")));
        assert_eq!(
            FileRange {
                start: 3,
                stop: None
            }
            .to_string(),
            "3-*"
        );
    }
}
