//! The HTML of every page, as plain functions from data to markup. Every string that comes from
//! a user, a client or the store goes through [`esc`]; the few values put in attributes that are
//! not escaped text (colours) are validated to a fixed shape first. No inline script or style:
//! the Content-Security-Policy allows only `/_web/app.js` and `/_web/app.css`.

use std::fmt::Write as _;

use super::{Collection, Kind, PREFIX, Status, UserRow};
use crate::import::ImportReport;
use crate::web::session::Flash;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who is looking at a page: the header shows the name, the admin link and a sign-out form.
pub struct Viewer<'a> {
    pub user: &'a str,
    pub admin: bool,
    pub csrf: &'a str,
}

/// A whole document around `body`.
pub fn layout(title: &str, viewer: Option<&Viewer>, flash: Option<&Flash>, body: &str) -> String {
    let mut nav = String::new();
    if let Some(v) = viewer {
        let _ = write!(
            nav,
            "<nav aria-label=\"Account\"><a href=\"{PREFIX}\">Calendars &amp; contacts</a>{}\
             <span class=\"who\">Signed in as <strong>{}</strong></span>\
             <form method=\"post\" action=\"{PREFIX}logout\" class=\"inline\">{}\
             <button type=\"submit\" class=\"link\">Sign out</button></form></nav>",
            if v.admin {
                format!("<a href=\"{PREFIX}admin\">Administration</a>")
            } else {
                String::new()
            },
            esc(v.user),
            csrf_field(v.csrf),
        );
    }
    let flash = flash.map_or(String::new(), |f| {
        format!(
            "<p class=\"flash {}\" role=\"status\">{}</p>",
            if f.ok { "ok" } else { "error" },
            esc(&f.text)
        )
    });
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · davlite</title>\
         <link rel=\"stylesheet\" href=\"{PREFIX}app.css\">\
         <script src=\"{PREFIX}app.js\" defer></script></head>\
         <body><header><span class=\"brand\">davlite</span>{nav}</header>\
         <main id=\"main\">{flash}{body}</main></body></html>\n",
        esc(title)
    )
}

pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

pub fn login(error: Option<&str>, csrf: &str, user: &str) -> String {
    let error = error.map_or(String::new(), |e| {
        format!("<p class=\"flash error\" role=\"alert\">{}</p>", esc(e))
    });
    let body = format!(
        "<section class=\"card narrow\"><h1>Sign in</h1>{error}\
         <form method=\"post\" action=\"{PREFIX}login\">{}\
         <label for=\"user\">User name</label>\
         <input id=\"user\" name=\"user\" autocomplete=\"username\" required autofocus value=\"{}\">\
         <label for=\"password\">Password or app password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"hint\">The same user name and password your calendar and contacts apps use.</p>\
         </section>",
        csrf_field(csrf),
        esc(user)
    );
    layout("Sign in", None, None, &body)
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b if b < 1024 * 1024 * 1024 => format!("{:.1} MiB", b as f64 / 1048576.0),
        b => format!("{:.2} GiB", b as f64 / 1073741824.0),
    }
}

fn swatch(color: Option<&str>) -> String {
    // Only `#rrggbb` reaches here (see `super::valid_color`); an SVG attribute, not a style,
    // so the strict style-src of the page still holds.
    let fill = color.unwrap_or("#8a8f98");
    format!(
        "<svg class=\"swatch\" width=\"14\" height=\"14\" aria-hidden=\"true\">\
         <rect width=\"14\" height=\"14\" rx=\"3\" fill=\"{}\"/></svg>",
        esc(fill)
    )
}

fn collection_card(c: &Collection, csrf: &str) -> String {
    let id = format!("{}-{}", c.kind.tree(), c.name);
    let hid = esc(&id);
    let hidden = format!(
        "{}<input type=\"hidden\" name=\"kind\" value=\"{}\">\
         <input type=\"hidden\" name=\"name\" value=\"{}\">",
        csrf_field(csrf),
        c.kind.tree(),
        esc(&c.name)
    );
    let q = format!(
        "kind={}&amp;name={}",
        c.kind.tree(),
        esc(&super::query_escape(&c.name))
    );
    let accept = match c.kind {
        Kind::Calendar => ".ics,text/calendar",
        Kind::AddressBook => ".vcf,text/vcard",
    };
    format!(
        "<article class=\"card coll\" data-name=\"{hname}\">\
         <h3>{sw}<span class=\"dn\">{dn}</span></h3>\
         <p class=\"meta\">{objects} {what} · {size}{shared}</p>\
         <label for=\"url-{hid}\">URL for your apps</label>\
         <div class=\"url\"><input id=\"url-{hid}\" class=\"copy-src\" readonly value=\"{url}\">\
         <button type=\"button\" class=\"copy\" data-copy=\"url-{hid}\">Copy</button></div>\
         <details><summary>QR code for a phone</summary>{qr}</details>\
         <details><summary>Rename or recolour</summary>\
         <form method=\"post\" action=\"{PREFIX}update\">{hidden}\
         <label for=\"dn-{hid}\">Name</label>\
         <input id=\"dn-{hid}\" name=\"displayname\" value=\"{dn}\" required maxlength=\"200\">\
         <label for=\"color-{hid}\">Colour</label>\
         <input id=\"color-{hid}\" name=\"color\" type=\"color\" value=\"{color}\">\
         <button type=\"submit\">Save</button></form></details>\
         {import}\
         <p class=\"actions\"><a class=\"button\" href=\"{PREFIX}export?{q}\" download>Download {ext}</a> \
         <a class=\"button danger\" href=\"{PREFIX}delete?{q}\">{delete}…</a></p></article>",
        hname = esc(&c.name),
        shared = match &c.shared_by {
            Some(owner) if c.writable => format!(" · shared by {}", esc(owner)),
            Some(owner) => format!(" · shared by {}, read-only", esc(owner)),
            None => String::new(),
        },
        // Importing writes into the collection: not offered on a read-only share.
        import = if c.writable {
            format!(
                "<details><summary>Import a file</summary>\
                 <form method=\"post\" action=\"{PREFIX}import\" enctype=\"multipart/form-data\" class=\"import\">{hidden}\
                 <label for=\"file-{hid}\">{accept_name} file</label>\
                 <input id=\"file-{hid}\" name=\"file\" type=\"file\" accept=\"{accept}\" required>\
                 <progress max=\"100\" value=\"0\" hidden></progress>\
                 <button type=\"submit\">Import</button></form></details>",
                accept_name = match c.kind {
                    Kind::Calendar => "iCalendar (.ics)",
                    Kind::AddressBook => "vCard (.vcf)",
                },
            )
        } else {
            String::new()
        },
        // For a shared collection, "delete" is leaving the share: the owner's data stays.
        delete = if c.shared_by.is_some() {
            "Leave"
        } else {
            "Delete"
        },
        sw = swatch(c.color.as_deref()),
        dn = esc(&c.displayname),
        objects = c.objects,
        what = match (c.kind, c.objects) {
            (Kind::Calendar, 1) => "item",
            (Kind::Calendar, _) => "items",
            (Kind::AddressBook, 1) => "contact",
            (Kind::AddressBook, _) => "contacts",
        },
        size = size(c.bytes),
        url = esc(&c.url),
        qr = c.qr,
        color = esc(c.color.as_deref().unwrap_or("#3a87ad")),
        ext = match c.kind {
            Kind::Calendar => ".ics",
            Kind::AddressBook => ".vcf",
        },
    )
}

pub fn home(
    viewer: &Viewer,
    flash: Option<&Flash>,
    root_url: &str,
    collections: &[Collection],
) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Your calendars and address books</h1>\
         <p class=\"hint\">Most apps need only the server address <code>{}</code>, your user \
         name and password; they find everything below by themselves. Apps that ask for one \
         calendar or address book take the URL shown with it.</p>",
        esc(root_url)
    );
    for (kind, title) in [
        (Kind::Calendar, "Calendars"),
        (Kind::AddressBook, "Address books"),
    ] {
        let _ = write!(body, "<h2>{title}</h2><div class=\"grid\">");
        let mut any = false;
        for c in collections.iter().filter(|c| c.kind == kind) {
            any = true;
            body.push_str(&collection_card(c, viewer.csrf));
        }
        if !any {
            body.push_str("<p class=\"hint\">None yet.</p>");
        }
        body.push_str("</div>");
    }
    let _ = write!(
        body,
        "<section class=\"card\"><h2>New calendar or address book</h2>\
         <form method=\"post\" action=\"{PREFIX}create\" class=\"create\">{}\
         <label for=\"new-kind\">Kind</label>\
         <select id=\"new-kind\" name=\"kind\"><option value=\"calendars\">Calendar</option>\
         <option value=\"addressbooks\">Address book</option></select>\
         <label for=\"new-dn\">Name</label>\
         <input id=\"new-dn\" name=\"displayname\" required maxlength=\"200\">\
         <label for=\"new-color\">Colour</label>\
         <input id=\"new-color\" name=\"color\" type=\"color\" value=\"#3a87ad\">\
         <button type=\"submit\">Create</button></form></section>",
        csrf_field(viewer.csrf)
    );
    layout("Calendars and address books", Some(viewer), flash, &body)
}

pub fn confirm_delete(viewer: &Viewer, c: &Collection) -> String {
    if let Some(owner) = &c.shared_by {
        let body = format!(
            "<section class=\"card narrow\"><h1>Leave “{dn}”?</h1>\
             <p>{owner} shares <strong>{dn}</strong> with you. Leaving removes it from your \
             list and your apps; {owner}'s data stays, and {owner} can share it again.</p>\
             <form method=\"post\" action=\"{PREFIX}delete\">{csrf}\
             <input type=\"hidden\" name=\"kind\" value=\"{kind}\">\
             <input type=\"hidden\" name=\"name\" value=\"{name}\">\
             <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
             <button type=\"submit\" class=\"danger\">Leave {dn}</button> \
             <a class=\"button\" href=\"{PREFIX}\">Cancel</a></form></section>",
            dn = esc(&c.displayname),
            owner = esc(owner),
            csrf = csrf_field(viewer.csrf),
            kind = c.kind.tree(),
            name = esc(&c.name),
        );
        return layout("Leave", Some(viewer), None, &body);
    }
    let body = format!(
        "<section class=\"card narrow\"><h1>Delete “{dn}”?</h1>\
         <p>This deletes the {what} <strong>{dn}</strong> with its {n} {items} ({size}) from the \
         server and from every app that syncs it. It cannot be undone; download it first to \
         keep a copy.</p>\
         <form method=\"post\" action=\"{PREFIX}delete\">{csrf}\
         <input type=\"hidden\" name=\"kind\" value=\"{kind}\">\
         <input type=\"hidden\" name=\"name\" value=\"{name}\">\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <button type=\"submit\" class=\"danger\">Delete {dn}</button> \
         <a class=\"button\" href=\"{PREFIX}\">Cancel</a></form></section>",
        dn = esc(&c.displayname),
        what = match c.kind {
            Kind::Calendar => "calendar",
            Kind::AddressBook => "address book",
        },
        n = c.objects,
        items = match c.kind {
            Kind::Calendar => "items",
            Kind::AddressBook => "contacts",
        },
        size = size(c.bytes),
        csrf = csrf_field(viewer.csrf),
        kind = c.kind.tree(),
        name = esc(&c.name),
    );
    layout("Delete", Some(viewer), None, &body)
}

pub fn import_report(viewer: &Viewer, target: &str, report: &ImportReport) -> String {
    let mut body = format!(
        "<section class=\"card\"><h1>Import into “{}”</h1>\
         <ul class=\"report\"><li><strong>{}</strong> created</li><li><strong>{}</strong> updated</li>\
         <li><strong>{}</strong> unchanged</li><li><strong>{}</strong> refused</li></ul>",
        esc(target),
        report.created,
        report.updated,
        report.unchanged,
        report.skipped.len()
    );
    if !report.skipped.is_empty() {
        body.push_str(
            "<h2>Refused</h2><table><thead><tr><th scope=\"col\">File</th>\
             <th scope=\"col\">Entry</th><th scope=\"col\">Why</th></tr></thead><tbody>",
        );
        for (file, entry, reason) in &report.skipped {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&file.display().to_string()),
                if *entry == 0 {
                    "whole file".to_string()
                } else {
                    entry.to_string()
                },
                esc(reason)
            );
        }
        body.push_str("</tbody></table>");
    }
    let _ = write!(
        body,
        "<p><a class=\"button\" href=\"{PREFIX}\">Back to the list</a></p></section>"
    );
    layout("Import", Some(viewer), None, &body)
}

pub fn message(viewer: Option<&Viewer>, title: &str, text: &str) -> String {
    let body = format!(
        "<section class=\"card narrow\"><h1>{}</h1><p>{}</p>\
         <p><a class=\"button\" href=\"{PREFIX}\">Back</a></p></section>",
        esc(title),
        esc(text)
    );
    layout(title, viewer, None, &body)
}

/// A generated password, shown this once.
pub fn password_shown(viewer: &Viewer, user: &str, password: &str, what: &str) -> String {
    let body = format!(
        "<section class=\"card narrow\"><h1>{}</h1>\
         <p>The password of <strong>{}</strong> is shown only this once; only a hash of it is kept.</p>\
         <label for=\"pw\">Password</label>\
         <div class=\"url\"><input id=\"pw\" readonly value=\"{}\">\
         <button type=\"button\" class=\"copy\" data-copy=\"pw\">Copy</button></div>\
         <p><a class=\"button\" href=\"{PREFIX}admin\">Back to the users</a></p></section>",
        esc(what),
        esc(user),
        esc(password)
    );
    layout(what, Some(viewer), None, &body)
}

pub fn admin(viewer: &Viewer, flash: Option<&Flash>, status: &Status, users: &[UserRow]) -> String {
    let mut body = String::from(
        "<h1>Administration</h1><section class=\"card\"><h2>Server</h2><dl class=\"status\">",
    );
    let last_backup = status.last_backup.as_deref().unwrap_or("none recorded");
    for (k, v) in [
        ("Version", status.version.as_str()),
        ("Uptime", status.uptime.as_str()),
        ("Store", status.backend.as_str()),
        ("Store size", status.store_size.as_str()),
        ("Collections", status.collections.as_str()),
        ("Objects", status.objects.as_str()),
        ("Requests", status.requests.as_str()),
        ("Failed logins", status.auth_failures.as_str()),
        ("Open connections", status.connections.as_str()),
        ("Last backup", last_backup),
    ] {
        let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    body.push_str("</dl></section>");
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Users</h2><div class=\"table\"><table><thead><tr>\
         <th scope=\"col\">User</th><th scope=\"col\">Used</th><th scope=\"col\">Quota</th>\
         <th scope=\"col\">Actions</th></tr></thead><tbody>"
    );
    let csrf = csrf_field(viewer.csrf);
    for u in users {
        let hn = esc(&u.name);
        let _ = write!(
            body,
            "<tr><th scope=\"row\">{hn}{admin}</th><td>{used}</td><td>\
             <form method=\"post\" action=\"{PREFIX}admin/quota\" class=\"row\">{csrf}\
             <input type=\"hidden\" name=\"user\" value=\"{hn}\">\
             <label class=\"sr\" for=\"q-{hn}\">Quota of {hn}</label>\
             <input id=\"q-{hn}\" name=\"quota\" value=\"{quota}\" size=\"10\" \
             placeholder=\"default\" title=\"bytes, none, or empty for the server default\">\
             <button type=\"submit\">Set</button></form></td><td>\
             <form method=\"post\" action=\"{PREFIX}admin/passwd\" class=\"inline\">{csrf}\
             <input type=\"hidden\" name=\"user\" value=\"{hn}\">\
             <button type=\"submit\">Reset password</button></form> \
             <a class=\"button danger\" href=\"{PREFIX}admin/remove?user={qn}\">Remove…</a></td></tr>",
            admin = if u.admin {
                " <span class=\"tag\">admin</span>"
            } else {
                ""
            },
            used = size(u.used),
            quota = esc(&u.quota),
            qn = esc(&super::query_escape(&u.name)),
        );
    }
    body.push_str("</tbody></table></div>");
    let _ = write!(
        body,
        "<h3>Add a user</h3><form method=\"post\" action=\"{PREFIX}admin/add\" class=\"create\">{csrf}\
         <label for=\"add-name\">User name</label>\
         <input id=\"add-name\" name=\"user\" required maxlength=\"64\" pattern=\"[A-Za-z0-9_.@\\-]+\" autocomplete=\"off\">\
         <label for=\"add-quota\">Quota in bytes (empty: server default)</label>\
         <input id=\"add-quota\" name=\"quota\" inputmode=\"numeric\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"admin\" value=\"yes\"> Administrator</label>\
         <button type=\"submit\">Add user</button></form></section>"
    );
    layout("Administration", Some(viewer), flash, &body)
}

pub fn confirm_remove_user(viewer: &Viewer, user: &str) -> String {
    let body = format!(
        "<section class=\"card narrow\"><h1>Remove {u}?</h1>\
         <p>{u} can no longer sign in. Their calendars and address books are moved aside where \
         no user reaches them (<code>davlite export</code> reads them back), unless you choose \
         to delete them.</p>\
         <form method=\"post\" action=\"{PREFIX}admin/remove\">{csrf}\
         <input type=\"hidden\" name=\"user\" value=\"{u}\">\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <label class=\"check\"><input type=\"checkbox\" name=\"delete_data\" value=\"yes\"> \
         Also delete their data</label>\
         <button type=\"submit\" class=\"danger\">Remove {u}</button> \
         <a class=\"button\" href=\"{PREFIX}admin\">Cancel</a></form></section>",
        u = esc(user),
        csrf = csrf_field(viewer.csrf),
    );
    layout("Remove user", Some(viewer), None, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn pages_carry_no_inline_script_or_style() {
        let page = login(Some("<b>"), "tok", "<i>");
        assert!(page.contains("&lt;b&gt;") && page.contains("&lt;i&gt;"));
        assert!(!page.contains("<b>") && !page.contains("<i>"));
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("<script src=\"/_web/app.js\" defer></script>"));
        assert!(!page.contains("style="));
        assert!(page.contains("name=\"viewport\""));
    }
}
