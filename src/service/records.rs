//! The service layer over the store: assessments are kept as they are
//! made, fetched and listed per tenant, and every action is written to the
//! audit log before its answer leaves. The tenant of each call is given
//! here as an argument; when callers authenticate, it will come from their
//! identity in the API layer, and nothing below changes.

use std::sync::Arc;

use crate::domain::review::{self, Review};
use crate::domain::{Deadline, Draft, Language, Violations, quoted};
use crate::render::Format;
use crate::store::{
    AuditAction, AuditEntry, Created, Cursor, ListQuery, MAX_PAGE_SIZE, NewAssessment, NewRevision,
    Page, RevisionInfo, Store, StoreError, Stored,
};

use super::{Assessed, Service, ServiceError, ledger};

/// The tenant the audit log names for a report over every municipality.
pub const ALL_TENANTS: &str = "*";

/// Who is calling, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The name the caller gives (`eva-caller` metadata), or `anonymous`.
    pub name: String,
    /// The network address the call came from.
    pub peer: String,
}

/// Why a call on stored assessments failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The request is wrong.
    #[error("invalid request: {0}")]
    InvalidArgument(Violations),
    /// No such assessment for this tenant.
    #[error("{0}")]
    NotFound(String),
    /// The idempotency key was used for another draft.
    #[error("{0}")]
    AlreadyExists(String),
    /// A review was made against a revision that is no longer the latest.
    #[error("{0}")]
    Aborted(String),
    /// The assessment's state does not allow the change.
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database is unavailable; the call can be retried.
    #[error("{0}")]
    Unavailable(String),
    /// Assessing or rendering failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The store failed in a way the caller cannot fix.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for RecordError {
    fn from(e: StoreError) -> RecordError {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "store unavailable");
                RecordError::Unavailable(
                    "the assessment store is unavailable; retry with backoff".into(),
                )
            }
            e => RecordError::Internal(e.to_string()),
        }
    }
}

/// The assessment service with its store.
#[derive(Debug, Clone)]
pub struct Records {
    /// The assessment service.
    pub service: Arc<Service>,
    store: Arc<dyn Store>,
}

impl Records {
    /// The records of `service` in `store`.
    pub fn new(service: Arc<Service>, store: Arc<dyn Store>) -> Records {
        Records { service, store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The answer to a retry, before any work: the assessment stored under
    /// the tenant's idempotency key `request_id`, rendered as asked, when
    /// it was made of the same draft; `AlreadyExists` when of another;
    /// `None` when the key is new.
    pub async fn replay(
        &self,
        caller: &Caller,
        draft: &Draft,
        request_id: &str,
        languages: &[Language],
        formats: &[Format],
    ) -> Result<Option<Assessed>, RecordError> {
        match self.store.by_request(&draft.tenant, request_id).await? {
            None => Ok(None),
            Some(stored) => self
                .answer_retry(caller, draft, request_id, stored, languages, formats)
                .await
                .map(Some),
        }
    }

    /// Keeps a new assessment of `draft` (with the audit row, in one
    /// transaction) and returns what to answer: the assessment itself, or
    /// the one a concurrent call with the same idempotency key stored
    /// first.
    pub async fn keep(
        &self,
        caller: &Caller,
        draft: Draft,
        request_id: Option<String>,
        assessed: Assessed,
        languages: &[Language],
        formats: &[Format],
    ) -> Result<Assessed, RecordError> {
        let audit = self.entry(
            caller,
            &draft.tenant,
            Some(&assessed.assessment.id),
            AuditAction::Create,
            "ok",
        );
        let new = NewAssessment {
            request_id: request_id.clone(),
            draft,
            assessment: assessed.assessment,
        };
        match self.store.create(&new, &audit).await? {
            Created::New(_) => Ok(Assessed {
                assessment: new.assessment,
                renderings: assessed.renderings,
            }),
            Created::Existing(stored) => {
                let key = request_id.unwrap_or_default();
                self.answer_retry(caller, &new.draft, &key, stored, languages, formats)
                    .await
            }
        }
    }

    async fn answer_retry(
        &self,
        caller: &Caller,
        draft: &Draft,
        request_id: &str,
        stored: Stored,
        languages: &[Language],
        formats: &[Format],
    ) -> Result<Assessed, RecordError> {
        let id = stored.assessment.id.clone();
        if stored.assessment.input_digest != draft.digest() {
            self.log(
                caller,
                &draft.tenant,
                Some(&id),
                AuditAction::Create,
                "already_exists",
            )
            .await?;
            return Err(RecordError::AlreadyExists(format!(
                "request_id {} was already used for another draft of municipality {} \
                 (assessment {id}); send a new request_id with a changed draft, or the \
                 same draft to get the stored assessment",
                quoted(request_id),
                draft.tenant
            )));
        }
        self.log(
            caller,
            &draft.tenant,
            Some(&id),
            AuditAction::Create,
            "replayed",
        )
        .await?;
        Ok(self
            .service
            .rendered(stored.assessment, languages, formats, &Deadline::none())?)
    }

    /// A tenant's assessment at `revision` (its latest when `None`).
    pub async fn get(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        revision: Option<u32>,
    ) -> Result<Stored, RecordError> {
        self.fetch(caller, tenant, id, revision, AuditAction::Read)
            .await
    }

    /// A tenant's assessment at `revision` for `action`: the request
    /// checked, the store read and the audit row written, found or not.
    async fn fetch(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        revision: Option<u32>,
        action: AuditAction,
    ) -> Result<Stored, RecordError> {
        let mut v = self.check_tenant(tenant);
        check_id(&mut v, id);
        check_revision(&mut v, revision);
        v.into_result().map_err(RecordError::InvalidArgument)?;
        let found = self.store.get(tenant, id, revision).await?;
        let result = if found.is_some() { "ok" } else { "not_found" };
        self.log(caller, tenant, Some(id), action, result).await?;
        found.ok_or_else(|| missing(tenant, id, revision))
    }

    /// Reviews a tenant's assessment: applies the changes to the revision
    /// the reviewer saw, which must still be the latest, and keeps the
    /// result as the next revision.
    pub async fn review(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        mut review: Review,
    ) -> Result<Stored, RecordError> {
        let mut v = self.check_tenant(tenant);
        check_id(&mut v, id);
        review::check_review(&review, &mut v);
        v.into_result().map_err(RecordError::InvalidArgument)?;
        let fail = |result: &'static str, e: RecordError| async move {
            self.log(caller, tenant, Some(id), AuditAction::Review, result)
                .await?;
            Err(e)
        };
        let Some(latest) = self.store.get(tenant, id, None).await? else {
            return fail("not_found", not_found(tenant, id)).await;
        };
        if latest.revision != review.expected_revision {
            return fail(
                "aborted",
                stale(id, review.expected_revision, latest.revision),
            )
            .await;
        }
        let status = review.status.unwrap_or(latest.status);
        if let Err(why) =
            review::check_transition(latest.status, status, review.changes.len(), &review.note)
        {
            return fail("failed_precondition", RecordError::FailedPrecondition(why)).await;
        }
        let bundle = &self.service.bundle;
        let determinants: Vec<&str> = bundle.determinants.iter().map(|e| e.id.as_str()).collect();
        let groups: Vec<&str> = bundle.groups.iter().map(|e| e.id.as_str()).collect();
        let taxonomy = review::Taxonomy {
            determinants: &determinants,
            groups: &groups,
        };
        let assessment = match review::apply(&latest.assessment, &mut review.changes, &taxonomy) {
            Ok(a) => a,
            Err(v) => return fail("invalid_argument", RecordError::InvalidArgument(v)).await,
        };
        let new = NewRevision {
            revision: latest.revision + 1,
            created_at: time::OffsetDateTime::now_utc(),
            author: review.reviewer.trim().to_string(),
            status,
            note: review.note.trim().to_string(),
            changes: review.changes,
            assessment,
        };
        let audit = self.entry(caller, tenant, Some(id), AuditAction::Review, "ok");
        if !self
            .store
            .review(tenant, id, latest.revision, &new, &audit)
            .await?
        {
            // reviewed by someone else between the read and the write
            let now = self
                .store
                .get(tenant, id, None)
                .await?
                .map_or(latest.revision + 1, |s| s.revision);
            return fail("aborted", stale(id, review.expected_revision, now)).await;
        }
        Ok(Stored {
            assessment: new.assessment,
            revision: new.revision,
            status: new.status,
            request_id: latest.request_id,
        })
    }

    /// Renderings of a tenant's assessment at `revision` (its latest when
    /// `None`): each of `formats` in each of `languages`.
    pub async fn render(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        revision: Option<u32>,
        languages: &[Language],
        formats: &[Format],
    ) -> Result<(u32, Assessed), RecordError> {
        let stored = self
            .fetch(caller, tenant, id, revision, AuditAction::Render)
            .await?;
        let rendered =
            self.service
                .rendered(stored.assessment, languages, formats, &Deadline::none())?;
        Ok((stored.revision, rendered))
    }

    /// The revisions of a tenant's assessment, oldest first.
    pub async fn revisions(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
    ) -> Result<Vec<RevisionInfo>, RecordError> {
        let mut v = self.check_tenant(tenant);
        check_id(&mut v, id);
        v.into_result().map_err(RecordError::InvalidArgument)?;
        let found = self.store.revisions(tenant, id).await?;
        let result = if found.is_some() { "ok" } else { "not_found" };
        self.log(caller, tenant, Some(id), AuditAction::Read, result)
            .await?;
        found.ok_or_else(|| not_found(tenant, id))
    }

    /// A page of a tenant's assessments. `page_token` continues the
    /// listing of the same filters; `page_size` 0 means the default.
    pub async fn list(
        &self,
        caller: &Caller,
        mut query: ListQuery,
        page_token: &str,
    ) -> Result<(Page, ListQuery), RecordError> {
        let mut v = self.check_tenant(&query.tenant);
        if query.page_size > MAX_PAGE_SIZE {
            v.add(
                "page_size",
                format!(
                    "is {}; a page holds at most {MAX_PAGE_SIZE} assessments, ask for fewer and follow next_page_token",
                    query.page_size
                ),
            );
        }
        if query.case_id.as_deref().is_some_and(|c| c.contains('\0')) {
            v.add("case_id", "holds a NUL character (U+0000); remove it");
        }
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from >= to
        {
            v.add(
                "to",
                "is not after `from`; give a time range that is not empty",
            );
        }
        if !page_token.is_empty() {
            match Cursor::from_token(page_token, &query) {
                Ok(c) => query.after = Some(c),
                Err(e) => v.add("page_token", e.to_string()),
            }
        }
        v.into_result().map_err(RecordError::InvalidArgument)?;
        if query.page_size == 0 {
            query.page_size = crate::store::DEFAULT_PAGE_SIZE;
        }
        let page = self.store.list(&query).await?;
        self.log(caller, &query.tenant, None, AuditAction::List, "ok")
            .await?;
        Ok((page, query))
    }

    /// Per welfare-plan goal, how the tenant's decisions of the period bore
    /// on it.
    pub async fn summarize_goals(
        &self,
        caller: &Caller,
        tenant: &str,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<ledger::GoalSummary, RecordError> {
        let entries = self.ledger(caller, Some(tenant), from, to).await?;
        Ok(ledger::summarize_goals(&entries))
    }

    /// Per determinant and group, the tenant's decisions of the period that
    /// affected it negatively.
    pub async fn cumulative_effects(
        &self,
        caller: &Caller,
        tenant: &str,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<ledger::CumulativeEffects, RecordError> {
        let entries = self.ledger(caller, Some(tenant), from, to).await?;
        Ok(ledger::cumulative_effects(&entries))
    }

    /// What preparers corrected in the period, of one tenant or of all.
    pub async fn review_statistics(
        &self,
        caller: &Caller,
        tenant: Option<&str>,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<ledger::ReviewStatistics, RecordError> {
        self.check_period(caller, tenant, from, to).await?;
        let assessments = self.store.count(tenant, from, to).await?;
        let changes = self.store.review_changes(tenant, from, to).await?;
        Ok(ledger::review_statistics(
            usize::try_from(assessments).unwrap_or(usize::MAX),
            &changes,
        ))
    }

    async fn ledger(
        &self,
        caller: &Caller,
        tenant: Option<&str>,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<Vec<crate::store::LedgerEntry>, RecordError> {
        self.check_period(caller, tenant, from, to).await?;
        Ok(self.store.ledger(tenant, from, to).await?)
    }

    /// Checks a report's tenant and period and writes the report to the
    /// audit log.
    async fn check_period(
        &self,
        caller: &Caller,
        tenant: Option<&str>,
        from: time::OffsetDateTime,
        to: time::OffsetDateTime,
    ) -> Result<(), RecordError> {
        let mut v = match tenant {
            Some(t) => self.check_tenant(t),
            None => Violations::default(),
        };
        if from >= to {
            v.add("to", "is not after `from`; give a period that is not empty");
        }
        v.into_result().map_err(RecordError::InvalidArgument)?;
        self.log(
            caller,
            tenant.unwrap_or(ALL_TENANTS),
            None,
            AuditAction::List,
            "ok",
        )
        .await
    }

    fn check_tenant(&self, tenant: &str) -> Violations {
        let mut v = Violations::default();
        if !self.service.bundle.municipalities.contains_key(tenant) {
            v.add(
                "tenant",
                format!(
                    "{} is not the number of a Finnish municipality; give the three-digit \
                     number Statistics Finland gives it, such as `091` for Helsinki",
                    quoted(tenant)
                ),
            );
        }
        v
    }

    fn entry(
        &self,
        caller: &Caller,
        tenant: &str,
        id: Option<&str>,
        action: AuditAction,
        result: &str,
    ) -> AuditEntry {
        AuditEntry {
            at: time::OffsetDateTime::now_utc(),
            caller: caller.name.clone(),
            peer: caller.peer.clone(),
            tenant: tenant.to_string(),
            assessment_id: id.map(str::to_string),
            action,
            result: result.to_string(),
        }
    }

    async fn log(
        &self,
        caller: &Caller,
        tenant: &str,
        id: Option<&str>,
        action: AuditAction,
        result: &str,
    ) -> Result<(), RecordError> {
        let entry = self.entry(caller, tenant, id, action, result);
        Ok(self.store.audit(&entry).await?)
    }
}

fn check_id(v: &mut Violations, id: &str) {
    if id.contains('\0') {
        v.add(
            "id",
            "holds a NUL character (U+0000); give the id as Assess returned it",
        );
    } else if id.trim().is_empty() {
        v.add(
            "id",
            "is empty; give the id of an assessment, as Assess returned it",
        );
    } else if id.len() > 64 {
        v.add(
            "id",
            "is longer than an assessment id (a UUID of 36 characters)",
        );
    }
}

fn check_revision(v: &mut Violations, revision: Option<u32>) {
    if revision == Some(0) {
        v.add(
            "revision",
            "is 0; revisions count from 1 (the machine's), or leave it out for the latest",
        );
    }
}

/// Not found, at a revision or at all.
fn missing(tenant: &str, id: &str, revision: Option<u32>) -> RecordError {
    match revision {
        Some(r) => RecordError::NotFound(format!(
            "municipality {tenant} has no assessment {} with revision {r}; \
             ListRevisions gives the revisions it has",
            quoted(id)
        )),
        None => not_found(tenant, id),
    }
}

fn stale(id: &str, expected: u32, latest: u32) -> RecordError {
    RecordError::Aborted(format!(
        "assessment {} is at revision {latest}, not at expected_revision {expected}: \
         it was reviewed meanwhile; read revision {latest}, make your changes on it and \
         send expected_revision {latest}",
        quoted(id)
    ))
}

fn not_found(tenant: &str, id: &str) -> RecordError {
    RecordError::NotFound(format!(
        "municipality {tenant} has no assessment {}; check the id and the tenant",
        quoted(id)
    ))
}
