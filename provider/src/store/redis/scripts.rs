//! The Redis store's Lua scripts: each change that must not race is one script, and Redis
//! runs one script at a time, so each holds across any number of provider instances (the
//! atomicity behind RFC 6749 §4.1.2's single-use code and RFC 9700 §4.14.2's rotation).
//! The scripts live beside this file, one `.lua` file each, with the comments that say what
//! `KEYS` and `ARGV` hold and what each returns; this file names them and joins each to the
//! helpers it calls.

use redis::Script;

/// *Mark the code used if unused*, and start the family with its first pair
/// (`commit_code.lua`).
pub const COMMIT_CODE: &str = include_str!("commit_code.lua");

/// `extend` and `add_tokens`, for the scripts that add tokens (`token_helpers.lua`).
const TOKEN_HELPERS: &str = include_str!("token_helpers.lua");

/// `revoke_family`: delete a family's tokens, its set and its grant (`revoke_helper.lua`).
const REVOKE_HELPER: &str = include_str!("revoke_helper.lua");

/// *Delete the grant, its family set and every token in it* (`revoke_grant.lua`).
pub const REVOKE_GRANT: &str = include_str!("revoke_grant.lua");

/// *Compare-and-set on the family's generation*: replace the refresh token, and the access
/// token of the new one's audience, only if nobody rotated this generation first
/// (`commit_rotation.lua`).
pub const COMMIT_ROTATION: &str = include_str!("commit_rotation.lua");

/// Writes a new grant and its code together (`start_grant.lua`).
pub const START_GRANT: &str = include_str!("start_grant.lua");

/// *Get-or-insert* the key set that signs ID tokens (`signing_keys_or_insert.lua`).
pub const SIGNING_KEYS_OR_INSERT: &str = include_str!("signing_keys_or_insert.lua");

/// *Compare-and-set on the key set's version* after a rotation (`replace_signing_keys.lua`).
pub const REPLACE_SIGNING_KEYS: &str = include_str!("replace_signing_keys.lua");

/// Every script, ready to run: `redis::Script` sends `EVALSHA` and falls back to `EVAL` when
/// a restarted Redis has forgotten the script.
pub(super) struct Scripts {
    pub(super) commit_code: Script,
    pub(super) commit_rotation: Script,
    pub(super) revoke_grant: Script,
    pub(super) start_grant: Script,
    pub(super) signing_keys_or_insert: Script,
    pub(super) replace_signing_keys: Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        // A script's helpers go first: Lua defines a local function before its callers.
        let with =
            |helpers: &[&str], body: &str| Script::new(&format!("{}{body}", helpers.concat()));
        Scripts {
            commit_code: with(&[TOKEN_HELPERS], COMMIT_CODE),
            commit_rotation: with(&[TOKEN_HELPERS], COMMIT_ROTATION),
            revoke_grant: with(&[REVOKE_HELPER], REVOKE_GRANT),
            start_grant: with(&[TOKEN_HELPERS], START_GRANT),
            signing_keys_or_insert: Script::new(SIGNING_KEYS_OR_INSERT),
            replace_signing_keys: Script::new(REPLACE_SIGNING_KEYS),
        }
    }
}
