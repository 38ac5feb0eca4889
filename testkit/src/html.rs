//! Reading a page the way a browser does, just enough to fill the provider's forms: the
//! login form (RFC 6749 §4.1.1 leaves user authentication to the server) and the consent
//! form carry a CSRF token and the pending request's id in hidden inputs; a test must send
//! them back, as a browser would, or it tests nothing but the CSRF check.
//!
//! [`hidden_input`] finds one field; [`first_post_form`] reads a whole form (its `action` and
//! every hidden field) for drivers that know nothing of the page. Values come back with
//! Tera's HTML escapes undone ([`decode_entities`]).

/// The `value` of `<input type="hidden" name="NAME" value="...">`, by string scanning: the
/// first `<input` tag naming `name`, whatever the attribute order.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let tag_end = rest[start..].find('>')? + start;
        let tag = &rest[start..tag_end];
        if tag.contains(&needle) {
            let value_start = tag.find("value=\"")? + "value=\"".len();
            let value_end = tag[value_start..].find('"')? + value_start;
            return Some(decode_entities(&tag[value_start..value_end]));
        }
        rest = &rest[tag_end..];
    }
    None
}

/// The text of the first `<code>` after `label` in `html` (the client's home page shows
/// token fingerprints this way, never the tokens).
pub fn code_after(html: &str, label: &str) -> Option<String> {
    let start = html.find(label)? + label.len();
    let open = html[start..].find("<code>")? + start + "<code>".len();
    let close = html[open..].find("</code>")? + open;
    Some(html[open..close].to_owned())
}

/// What a person reads on the page: the `<body>`'s text, tags dropped, whitespace collapsed,
/// escapes undone. For failure messages: an error page's head is all styles and metadata.
pub fn visible_text(html: &str) -> String {
    let body = html.find("<body").map_or(html, |start| &html[start..]);
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for character in body.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    decode_entities(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A form as a browser would submit it, before the person's own fields are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The `action` attribute, if any (a form without one posts to the page's own URL).
    pub action: Option<String>,
    /// Every `<input type="hidden">` with a name, in page order.
    pub hidden: Vec<(String, String)>,
}

/// The first form in `html` whose method is POST.
pub fn first_post_form(html: &str) -> Option<Form> {
    let mut rest = html;
    while let Some(start) = find_tag(rest, "form") {
        let (tag, after) = split_tag(&rest[start..])?;
        let attributes = attributes(tag);
        let end = after.find("</form").unwrap_or(after.len());
        if attribute(&attributes, "method")
            .is_some_and(|method| method.eq_ignore_ascii_case("post"))
        {
            return Some(Form {
                action: attribute(&attributes, "action").map(str::to_owned),
                hidden: hidden_inputs(&after[..end]),
            });
        }
        rest = &after[end..];
    }
    None
}

fn hidden_inputs(body: &str) -> Vec<(String, String)> {
    let mut inputs = Vec::new();
    let mut rest = body;
    while let Some(start) = find_tag(rest, "input") {
        let Some((tag, after)) = split_tag(&rest[start..]) else {
            break;
        };
        let attributes = attributes(tag);
        let hidden =
            attribute(&attributes, "type").is_some_and(|kind| kind.eq_ignore_ascii_case("hidden"));
        if let (true, Some(name)) = (hidden, attribute(&attributes, "name")) {
            let value = attribute(&attributes, "value").unwrap_or_default();
            inputs.push((name.to_owned(), value.to_owned()));
        }
        rest = after;
    }
    inputs
}

/// The byte offset of the next `<name` tag (followed by a space, `>` or `/`).
fn find_tag(html: &str, name: &str) -> Option<usize> {
    let lower = html.to_ascii_lowercase();
    let needle = format!("<{name}");
    let mut from = 0;
    while let Some(found) = lower[from..].find(&needle) {
        let at = from + found;
        match lower.as_bytes().get(at + needle.len()) {
            Some(b' ' | b'>' | b'/' | b'\n' | b'\t' | b'\r') => return Some(at),
            _ => from = at + needle.len(),
        }
    }
    None
}

/// Splits `<tag ...>rest` into the tag's inside and what follows it.
fn split_tag(html: &str) -> Option<(&str, &str)> {
    let end = html.find('>')?;
    Some((&html[1..end], &html[end + 1..]))
}

/// `name="value"` pairs of a tag (quoted with `"` or `'`, or bare), values unescaped.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = tag.char_indices().peekable();
    // Skip the tag name.
    while chars.next_if(|(_, c)| !c.is_whitespace()).is_some() {}
    loop {
        while chars
            .next_if(|(_, c)| c.is_whitespace() || *c == '/')
            .is_some()
        {}
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut end = start;
        while let Some((index, c)) = chars.next_if(|(_, c)| !c.is_whitespace() && *c != '=') {
            end = index + c.len_utf8();
        }
        let name = tag[start..end].to_ascii_lowercase();
        if name.is_empty() {
            chars.next();
            continue;
        }
        if chars.next_if(|(_, c)| *c == '=').is_none() {
            pairs.push((name, String::new()));
            continue;
        }
        let value = match chars.peek().map(|&(_, c)| c) {
            Some(quote @ ('"' | '\'')) => {
                chars.next();
                let mut value = String::new();
                for (_, c) in chars.by_ref() {
                    if c == quote {
                        break;
                    }
                    value.push(c);
                }
                value
            }
            _ => {
                let mut value = String::new();
                while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                    value.push(c);
                }
                value
            }
        };
        pairs.push((name, decode_entities(&value)));
    }
    pairs
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The character references Tera's autoescape writes (`&amp; &lt; &gt; &quot; &#x27; &#x2F;`)
/// and their decimal forms.
pub fn decode_entities(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else {
            break;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<html><body>
<form method="get" action="/search"><input type="hidden" name="q" value="x"></form>
<form method="post" action="/login">
    <input type="hidden" name="csrf_token" value="abc_-123">
    <input type="hidden" name="request_id" value="r&#x2F;1&amp;2">
    <input type="text" id="username" name="username" value="" required autofocus>
    <input type="password" name="password" required>
    <div><button type="submit">Sign in</button></div>
</form></body></html>"#;

    #[test]
    fn visible_text_is_the_body_without_tags_or_styles() {
        let page = "<html><head><style>p { color: red }</style></head>\n<body><h1>The provider \
                    cannot be reached</h1>\n  <p>At http:&#x2F;&#x2F;x (connection refused).</p></body>";
        assert_eq!(
            visible_text(page),
            "The provider cannot be reached At http://x (connection refused)."
        );
    }

    #[test]
    fn the_first_post_form_gives_its_action_and_hidden_fields_unescaped() {
        let form = first_post_form(LOGIN).expect("the page has a POST form");
        assert_eq!(form.action.as_deref(), Some("/login"));
        assert_eq!(
            form.hidden,
            vec![
                ("csrf_token".to_owned(), "abc_-123".to_owned()),
                ("request_id".to_owned(), "r/1&2".to_owned()),
            ]
        );
    }

    #[test]
    fn a_hidden_input_is_found_whatever_the_attribute_order_and_unescaped() {
        assert_eq!(hidden_input(LOGIN, "request_id").as_deref(), Some("r/1&2"));
        let reordered = r#"<input value="v&#x27;1" type="hidden" name="state">"#;
        assert_eq!(hidden_input(reordered, "state").as_deref(), Some("v'1"));
        assert_eq!(hidden_input(LOGIN, "decision"), None);
    }

    #[test]
    fn a_page_without_a_post_form_gives_none() {
        assert_eq!(
            first_post_form("<p>no form</p><form method=get></form>"),
            None
        );
    }

    #[test]
    fn bare_and_single_quoted_attributes_are_read() {
        let form = first_post_form(
            "<FORM METHOD=POST action='/x'><input type=hidden name=a value=b></FORM>",
        )
        .expect("a POST form");
        assert_eq!(form.action.as_deref(), Some("/x"));
        assert_eq!(form.hidden, vec![("a".to_owned(), "b".to_owned())]);
    }
}
