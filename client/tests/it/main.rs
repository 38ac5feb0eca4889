//! The client's integration tests: the real provider and the client, in-process on free
//! ports, driven by a browser that follows every redirect by hand (the workspace's test kit,
//! `testkit`: [`testkit::apps`], [`testkit::user_agent`]).

mod callback_checks;
mod error_gallery;
mod flow_inspector;
mod head;
mod incremental_authorization;
mod lab;
mod lab_tokens;
mod login;
mod notes;
mod notes_inspector;
mod openid;
mod origin;
mod provider_trouble;
mod refresh;
mod request_log;
mod revocation;
mod service_example;
mod spa;
mod startup;
mod tokens_stay_server_side;
mod tolerant_reader;
mod unauthorized_retry;
// Robustness (docs/robustness.md): hostile input, a provider restart, shutdown.
mod hostile;
mod restart;
mod shutdown;
mod slow_requests;
mod small_rules;
