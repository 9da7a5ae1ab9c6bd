//! eva: ex-ante human impact assessment (EVA/IVA) of draft municipal decisions.
#![forbid(unsafe_code)]
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod render;
pub mod rules;
pub mod text;
