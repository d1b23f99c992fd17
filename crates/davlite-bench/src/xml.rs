//! Request bodies for the DAV reports and a deliberately small multistatus reader: it finds
//! elements by local name whatever prefix a server chose, which is all a load generator needs to
//! check counts, collect ETags and carry sync tokens.

pub const PROPFIND_ETAG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>"#;

pub const PROPFIND_SYNC_TOKEN: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>"#;

pub const PROPFIND_PRINCIPAL: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/></D:prop></D:propfind>"#;

pub const PROPFIND_BOOK_HOME: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><CR:addressbook-home-set/></D:prop></D:propfind>"#;

pub const MKCALENDAR: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:displayname>davlite bench</D:displayname>
<C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
</D:prop></D:set></C:mkcalendar>"#;

pub const MKCOL_ADDRESSBOOK: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
<D:displayname>davlite bench</D:displayname>
</D:prop></D:set></D:mkcol>"#;

/// calendar-query for VEVENTs with an instance in `[start, end)` (UTC `YYYYMMDDTHHMMSSZ`).
pub fn calendar_query(start: &str, end: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"#
    )
}

/// calendar-multiget of `hrefs` asking for ETags and data, as a syncing client does.
pub fn multiget<'a>(hrefs: impl Iterator<Item = &'a str>) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>"#,
    );
    for h in hrefs {
        s.push_str("<D:href>");
        s.push_str(&escape(h));
        s.push_str("</D:href>");
    }
    s.push_str("</C:calendar-multiget>");
    s
}

/// sync-collection at level 1; an empty token asks for the initial listing (RFC 6578 §3.2).
pub fn sync_collection(token: &str) -> String {
    let token = if token.is_empty() {
        "<D:sync-token/>".to_string()
    } else {
        format!("<D:sync-token>{}</D:sync-token>", escape(token))
    };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">{token}<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"#
    )
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

/// Inner text of every element with local name `local`, in document order; self-closing
/// elements yield "". Elements of the same name are assumed not to nest (true of `response`,
/// `href`, `getetag`, `status`, `sync-token` in a multistatus).
pub fn elements<'a>(xml: &'a str, local: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(open) = find_tag(xml, pos, local, false) {
        let Some(gt) = xml[open..].find('>').map(|g| open + g) else {
            break;
        };
        if xml.as_bytes()[gt - 1] == b'/' {
            out.push("");
            pos = gt + 1;
            continue;
        }
        let Some(close) = find_tag(xml, gt + 1, local, true) else {
            break;
        };
        out.push(&xml[gt + 1..close]);
        pos = close + 1;
    }
    out
}

/// Position of the next `<local`, `<p:local` (or closing `</...`) tag at or after `from`.
fn find_tag(xml: &str, from: usize, local: &str, closing: bool) -> Option<usize> {
    let bytes = xml.as_bytes();
    let mut i = from;
    while let Some(off) = xml[i..].find('<') {
        let lt = i + off;
        let mut j = lt + 1;
        if closing != (bytes.get(j) == Some(&b'/')) {
            i = lt + 1;
            continue;
        }
        if closing {
            j += 1;
        }
        let end = xml[j..]
            .find(|c: char| c == '>' || c == '/' || c.is_whitespace())
            .map_or(xml.len(), |e| j + e);
        let name = &xml[j..end];
        let name = name.rsplit(':').next().unwrap_or(name);
        if name == local {
            return Some(lt);
        }
        i = lt + 1;
    }
    None
}

/// One `response` of a multistatus, reduced to what the workloads check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The path part of the href, even when the server sent an absolute URL.
    pub path: String,
    pub etag: Option<String>,
    /// The response's own status (not a propstat's): 404 in a sync report means removed.
    pub gone: bool,
    pub has_data: bool,
}

/// One pass over the document: listings of 10,000 members are parsed after every request, so
/// the driver must not spend more on them than the server spent producing them.
pub fn members(xml: &str) -> Vec<Member> {
    let mut out = Vec::new();
    let mut cur: Option<Member> = None;
    let mut in_propstat = false;
    let mut text_start = 0;
    let mut i = 0;
    while let Some(off) = xml[i..].find('<') {
        let lt = i + off;
        let rest = &xml[lt..];
        if rest.starts_with("<![CDATA[") || rest.starts_with("<!--") || rest.starts_with("<?") {
            let end = if rest.starts_with("<![CDATA[") {
                "]]>"
            } else if rest.starts_with("<!--") {
                "-->"
            } else {
                "?>"
            };
            i = rest.find(end).map_or(xml.len(), |e| lt + e + end.len());
            continue;
        }
        let Some(gt) = rest.find('>').map(|g| lt + g) else {
            break;
        };
        let tag = &xml[lt + 1..gt];
        let closing = tag.starts_with('/');
        let raw = tag.trim_start_matches('/');
        let name = raw
            .split(|c: char| c == '/' || c.is_whitespace())
            .next()
            .unwrap_or("");
        let name = name.rsplit(':').next().unwrap_or(name);
        if !closing {
            match name {
                "response" => {
                    cur = Some(Member {
                        path: String::new(),
                        etag: None,
                        gone: false,
                        has_data: false,
                    })
                }
                "propstat" => in_propstat = true,
                _ => {}
            }
            text_start = gt + 1;
        } else {
            let text = &xml[text_start.min(lt)..lt];
            if name == "propstat" {
                in_propstat = false;
            }
            if let Some(m) = cur.as_mut() {
                match name {
                    "href" if m.path.is_empty() => {
                        let href = unescape(text.trim());
                        m.path = match href.find("://") {
                            Some(p) => href[p + 3..]
                                .find('/')
                                .map_or("/".to_string(), |s| href[p + 3 + s..].to_string()),
                            None => href,
                        };
                    }
                    "getetag" => m.etag = Some(unescape(text.trim())).filter(|e| !e.is_empty()),
                    "status" if !in_propstat => m.gone |= text.contains(" 404"),
                    "calendar-data" | "address-data" => m.has_data |= !text.trim().is_empty(),
                    "response" => out.extend(cur.take()),
                    _ => {}
                }
            }
        }
        i = gt + 1;
    }
    out
}

/// The first href inside the element named `local` (e.g. `current-user-principal`).
pub fn href_in(xml: &str, local: &str) -> Option<String> {
    let inner = *elements(xml, local).first()?;
    elements(inner, "href").first().map(|h| unescape(h.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: &str = r#"<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/c/</href><propstat><prop><getetag/></prop><status>HTTP/1.1 404 Not Found</status></propstat></response>
<d:response xmlns:d="DAV:"><d:href>http://h:1/c/a%40b.ics</d:href><d:propstat><d:prop><d:getetag>&quot;e1&quot;</d:getetag><C:calendar-data xmlns:C="x">BEGIN</C:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<response><href>/c/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response><sync-token>http://t/5</sync-token></multistatus>"#;

    #[test]
    fn reads_members_whatever_the_prefix() {
        let m = members(MS);
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].path, "/c/");
        assert!(!m[0].gone, "a 404 propstat is not a removed member");
        assert_eq!(m[1].path, "/c/a%40b.ics");
        assert_eq!(m[1].etag.as_deref(), Some("\"e1\""));
        assert!(m[1].has_data);
        assert!(m[2].gone);
        assert_eq!(elements(MS, "sync-token"), vec!["http://t/5"]);
    }

    #[test]
    fn cdata_and_large_listings() {
        let x = r#"<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/c/1.ics</href><propstat><prop><C:calendar-data xmlns:C="x"><![CDATA[BEGIN:VCALENDAR <a> ]]></C:calendar-data></prop></propstat></response></multistatus>"#;
        let m = members(x);
        assert_eq!(m.len(), 1);
        assert!(m[0].has_data);
        let mut big = String::from("<multistatus xmlns='DAV:'>");
        for k in 0..10_000 {
            big.push_str(&format!("<response><href>/c/{k}.ics</href><propstat><prop><getetag>\"{k}\"</getetag></prop><status>HTTP/1.1 200 OK</status></propstat></response>"));
        }
        big.push_str("</multistatus>");
        let m = members(&big);
        assert_eq!(m.len(), 10_000);
        assert!(m.iter().all(|m| m.etag.is_some() && !m.gone));
        assert_eq!(m[9_999].path, "/c/9999.ics");
    }

    #[test]
    fn bodies_escape_and_nest() {
        let q = sync_collection("a&b");
        assert!(q.contains("<D:sync-token>a&amp;b</D:sync-token>"));
        assert!(sync_collection("").contains("<D:sync-token/>"));
        let m = multiget(["/x/1.ics", "/x/2.ics"].into_iter());
        assert_eq!(elements(&m, "href"), vec!["/x/1.ics", "/x/2.ics"]);
        assert!(calendar_query("A", "B").contains(r#"<C:time-range start="A" end="B"/>"#));
    }

    #[test]
    fn principal_href() {
        let x = r#"<multistatus xmlns="DAV:"><response><href>/c/</href><propstat><prop><current-user-principal><href>/u/</href></current-user-principal></prop></propstat></response></multistatus>"#;
        assert_eq!(href_in(x, "current-user-principal").as_deref(), Some("/u/"));
    }
}
