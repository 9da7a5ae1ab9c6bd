//! `questions.yaml`: open questions for the preparer, with the conditions
//! (which see the result so far) that raise them.

use std::collections::BTreeSet;

use super::{Loader, Schemas};
use crate::rules::bundle::format::QuestionsFile;
use crate::rules::bundle::model::Question;

const FILE: &str = "questions.yaml";

impl Loader {
    pub(super) fn questions(&mut self, text: Option<&str>, schemas: &Schemas) -> Vec<Question> {
        let mut questions = Vec::new();
        let Some(q) = text.and_then(|t| self.parse::<QuestionsFile>(FILE, t)) else {
            return questions;
        };
        let mut seen = BTreeSet::new();
        for item in q.questions {
            self.check_text(
                FILE,
                &item.text,
                &format!("question `{}`", item.id.as_str()),
            );
            self.check_unique(&mut seen, FILE, &item.id, "question");
            let condition = item
                .when
                .as_ref()
                .and_then(|w| self.compile(FILE, w, &schemas.result));
            questions.push(Question {
                id: item.id.as_str().to_string(),
                text: (*item.text).clone(),
                condition,
            });
        }
        questions
    }
}
