//! Form bodies as browsers send them: `application/x-www-form-urlencoded` for ordinary forms,
//! `multipart/form-data` for the file upload. Small, strict readers: a malformed body is a
//! refusal, never a guess.

use std::collections::HashMap;

/// The fields of a submitted form; a repeated name keeps its last value.
#[derive(Debug, Default)]
pub struct Form {
    fields: HashMap<String, String>,
    /// Uploaded files: (field name, file name, bytes).
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// Reads a body by its `Content-Type`; `None` for another type or a malformed body.
    pub fn parse(content_type: &str, body: &[u8]) -> Option<Form> {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => Some(Form {
                fields: urlencoded(std::str::from_utf8(body).ok()?),
                files: Vec::new(),
            }),
            "multipart/form-data" => multipart(boundary(content_type)?, body),
            _ => None,
        }
    }
}

/// `a=1&b=x+y`, percent-decoded (a query string too).
pub fn urlencoded(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

fn boundary(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// RFC 7578: parts separated by `--boundary`, each with headers, a blank line and its bytes.
fn multipart(boundary: &str, body: &[u8]) -> Option<Form> {
    let delim = format!("--{boundary}");
    let mut form = Form::default();
    let mut rest = body;
    // Skip the preamble up to the first delimiter.
    let start = find(rest, delim.as_bytes())?;
    rest = &rest[start + delim.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some(form);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        rest = &rest[head_end + 4..];
        let next = find(rest, format!("\r\n{delim}").as_bytes())?;
        let data = &rest[..next];
        rest = &rest[next + 2 + delim.len()..];
        let disposition = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then_some(v)
        })?;
        let name = param(disposition, "name")?;
        match param(disposition, "filename") {
            Some(file) => form.files.push((name, file, data.to_vec())),
            None => {
                form.fields
                    .insert(name, String::from_utf8_lossy(data).into_owned());
            }
        }
    }
}

/// A quoted or bare parameter of a `Content-Disposition` value.
fn param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').replace("\\\"", "\""))
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_fields() {
        let f = Form::parse(
            "application/x-www-form-urlencoded",
            b"a=1&name=Work+%3Cb%3E&empty=&flag",
        )
        .unwrap();
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("name"), "Work <b>");
        assert!(f.fields.contains_key("empty") && f.fields.contains_key("flag"));
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn multipart_fields_and_files() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.ics\"\r\nContent-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n--XyZ--\r\n";
        let f = Form::parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(f.get("csrf"), "tok");
        assert_eq!(f.files.len(), 1);
        assert_eq!(f.files[0].1, "a.ics");
        assert_eq!(f.files[0].2, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
        assert!(Form::parse("multipart/form-data; boundary=Q", body).is_none());
        assert!(Form::parse("text/plain", b"a=1").is_none());
    }
}
