//! QR codes of collection URLs, so a phone's DAV app can be pointed at one by its camera. The
//! `qrcode` crate computes the module matrix; the SVG is drawn here as one path (a few hundred
//! bytes of markup, no image crate, nothing a Content-Security-Policy has to allow).

use std::fmt::Write as _;

use super::pages::esc;

/// An inline SVG of `text` as a QR code (error correction M), labelled for screen readers;
/// empty if the text is too long for a QR code.
pub fn svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let width = code.width();
    let colors = code.to_colors();
    // RFC-free but conventional: a quiet zone of four modules around the code.
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut path = String::with_capacity(width * width * 4);
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    format!(
        "<svg class=\"qr\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         width=\"176\" height=\"176\" role=\"img\" aria-label=\"QR code of {}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        esc(text)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_square_code() {
        let s = super::svg("http://127.0.0.1:5233/dav/calendars/alice/default/");
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(
            s.contains("viewBox=\"0 0 37 37\"") || s.contains("viewBox=\"0 0 41 41\""),
            "{s}"
        );
        assert!(s.matches('M').count() > 100);
    }
}
