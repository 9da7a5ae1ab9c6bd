//! Page tokens: where a listing continues, opaque to the caller and bound
//! to the query they came from, so that a token cannot be replayed against
//! other filters or forged into another tenant's listing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::ListQuery;

/// The last assessment of a page: the next page starts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Its creation time, in microseconds since the Unix epoch.
    pub created_at: i64,
    /// Its id: ties in time are ordered by id.
    pub id: String,
}

/// Why a page token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token eva gave.
    #[error(
        "is not a page token of this service; pass the next_page_token of the previous page unchanged"
    )]
    Malformed,
    /// A token of a listing with other filters or of another tenant.
    #[error(
        "belongs to a listing with other filters; repeat the filters of the first page, or start again without a token"
    )]
    OtherQuery,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    /// Creation time of the last item.
    t: i64,
    /// Its id.
    i: String,
    /// Digest of the query's filters.
    q: String,
}

/// Digest of everything in `query` but the page size and the cursor.
fn filters(query: &ListQuery) -> String {
    let mut h = blake3::Hasher::new();
    for part in [
        query.tenant.as_str(),
        query.case_id.as_deref().unwrap_or("\u{0}"),
        query.verdict.map_or("\u{0}", |v| v.name()),
    ] {
        h.update(part.as_bytes());
        h.update(b"\x1f");
    }
    for t in [query.from, query.to] {
        h.update(
            &t.map_or(i128::MIN, |t| t.unix_timestamp_nanos())
                .to_le_bytes(),
        );
    }
    h.finalize().to_hex()[..16].to_string()
}

impl Cursor {
    /// The token that continues `query` after this cursor.
    pub fn token(&self, query: &ListQuery) -> String {
        let wire = Wire {
            t: self.created_at,
            i: self.id.clone(),
            q: filters(query),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
    }

    /// The cursor of `token`, which must have come from `query`.
    pub fn from_token(token: &str, query: &ListQuery) -> Result<Cursor, TokenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| TokenError::Malformed)?;
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
        if wire.q != filters(query) {
            return Err(TokenError::OtherQuery);
        }
        Ok(Cursor {
            created_at: wire.t,
            id: wire.i,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Verdict;

    fn query() -> ListQuery {
        ListQuery {
            tenant: "091".into(),
            case_id: Some("HEL 2021-1".into()),
            page_size: 10,
            ..ListQuery::default()
        }
    }

    #[test]
    fn a_token_reads_back_under_its_own_query_only() {
        let c = Cursor {
            created_at: 1_700_000_000_000_000,
            id: "a".into(),
        };
        let token = c.token(&query());
        let mut bigger = query();
        bigger.page_size = 500;
        assert_eq!(Cursor::from_token(&token, &bigger), Ok(c));
        let mut other = query();
        other.tenant = "408".into();
        assert_eq!(
            Cursor::from_token(&token, &other),
            Err(TokenError::OtherQuery)
        );
        let mut other = query();
        other.verdict = Some(Verdict::Required);
        assert_eq!(
            Cursor::from_token(&token, &other),
            Err(TokenError::OtherQuery)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for t in ["", "!!!", "eyJ0IjoxfQ", "bm90IGpzb24"] {
            assert_eq!(
                Cursor::from_token(t, &query()),
                Err(TokenError::Malformed),
                "{t}"
            );
        }
    }
}
