//! Dockerfile / Containerfile rules, on the parsed instructions and stages.

pub mod add_url;
pub mod named_user_scratch;
pub mod root_user;
pub mod run_in_scratch;
pub mod secret_in_arg_env;
pub mod setuid_chmod;
pub mod shell_form_scratch;
pub mod unpinned_base;

use crate::lint::finding::{Check, Rule};
use crate::lint::parse::dockerfile::Dockerfile;

pub type DockerfileRule = (&'static Rule, fn(&Dockerfile, &mut Check));

pub static RULES: &[DockerfileRule] = &[
    (&root_user::RULE, root_user::check),
    (&named_user_scratch::RULE, named_user_scratch::check),
    (&run_in_scratch::RULE, run_in_scratch::check),
    (&shell_form_scratch::RULE, shell_form_scratch::check),
    (&setuid_chmod::RULE, setuid_chmod::check),
    (&secret_in_arg_env::RULE, secret_in_arg_env::check),
    (&add_url::RULE, add_url::check),
    (&unpinned_base::RULE, unpinned_base::check),
];
