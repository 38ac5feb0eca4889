//! One struct per page, each rendering itself with its template in `provider/templates/`.
//!
//! Templates are compiled once, embedded in the binary (so it runs from any directory),
//! and autoescaped: every value a request carries is HTML-escaped when shown.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use tera::{Context, Tera};

static TEMPLATES: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        ("base.html", include_str!("../../templates/base.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("consent.html", include_str!("../../templates/consent.html")),
        ("account.html", include_str!("../../templates/account.html")),
        ("error.html", include_str!("../../templates/error.html")),
        (
            "end_session.html",
            include_str!("../../templates/end_session.html"),
        ),
        (
            "signed_out.html",
            include_str!("../../templates/signed_out.html"),
        ),
    ])
    .expect("the embedded templates are valid Tera (checked by the pages' unit tests)");
    tera
});

/// Renders `template` with `page` as its context, as an HTML response with `status`.
fn render<T: Serialize>(template: &str, page: &T, status: StatusCode) -> HttpResponse {
    let rendered =
        Context::from_serialize(page).and_then(|context| TEMPLATES.render(template, &context));
    match rendered {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(error) => {
            tracing::error!(template, error = %error, "template failed to render");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("The page could not be rendered.")
        }
    }
}

/// The login form (RFC 6749 §4.1.1: "the authorization server authenticates the resource
/// owner"). `request_id` names the pending authorization it continues, if any.
#[derive(Debug, Serialize)]
pub struct LoginPage {
    pub csrf_token: String,
    pub request_id: Option<String>,
    pub client_name: Option<String>,
    pub username: String,
    pub error: Option<String>,
}

impl LoginPage {
    pub fn into_response(self, status: StatusCode) -> HttpResponse {
        render("login.html", &self, status)
    }
}

/// One scope as the consent page lists it.
#[derive(Debug, Serialize)]
pub struct ScopeLine {
    pub name: &'static str,
    pub description: &'static str,
}

/// The consent page (RFC 6749 §4.1.1: "establishes whether the resource owner grants or
/// denies the client's access request").
#[derive(Debug, Serialize)]
pub struct ConsentPage {
    pub csrf_token: String,
    pub request_id: String,
    pub client_name: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub display_name: String,
    pub scopes: Vec<ScopeLine>,
}

impl ConsentPage {
    pub fn into_response(self) -> HttpResponse {
        render("consent.html", &self, StatusCode::OK)
    }
}

/// One token of a grant's family, as `/account` shows it.
#[derive(Debug, Serialize)]
pub struct TokenLine {
    pub kind: &'static str,
    pub fingerprint: String,
    pub status: &'static str,
    pub expires_in: String,
}

/// One grant on `/account`.
#[derive(Debug, Serialize)]
pub struct GrantLine {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<&'static str>,
    pub code_fingerprint: String,
    pub tokens: Vec<TokenLine>,
}

/// The signed-in user's grants, each with its own revoke form.
#[derive(Debug, Serialize)]
pub struct AccountPage {
    pub csrf_token: String,
    pub display_name: String,
    pub username: String,
    pub grants: Vec<GrantLine>,
    pub notice: Option<String>,
}

impl AccountPage {
    pub fn into_response(self) -> HttpResponse {
        render("account.html", &self, StatusCode::OK)
    }
}

/// "Sign out of the provider?" (RP-Initiated Logout 1.0 §2: the OP asks the user when the
/// request cannot be trusted). The form carries the already-checked request back, minus
/// the `id_token_hint` (a token is never put in a page), and is checked again on POST.
#[derive(Debug, Serialize)]
pub struct EndSessionPage {
    pub csrf_token: String,
    pub confirm_path: &'static str,
    pub client_name: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

impl EndSessionPage {
    pub fn into_response(self) -> HttpResponse {
        render("end_session.html", &self, StatusCode::OK)
    }
}

/// "You are signed out": the end of a logout that named no `post_logout_redirect_uri`.
#[derive(Debug, Serialize)]
pub struct SignedOutPage {}

impl SignedOutPage {
    pub fn into_response(self) -> HttpResponse {
        render("signed_out.html", &self, StatusCode::OK)
    }
}

/// A friendly error page.
#[derive(Debug, Serialize)]
pub struct ErrorPage {
    #[serde(skip)]
    status: StatusCode,
    pub status_code: u16,
    pub title: String,
    pub message: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, title: &str, message: &str) -> Self {
        Self {
            status,
            status_code: status.as_u16(),
            title: title.to_owned(),
            message: message.to_owned(),
        }
    }

    pub fn into_response(self) -> HttpResponse {
        render("error.html", &self, self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        for name in [
            "base.html",
            "login.html",
            "consent.html",
            "account.html",
            "error.html",
            "end_session.html",
            "signed_out.html",
        ] {
            assert!(TEMPLATES.get_template_names().any(|t| t == name), "{name}");
        }
    }

    #[test]
    fn reflected_values_are_html_escaped() {
        let page = LoginPage {
            csrf_token: "t".into(),
            request_id: Some("\"><script>alert(1)</script>".into()),
            client_name: None,
            username: "<b>x</b>".into(),
            error: None,
        };
        let context = Context::from_serialize(&page).expect("serialises");
        let html = TEMPLATES.render("login.html", &context).expect("renders");
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("<b>x</b>"));
    }
}
