//! The attack lab's cards (`/lab`): attacks on the authorization code flow, the APIs it opens
//! and the signed tokens it carries (ID tokens, JWT access tokens), each performed for real,
//! each refused for a reason an RFC names. One file per card; this module is the catalogue.
//!
//! | # | card | attack | refused by | RFC |
//! |---|---|---|---|---|
//! | 1 | [`code_replay`] | replaying an authorization code | provider | RFC 6749 §4.1.2, §10.5 |
//! | 2 | [`login_csrf`] | login CSRF: a `state` this browser never started | client | RFC 6749 §10.12 |
//! | 3 | [`stolen_code`] | a stolen code without (or with a wrong) PKCE verifier | provider | RFC 7636 §4.6 |
//! | 4 | [`refresh_reuse`] | reusing a rotated refresh token | provider | RFC 9700 §4.14.2 |
//! | 5 | [`open_redirect`] | a redirect to an unregistered URI | provider | RFC 6749 §4.1.2.1, RFC 9700 §4.1.3 |
//! | 6 | [`scope_widening`] | widening the scope on refresh | provider | RFC 6749 §6 |
//! | 7 | [`token_in_query`] | a bearer token in the query string | provider | RFC 6750 §2.3, §5.3 |
//! | 8 | [`mix_up`] | mix-up: an `iss` that is not the provider's | client | RFC 9207 §2.4 |
//! | 9 | [`scope_not_permission`] | a scope is not a permission: a plain member adding an admin | provider | RFC 6749 §3.3 |
//! | 10 | [`id_token_audience`] | an ID token issued to another client (`aud`) | client | Core §3.1.3.7 step 3 |
//! | 11 | [`id_token_nonce`] | a replayed `nonce`, and a missing one | client | Core §3.1.3.7 step 11 |
//! | 12 | [`id_token_alg_none`] | an unsigned ID token, `alg: none` | client | Core §3.1.3.7 step 7, RFC 8725 §3.1 |
//! | 13 | [`id_token_alg_confusion`] | an RS256 public key as an HS256 secret | client | RFC 8725 §2.1, §3.1 |
//! | 14 | [`id_token_expired`] | an expired ID token | client | Core §3.1.3.7 step 9 |
//! | 15 | [`id_token_unknown_kid`] | a `kid` the JWK Set does not have | client | RFC 7515 §4.1.4, Core §10.1.1 |
//! | 16 | [`id_token_as_access_token`] | an ID token as a bearer token | provider, notes API | RFC 9068 §4 (`typ`) |
//! | 17 | [`access_token_alg_none`] | an unsigned access token | notes API | RFC 9068 §4, RFC 8725 §3.1 |
//! | 18 | [`access_token_alg_confusion`] | the RSA public key as an HMAC secret | notes API | RFC 8725 §2.1 |
//! | 19 | [`access_token_attacker_key`] | `jwk`/`jku`/`kid` naming the attacker's key | notes API | RFC 8725 §3.10 |
//! | 20 | [`access_token_audience`] | a token for the provider's API at the notes API | notes API | RFC 9068 §4, RFC 8707 §2 |
//! | 21 | [`access_token_expired`] | an expired access token | notes API | RFC 9068 §4 |
//! | 22 | [`access_token_revoked`] | the honest card: a revoked JWT works until `exp` | (nobody) | RFC 9068 §1, RFC 7662 §2.2 |
//!
//! Every card file has the same two functions: `card()`, the text of its card (what the
//! attacker wants, what the button does, why it fails, the RFC sections, the files and
//! functions that refuse it), and `run()`, the attack itself, built from the steps of
//! [`crate::lab::harness`]. [`CATALOGUE`] puts them in the order of the page.
//!
//! Cards 2 and 8 are defences of this client, so they run twice: against the real
//! `/callback` over HTTP, and against [`crate::lab::naive_callback`], where they succeed.
//! Card 9 runs twice too: against the provider's team API, and against
//! [`crate::lab::naive_team_api`], which checks the scope only.
//!
//! Cards 10–22 attack signed tokens ([`crate::lab::forge`] makes them). Each runs against the
//! real check and against a deliberately naive validator: [`crate::lab::naive_id_token`] for
//! ID tokens (the real one is the client's `oauth::id_token::validate`, in-process), and
//! [`crate::lab::naive_access_token`] for access tokens (the real one is the running notes API
//! at `API_URL`, over HTTP; where the attack needs a token properly signed by the issuer, its
//! `validate` in-process, trusting [`crate::lab::fake_issuer`]).

pub mod access_token_alg_confusion;
pub mod access_token_alg_none;
pub mod access_token_attacker_key;
pub mod access_token_audience;
pub mod access_token_expired;
pub mod access_token_revoked;
pub mod code_replay;
pub mod id_token_alg_confusion;
pub mod id_token_alg_none;
pub mod id_token_as_access_token;
pub mod id_token_audience;
pub mod id_token_expired;
pub mod id_token_nonce;
pub mod id_token_unknown_kid;
pub mod login_csrf;
pub mod mix_up;
pub mod open_redirect;
pub mod refresh_reuse;
pub mod scope_not_permission;
pub mod scope_widening;
pub mod stolen_code;
pub mod token_in_query;

use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::flow::{CodeRef, RfcLink};
use crate::lab::harness::LabContext;
use crate::lab::transcript::LabStep;
use crate::lab::{LabError, code};

/// The deliberately naive callback that cards 2 and 8 also run against.
pub const NAIVE_CALLBACK: CodeRef = code("client/src/lab/naive_callback.rs", "naive_callback");

/// One card of the lab: the attack, what it wants, and what refuses it.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// The path segment of its button: `POST /lab/{id}`.
    pub id: &'static str,
    pub number: usize,
    pub title: &'static str,
    /// What the attacker wants.
    pub wants: &'static str,
    /// What the button does, for real.
    pub does: &'static str,
    /// Why it fails: the defence in a few sentences.
    pub defence: &'static str,
    /// `provider` or `client`: whose defence this is.
    pub defended_by: &'static str,
    pub rfcs: Vec<RfcLink>,
    /// The files and functions that refuse it.
    pub refused_by: Vec<CodeRef>,
    /// For client-side defences: the naive handler the attack also runs against.
    pub naive: Option<CodeRef>,
    /// A setting that changes the outcome, and what it does.
    pub setting: Option<&'static str>,
}

/// The outcome of the decisive request: refused or not, and the reason given.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub refused: bool,
    pub status: Option<u16>,
    /// The RFC error code (`invalid_grant`) or, for the client's own checks, the check that
    /// failed (`state mismatch`).
    pub code: Option<String>,
    pub description: Option<String>,
    /// One sentence: what happened.
    pub summary: String,
}

/// The run against the deliberately naive handler (callback or team API).
#[derive(Debug, Clone, Serialize)]
pub struct NaiveReport {
    pub steps: Vec<LabStep>,
    pub succeeded: bool,
    pub summary: String,
}

/// Everything a run shows on its card.
#[derive(Debug, Clone, Serialize)]
pub struct AttackReport {
    pub verdict: Verdict,
    pub steps: Vec<LabStep>,
    /// What the run proved afterwards ("the first access token is now inactive").
    pub consequences: Vec<String>,
    pub naive: Option<NaiveReport>,
}

/// A card's attack, performed against the provider of `ctx`.
pub type Attack =
    for<'c> fn(&'c LabContext<'c>) -> LocalBoxFuture<'c, Result<AttackReport, LabError>>;

/// One row of the catalogue: a card's text and the attack its button performs.
pub struct Entry {
    pub card: fn() -> Card,
    pub attack: Attack,
}

/// Every card, in the order of the page.
pub const CATALOGUE: [Entry; 22] = [
    Entry {
        card: code_replay::card,
        attack: |ctx| Box::pin(code_replay::run(ctx)),
    },
    Entry {
        card: login_csrf::card,
        attack: |ctx| Box::pin(login_csrf::run(ctx)),
    },
    Entry {
        card: stolen_code::card,
        attack: |ctx| Box::pin(stolen_code::run(ctx)),
    },
    Entry {
        card: refresh_reuse::card,
        attack: |ctx| Box::pin(refresh_reuse::run(ctx)),
    },
    Entry {
        card: open_redirect::card,
        attack: |ctx| Box::pin(open_redirect::run(ctx)),
    },
    Entry {
        card: scope_widening::card,
        attack: |ctx| Box::pin(scope_widening::run(ctx)),
    },
    Entry {
        card: token_in_query::card,
        attack: |ctx| Box::pin(token_in_query::run(ctx)),
    },
    Entry {
        card: mix_up::card,
        attack: |ctx| Box::pin(mix_up::run(ctx)),
    },
    Entry {
        card: scope_not_permission::card,
        attack: |ctx| Box::pin(scope_not_permission::run(ctx)),
    },
    Entry {
        card: id_token_audience::card,
        attack: |ctx| Box::pin(id_token_audience::run(ctx)),
    },
    Entry {
        card: id_token_nonce::card,
        attack: |ctx| Box::pin(id_token_nonce::run(ctx)),
    },
    Entry {
        card: id_token_alg_none::card,
        attack: |ctx| Box::pin(id_token_alg_none::run(ctx)),
    },
    Entry {
        card: id_token_alg_confusion::card,
        attack: |ctx| Box::pin(id_token_alg_confusion::run(ctx)),
    },
    Entry {
        card: id_token_expired::card,
        attack: |ctx| Box::pin(id_token_expired::run(ctx)),
    },
    Entry {
        card: id_token_unknown_kid::card,
        attack: |ctx| Box::pin(id_token_unknown_kid::run(ctx)),
    },
    Entry {
        card: id_token_as_access_token::card,
        attack: |ctx| Box::pin(id_token_as_access_token::run(ctx)),
    },
    Entry {
        card: access_token_alg_none::card,
        attack: |ctx| Box::pin(access_token_alg_none::run(ctx)),
    },
    Entry {
        card: access_token_alg_confusion::card,
        attack: |ctx| Box::pin(access_token_alg_confusion::run(ctx)),
    },
    Entry {
        card: access_token_attacker_key::card,
        attack: |ctx| Box::pin(access_token_attacker_key::run(ctx)),
    },
    Entry {
        card: access_token_audience::card,
        attack: |ctx| Box::pin(access_token_audience::run(ctx)),
    },
    Entry {
        card: access_token_expired::card,
        attack: |ctx| Box::pin(access_token_expired::run(ctx)),
    },
    Entry {
        card: access_token_revoked::card,
        attack: |ctx| Box::pin(access_token_revoked::run(ctx)),
    },
];

/// Every card's text, in the order of the page.
pub fn cards() -> Vec<Card> {
    CATALOGUE.iter().map(|entry| (entry.card)()).collect()
}

/// The card with this id.
pub fn card(id: &str) -> Option<Card> {
    cards().into_iter().find(|card| card.id == id)
}

/// Runs the card `id`'s attack. `None` if there is no such card.
pub async fn run(id: &str, ctx: &LabContext<'_>) -> Option<Result<AttackReport, LabError>> {
    let entry = CATALOGUE.iter().find(|entry| (entry.card)().id == id)?;
    Some((entry.attack)(ctx).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_numbers_its_cards_in_page_order_with_distinct_ids() {
        let cards = cards();
        for (index, card) in cards.iter().enumerate() {
            assert_eq!(card.number, index + 1, "{}", card.id);
            assert_eq!(card.id, card.id.trim().to_lowercase(), "{}", card.id);
        }
        let mut ids: Vec<_> = cards.iter().map(|card| card.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), cards.len());
    }
}
