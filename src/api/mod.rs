//! The gRPC layer: generated types, proto ⇄ domain conversion, the service
//! implementations and the one place that maps errors to `tonic::Status`.

mod convert;
mod service;

pub use convert::{
    MAX_RENDER_CHOICES, assess_request_from_proto, assessed_to_proto, assessment_to_proto,
    draft_from_proto, list_query_from_proto, page_to_proto, render_choices, renderings_to_proto,
    review_from_proto, revisions_to_proto, stored_to_proto,
};
pub use service::ReportApi;
pub use service::{ApiError, AssessmentApi, CallDeadline, CallLimits, RuleApi, Waited};

/// Generated protobuf types and services, with the protobuf JSON mapping.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("eva.v1");
    include!(concat!(env!("OUT_DIR"), "/eva.v1.serde.rs"));

    /// Encoded descriptor set of `proto/`, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/eva_descriptor.bin"));
}
