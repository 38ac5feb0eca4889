//! The client's pages: one struct per page, each rendering its own tera template.
//!
//! Templates live in `client/templates/` (`base.html` plus one per page, same names), in
//! ONE registry for the whole app, embedded at compile time with `include_str!` anchored at
//! the crate's manifest dir, so the binary runs from any directory. Names end in `.html`, so
//! tera escapes every value: a display name or an error description from the provider cannot
//! inject markup.
//!
//! The page structs of the signed-in app are here; the others live beside their route
//! ([`crate::routes::spa::SpaPage`], the lab's and the gallery's in [`crate::routes::lab`])
//! and render through the same [`Page`] trait and registry.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;
use tera::{Context, Tera};

use crate::flow::Step;

macro_rules! template {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/", $name)),
        )
    };
}

/// Every template of the app, parsed once.
static TEMPLATES: LazyLock<Tera> = LazyLock::new(|| {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        template!("base.html"),
        template!("notes.html"),
        template!("discover.html"),
        template!("home.html"),
        template!("error.html"),
        template!("flow.html"),
        template!("spa.html"),
        template!("lab_steps.html"),
        template!("lab.html"),
        template!("errors.html"),
    ])
    // Invariant: the templates are compiled into the binary and unit tests render each
    // one, so a template that does not parse never ships.
    .expect("invariant: the embedded templates parse");
    tera
});

/// A page: serialisable data plus the template that shows it.
pub trait Page: Serialize {
    const TEMPLATE: &'static str;

    /// The HTML, or tera's error.
    fn try_render(&self) -> Result<String, tera::Error> {
        Context::from_serialize(self).and_then(|context| TEMPLATES.render(Self::TEMPLATE, &context))
    }

    /// The HTML. A rendering failure is a bug here; it is logged and a bare page is shown.
    fn render(&self) -> String {
        self.try_render()
            .unwrap_or_else(|error| {
                tracing::error!(template = Self::TEMPLATE, error = format!("{error:?}"), "template failed");
                "<!doctype html><title>Error</title><p>This page could not be shown. <a href=\"/\">Home</a></p>"
                    .to_owned()
            })
    }
}

/// An HTML response for a page.
pub fn html_response(status: StatusCode, page: &impl Page) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render())
}

/// A link offered to go on.
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub href: String,
    pub label: String,
}

/// Every failure's page: what happened, the check that failed or the OAuth error code, and
/// where to go on.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorPage {
    pub status: u16,
    pub title: String,
    pub text: String,
    /// The check that failed, in the words tests and learners look for ("state mismatch").
    pub check: Option<String>,
    /// The OAuth error code, e.g. `access_denied`.
    pub code: Option<String>,
    pub description: Option<String>,
    pub links: Vec<Link>,
}

impl ErrorPage {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            title: String::new(),
            text: String::new(),
            check: None,
            code: None,
            description: None,
            links: vec![Link {
                href: "/".into(),
                label: "Back to the home page".into(),
            }],
        }
    }

    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    pub fn check(mut self, check: impl Into<String>) -> Self {
        self.check = Some(check.into());
        self
    }

    pub fn code(mut self, code: &str, description: Option<&str>) -> Self {
        self.code = Some(code.to_owned());
        self.description = description.map(str::to_owned);
        self
    }

    pub fn login_link(mut self) -> Self {
        self.links.push(Link {
            href: "/login".into(),
            label: "Log in with the provider".into(),
        });
        self
    }
}

impl Page for ErrorPage {
    const TEMPLATE: &'static str = "error.html";
}

/// A message shown once on the home page (after a refresh, a logout, a revoked session).
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// `ok` or `error`: the card's colour.
    pub kind: &'static str,
    pub title: String,
    pub text: String,
}

impl Notice {
    pub fn ok(title: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            kind: "ok",
            title: title.into(),
            text: text.into(),
        }
    }

    pub fn error(title: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            kind: "error",
            title: title.into(),
            text: text.into(),
        }
    }
}

/// `/`: signed out, what the app is and a login button; signed in, what it knows.
#[derive(Debug, Clone, Serialize)]
pub struct HomePage {
    pub auth_server: String,
    pub client_id: String,
    pub requested_scopes: Vec<String>,
    pub notice: Option<Notice>,
    pub signed_in: Option<SignedIn>,
}

/// The signed-in part of the home page.
#[derive(Debug, Clone, Serialize)]
pub struct SignedIn {
    pub csrf_token: String,
    /// Who signed in (`iss` + `sub`), and where the app learned it.
    pub identity: Option<IdentityView>,
    pub profile: Option<shared::profile::Profile>,
    /// Why the profile is missing (scope not granted, refused).
    pub profile_problem: Option<String>,
    /// With an OpenID Provider, the UserInfo claims (or why there are none).
    pub userinfo: Option<UserInfoView>,
    pub teams: Vec<TeamView>,
    pub teams_problem: Option<String>,
    /// Whether `teams:write` was granted (team management forms shown).
    pub can_manage_teams: bool,
    /// Scopes of the contract this grant lacks, each with an "ask for it" link.
    pub missing_scopes: Vec<MissingScope>,
    pub token: TokenFacts,
    pub introspection: Option<IntrospectionView>,
    /// The notes API's section (`templates/notes.html`); `None` when `SCOPES` does not ask
    /// for `notes:read`.
    pub notes: Option<NotesView>,
}

/// The notes section: the user's notes at the notes API, or why they cannot be shown.
#[derive(Debug, Clone, Serialize)]
pub struct NotesView {
    pub api_url: String,
    pub notes: Vec<NoteView>,
    /// Whether the API answered the list (the add form is shown then).
    pub reachable: bool,
    /// What went wrong, in a sentence: the page stays up and says it.
    pub problem: Option<String>,
}

/// One note's text, escaped by tera like every value.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    pub text: String,
}

/// A team and its members.
#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub id: String,
    /// The id percent-encoded for the form actions' paths.
    pub path_id: String,
    pub name: String,
    pub role: String,
    pub members: Vec<MemberView>,
    pub members_problem: Option<String>,
}

/// A team member, with the username percent-encoded for the remove form's path.
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub username: String,
    pub path_username: String,
    pub role: String,
}

/// A scope not granted, offered through incremental authorization.
#[derive(Debug, Clone, Serialize)]
pub struct MissingScope {
    pub name: String,
    pub description: String,
    pub login_href: String,
}

/// Who signed in: `iss` + `sub` (OpenID Connect Core §2), from the ID token or, with a plain
/// OAuth provider, from the profile API.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityView {
    pub issuer: String,
    pub subject: String,
    /// Where it came from, in a few words ("the ID token", "the profile API").
    pub source: String,
    /// Why that source, in one sentence.
    pub why: String,
}

/// The claims from UserInfo (OpenID Connect Core §5.3), shown only when their `sub` is the
/// ID token's (§5.3.4).
#[derive(Debug, Clone, Serialize)]
pub struct UserInfoView {
    pub endpoint: String,
    /// `name`, for the page's title.
    pub name: Option<String>,
    /// `(claim, value)` rows; empty when there is a problem.
    pub claims: Vec<(String, String)>,
    /// Why some or all claims are not shown.
    pub problem: Option<String>,
}

/// What the client knows about its tokens (never the tokens themselves).
#[derive(Debug, Clone, Serialize)]
pub struct TokenFacts {
    pub scopes: Vec<String>,
    /// Unix seconds, for the countdown script.
    pub expires_at: Option<u64>,
    pub expires_in: Option<i64>,
    pub has_refresh_token: bool,
    pub access_fingerprint: String,
    pub refresh_fingerprint: Option<String>,
    /// `authorization_code` or `refresh_token`: the grant that produced the access token.
    pub obtained_by: String,
    /// How many refreshes since login.
    pub refreshes: u64,
}

/// The provider's introspection answer, for display.
#[derive(Debug, Clone, Serialize)]
pub struct IntrospectionView {
    pub active: bool,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub exp: Option<i64>,
    pub problem: Option<String>,
}

impl Page for HomePage {
    const TEMPLATE: &'static str = "home.html";
}

/// `/discover`: from the API's URL alone to its authorization server (RFC 9728 §5).
#[derive(Debug, Clone, Serialize)]
pub struct DiscoverPage {
    pub api_url: String,
    pub hops: Vec<DiscoveryHopView>,
    pub problem: Option<String>,
    pub problem_step: usize,
    pub discovered: Option<DiscoveredView>,
    pub configured_issuer: String,
    pub same_as_configured: bool,
}

/// One hop of `/discover`: its title and the request as it went over the wire.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveryHopView {
    pub title: String,
    pub wire: crate::wire::WireRecord,
}

/// What `/discover` found.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveredView {
    pub issuer: String,
    pub resource: String,
    pub scopes_supported: Vec<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

impl Page for DiscoverPage {
    const TEMPLATE: &'static str = "discover.html";
}

/// `/flow`: the inspector.
#[derive(Debug, Clone, Serialize)]
pub struct FlowPage {
    pub discovery: Option<Step>,
    pub login_steps: Vec<Step>,
    pub dropped: usize,
    pub later_steps: Vec<Step>,
    pub client_id: String,
    pub redirect_uri: String,
}

impl Page for FlowPage {
    const TEMPLATE: &'static str = "flow.html";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Step;
    use crate::wire::Masker;

    fn facts() -> TokenFacts {
        TokenFacts {
            scopes: vec!["profile:read".into()],
            expires_at: Some(1),
            expires_in: Some(1),
            has_refresh_token: true,
            access_fingerprint: "0123abcd".into(),
            refresh_fingerprint: Some("4567ef01".into()),
            obtained_by: "authorization_code".into(),
            refreshes: 0,
        }
    }

    #[test]
    fn every_page_renders_and_escapes_what_the_provider_sends() {
        let render = |page: &dyn Fn() -> Result<String, tera::Error>| {
            page().unwrap_or_else(|error| panic!("{error:?}"))
        };
        let error = render(&|| {
            ErrorPage::new(400)
                .title("t")
                .text("<script>")
                .code("access_denied", Some("no"))
                .try_render()
        });
        assert!(error.contains("access_denied") && error.contains("&lt;script&gt;"));
        assert!(error.contains("You are on the CLIENT app"));

        let home = render(&|| {
            HomePage {
                auth_server: "http://p".into(),
                client_id: "c".into(),
                requested_scopes: vec![],
                notice: Some(Notice::ok("n", "t")),
                signed_in: Some(SignedIn {
                    identity: Some(IdentityView {
                        issuer: "http://p".into(),
                        subject: "<i>sub</i>".into(),
                        source: "from the ID token".into(),
                        why: "w".into(),
                    }),
                    csrf_token: "csrf".into(),
                    profile: Some(shared::profile::Profile {
                        id: "1".into(),
                        username: "demo".into(),
                        email: "d@e".into(),
                        display_name: "<b>Demo</b>".into(),
                    }),
                    profile_problem: None,
                    userinfo: None,
                    teams: vec![TeamView {
                        id: "t1".into(),
                        path_id: "t1".into(),
                        name: "Team".into(),
                        role: "admin".into(),
                        members: vec![],
                        members_problem: None,
                    }],
                    teams_problem: None,
                    can_manage_teams: true,
                    missing_scopes: vec![],
                    token: facts(),
                    introspection: None,
                    notes: Some(NotesView {
                        api_url: "http://api".into(),
                        notes: vec![NoteView {
                            text: "<script>note</script>".into(),
                        }],
                        reachable: true,
                        problem: None,
                    }),
                }),
            }
            .try_render()
        });
        assert!(
            home.contains("&lt;script&gt;note") && !home.contains("<script>note"),
            "a note's text is escaped: {home}"
        );
        assert!(
            home.contains("&lt;b&gt;Demo")
                && !home.contains("<b>Demo")
                && home.contains("&lt;i&gt;sub")
                && !home.contains("<i>sub"),
            "{home}"
        );

        let raw = crate::wire::RawExchange {
            method: "POST".into(),
            url: "http://p/oauth/token".into(),
            request_headers: vec![],
            request_body: b"code=abcdefgh".to_vec(),
            response: Err("refused".into()),
        };
        let flow = render(&|| {
            FlowPage {
                discovery: Some(Step::discovery("RFC 8414 metadata")),
                login_steps: vec![Step::token_request().wire(Masker::new().record(&raw))],
                dropped: 2,
                later_steps: vec![Step::introspection()],
                client_id: "c".into(),
                redirect_uri: "http://c/callback".into(),
            }
            .try_render()
        });
        assert!(
            flow.contains("abcd…") && !flow.contains("abcdefgh"),
            "{flow}"
        );
        assert!(flow.contains("exchange_code"));
    }
}
