//! Comment bodies: Markdown rendered to HTML, HTML sanitised with ammonia, and a plain-text twin.

/// The three renderings a comment carries on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    /// What the author wrote (Markdown), or the plain text of the HTML they sent.
    pub body: String,
    pub html_body: String,
    pub plain_body: String,
}

/// Renders a Markdown body. Raw HTML inside the Markdown goes through the sanitiser too.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    let parser = pulldown_cmark::Parser::new_ext(
        markdown,
        pulldown_cmark::Options::ENABLE_STRIKETHROUGH | pulldown_cmark::Options::ENABLE_TABLES,
    );
    let mut html = String::with_capacity(markdown.len() + 32);
    pulldown_cmark::html::push_html(&mut html, parser);
    let html_body = wrap(&sanitize_html(&html));
    let plain_body = html_to_plain(&html_body);
    RenderedBody { body: markdown.to_string(), html_body, plain_body }
}

/// Takes an HTML body from an API client or a mail, keeping only safe markup.
pub fn render_html(html: &str) -> RenderedBody {
    let html_body = wrap(&sanitize_html(html));
    let plain_body = html_to_plain(&html_body);
    RenderedBody { body: plain_body.clone(), html_body, plain_body }
}

fn wrap(inner: &str) -> String {
    format!("<div class=\"zd-comment\" dir=\"auto\">{}</div>", inner.trim_end())
}

/// Sanitises untrusted HTML: no scripts, no event handlers, links open safely, and no image
/// fetched from elsewhere (a tracking pixel would tell its sender who read the mail, when and
/// from where): an image keeps its source only when it is one of ours (a relative URL, such as
/// an attachment's; a mail's inline images are rewritten to theirs before this).
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_generic_attributes(["dir"])
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !local_source(value) {
                return None;
            }
            Some(value.into())
        })
        .clean(html)
        .to_string()
}

/// Whether an image source loads nothing from another host.
fn local_source(src: &str) -> bool {
    let src = src.trim();
    src.starts_with('/') && !src.starts_with("//") && !src.starts_with("/\\")
}

/// A plain-text rendering of sanitised HTML: tags dropped, block ends as new lines, entities
/// decoded.
pub fn html_to_plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        let closing = tag.starts_with('/');
        let block_end = closing
            && matches!(
                name,
                "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "tr" | "blockquote" | "pre"
            );
        if (name == "br" || block_end) && !out.ends_with('\n') {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(&decode_entities(rest));
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    lines.join("\n").trim().to_string()
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_images_are_never_fetched_but_ours_stay() {
        let r = render_html(
            "<p>Hi<img src=\"https://track.example/p.gif?u=1\"><img src=\"//cdn.example/x.png\">\
             <img src=\"HTTP://X/y\"><img src=\"/attachments/token/abc/?name=a.png\" alt=\"a\"></p>",
        );
        assert!(!r.html_body.contains("track.example") && !r.html_body.contains("cdn.example"), "{}", r.html_body);
        assert!(!r.html_body.contains("HTTP://"), "{}", r.html_body);
        assert!(r.html_body.contains("/attachments/token/abc/"), "{}", r.html_body);
        let md = render_markdown("![pixel](https://track.example/p.gif)");
        assert!(!md.html_body.contains("track.example"), "{}", md.html_body);
    }

    #[test]
    fn markdown_is_rendered_and_scripts_removed() {
        let r = render_markdown("**Olá**, tudo bem? <script>alert(1)</script> 請求書 🎉");
        assert!(r.html_body.contains("<strong>Olá</strong>"), "{}", r.html_body);
        assert!(!r.html_body.contains("script"), "{}", r.html_body);
        assert_eq!(r.body, "**Olá**, tudo bem? <script>alert(1)</script> 請求書 🎉");
        assert!(r.plain_body.starts_with("Olá, tudo bem?"), "{}", r.plain_body);
        assert!(r.plain_body.ends_with("請求書 🎉"), "{}", r.plain_body);
    }

    #[test]
    fn html_bodies_are_sanitised() {
        let r = render_html("<p onclick=\"x()\">Hi &amp; bye</p><img src=x onerror=alert(1)>");
        assert!(!r.html_body.contains("onclick") && !r.html_body.contains("onerror"), "{}", r.html_body);
        assert_eq!(r.plain_body, "Hi & bye");
    }
}
