//! eva: ex-ante human impact assessment (EVA/IVA) of draft municipal
//! decisions, served over gRPC.
//!
//! A case-management system sends a draft decision; eva screens it, estimates
//! its impacts per determinant of wellbeing and population group, checks them
//! against the municipality's welfare-plan goals and returns a structured
//! assessment with renderings to paste into the decision.
//!
//! # Layout
//!
//! - [`api`]: the gRPC services and every protobuf ⇄ domain conversion.
//! - [`app`]: builds and runs the server on a listener it is given: the
//!   deadline layer and connections within limits.
//! - [`service`]: the service layer, in domain terms; the API and the CLI
//!   call it.
//! - [`cli`]: the `assess`, `rules check` and `eval` subcommands.
//! - [`config`]: settings layered from defaults, a file and the environment.
//! - [`domain`]: plain types — draft, assessment, evidence, violations,
//!   deadlines.
//! - [`eval`]: the evaluation harness on labelled corpus documents.
//! - [`text`]: tokens and Finnish/Swedish concept matching.
//! - [`rules`]: the rule bundle (loading, validation, conditions), draft
//!   validation and the assessment engine.
//! - [`render`]: HTML, Markdown and text renderings from bundle templates.
//! - [`store`]: the system of record — assessments, revisions, the audit
//!   log — on SQLite or PostgreSQL.
//! - [`report`]: the welfare-report ledger as CSV, JSON, Markdown or HTML.
//!
//! Data flows one way: request → `api` → `service` → `rules` (using
//! `text`) → `domain::Assessment` → `render` → `service` → `api`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod eval;
pub mod render;
pub mod report;
pub mod rules;
pub mod service;
pub mod store;
pub mod text;
