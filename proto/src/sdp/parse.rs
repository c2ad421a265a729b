//! The session description parser: splits lines, enforces the limits and the line order, and
//! hands each value to its type's parser.

use memchr::{memchr, memchr2};

use super::attribute::Attribute;
use super::error::{Fault, ParseError};
use super::media::MediaDescription;
use super::session::Session;
use super::time;
use super::Limits;

/// The type letters RFC 4566 §5 defines.
const LINE_TYPES: &str = "vosiuepcbtrzkam";

/// One non-blank line: its 1-based number, type letter and value (after `=`).
struct Line<'a> {
    number: usize,
    kind: char,
    value: &'a str,
}

impl Line<'_> {
    fn bad(&self, reason: Fault) -> ParseError {
        ParseError::BadLine {
            line: self.number,
            kind: self.kind,
            reason,
        }
    }
}

/// Splits the body into lines ending in LF or CRLF (RFC 4566 §5 asks parsers to accept a bare
/// LF), tolerating a last line without line end and skipping blank lines. Counts the size the
/// body has with CRLF line ends and stops at the limit, so that serializing anything that
/// parsed never exceeds it.
struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    number: usize,
    counted: usize,
    limit: usize,
}

impl<'a> Lines<'a> {
    fn next_line(&mut self) -> Result<Option<Line<'a>>, ParseError> {
        loop {
            if self.pos >= self.data.len() {
                return Ok(None);
            }
            let rest = &self.data[self.pos..];
            let (raw, advance) = match memchr(b'\n', rest) {
                Some(i) => (&rest[..i], i + 1),
                None => (rest, rest.len()),
            };
            self.pos += advance;
            self.number += 1;
            let content = raw.strip_suffix(b"\r").unwrap_or(raw);
            if content.iter().all(|b| *b == b' ' || *b == b'\t') {
                continue;
            }
            self.counted = self.counted.saturating_add(content.len() + 2);
            if self.counted > self.limit {
                return Err(ParseError::TooLarge {
                    size: self.counted,
                    limit: self.limit,
                });
            }
            let line = self.number;
            if memchr2(b'\r', b'\0', content).is_some() {
                return Err(ParseError::ControlCharacter { line });
            }
            let text =
                std::str::from_utf8(content).map_err(|_| ParseError::InvalidUtf8 { line })?;
            let mut chars = text.chars();
            let kind = chars.next().ok_or(ParseError::Malformed { line })?;
            if chars.next() != Some('=') {
                return Err(ParseError::Malformed { line });
            }
            if !LINE_TYPES.contains(kind) {
                return Err(ParseError::UnknownLineType { line, kind });
            }
            return Ok(Some(Line {
                number: line,
                kind,
                value: &text[kind.len_utf8() + 1..],
            }));
        }
    }

    /// The next line, which RFC 4566 §5 requires to be of type `expected`.
    fn expect(&mut self, expected: char) -> Result<Line<'a>, ParseError> {
        let line = self
            .next_line()?
            .ok_or(ParseError::MissingLine { kind: expected })?;
        if line.kind != expected {
            return Err(ParseError::Unexpected {
                line: line.number,
                kind: line.kind,
                expected,
            });
        }
        Ok(line)
    }
}

/// Parses a session description.
///
/// Strictness (RFC 4566 §5): `v=0`, `o=` and `s=` must come first, in that order. After them,
/// session-level lines are accepted in any order (serialization restores the RFC order); `r=`
/// attaches to the latest `t=`; the lines that exist only at session level (`u=`, `e=`, `p=`,
/// `t=`, `r=`, `z=`) are refused after the first `m=`. Missing `t=` is tolerated. Lines that
/// may appear once per level are refused when repeated.
pub(crate) fn parse(data: &[u8], limits: &Limits) -> Result<Session, ParseError> {
    if data.len() > limits.max_size {
        return Err(ParseError::TooLarge {
            size: data.len(),
            limit: limits.max_size,
        });
    }
    let mut lines = Lines {
        data,
        pos: 0,
        number: 0,
        counted: 0,
        limit: limits.max_size,
    };

    let version = lines.expect('v')?;
    if version.value != "0" {
        return Err(version.bad(Fault::Invalid("version")));
    }
    let origin = lines.expect('o')?;
    let origin = origin.value.parse().map_err(|e| origin.bad(e))?;
    let name = lines.expect('s')?.value;
    let mut session = Session::new(origin, name);
    session.timings.clear();

    let mut attribute_count = 0usize;
    while let Some(line) = lines.next_line()? {
        let bad = |reason| line.bad(reason);
        let duplicate = ParseError::DuplicateLine {
            line: line.number,
            kind: line.kind,
        };
        let misplaced = ParseError::LineOrder {
            line: line.number,
            kind: line.kind,
        };
        if line.kind == 'a' {
            attribute_count += 1;
            if attribute_count > limits.max_attributes {
                return Err(ParseError::TooManyAttributes {
                    line: line.number,
                    limit: limits.max_attributes,
                });
            }
        }
        if line.kind == 'm' {
            if session.media.len() >= limits.max_media {
                return Err(ParseError::TooManyMedia {
                    line: line.number,
                    limit: limits.max_media,
                });
            }
            session.media.push(line.value.parse().map_err(bad)?);
            continue;
        }
        if let Some(media) = session.media.last_mut() {
            media_line(media, &line, bad, duplicate, misplaced)?;
            continue;
        }
        match line.kind {
            'i' if session.information.is_some() => return Err(duplicate),
            'i' => session.information = Some(line.value.to_owned()),
            'u' if session.uri.is_some() => return Err(duplicate),
            'u' => session.uri = Some(line.value.to_owned()),
            'e' => session.emails.push(line.value.to_owned()),
            'p' => session.phones.push(line.value.to_owned()),
            'c' if session.connection.is_some() => return Err(duplicate),
            'c' => session.connection = Some(line.value.parse().map_err(bad)?),
            'b' => session.bandwidths.push(line.value.parse().map_err(bad)?),
            't' => session.timings.push(line.value.parse().map_err(bad)?),
            'r' => {
                let repeat = line.value.parse().map_err(bad)?;
                session
                    .timings
                    .last_mut()
                    .ok_or(misplaced)?
                    .repeats
                    .push(repeat);
            }
            'z' if !session.time_zones.is_empty() => return Err(duplicate),
            'z' => session.time_zones = time::parse_time_zones(line.value).map_err(bad)?,
            'k' if session.key.is_some() => return Err(duplicate),
            'k' => session.key = Some(line.value.parse().map_err(bad)?),
            'a' => session.attributes.push(attribute(&line)?),
            _ => return Err(duplicate),
        }
    }
    Ok(session)
}

/// Handles a line that follows an `m=` line.
fn media_line(
    media: &mut MediaDescription,
    line: &Line<'_>,
    bad: impl Fn(Fault) -> ParseError,
    duplicate: ParseError,
    misplaced: ParseError,
) -> Result<(), ParseError> {
    match line.kind {
        'i' if media.information.is_some() => return Err(duplicate),
        'i' => media.information = Some(line.value.to_owned()),
        'c' => media.connections.push(line.value.parse().map_err(bad)?),
        'b' => media.bandwidths.push(line.value.parse().map_err(bad)?),
        'k' if media.key.is_some() => return Err(duplicate),
        'k' => media.key = Some(line.value.parse().map_err(&bad)?),
        'a' => media.attributes.push(attribute(line)?),
        'v' | 'o' | 's' => return Err(duplicate),
        _ => return Err(misplaced),
    }
    Ok(())
}

/// An `a=` line. Only an empty name fails the session; a bad value of a known attribute is
/// kept as [`Attribute::Malformed`].
fn attribute(line: &Line<'_>) -> Result<Attribute, ParseError> {
    let name = line.value.split(':').next().unwrap_or_default();
    if name.is_empty() {
        return Err(line.bad(Fault::Missing("attribute name")));
    }
    Ok(Attribute::parse(line.value))
}
