//! Form errors for the agent UI. A form that fails is shown again with each problem beside
//! its field and everything the person typed kept; problems that belong to no field show at
//! the top of the form. Only "the input was wrong" becomes a form error: a missing record
//! or an internal failure is a [`UiError`] page or notice.

use super::UiError;

/// What was wrong with a submitted form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    general: Option<String>,
}

impl FormErrors {
    /// No errors.
    pub fn none() -> Self {
        FormErrors::default()
    }

    /// One error about the whole form.
    pub fn general(message: impl Into<String>) -> Self {
        FormErrors { fields: Vec::new(), general: Some(message.into()) }
    }

    /// One error about `field`.
    pub fn on(field: impl Into<String>, message: impl Into<String>) -> Self {
        FormErrors { fields: vec![(field.into(), message.into())], general: None }
    }

    /// Sorts a use case's error: bad input becomes a form error (on the field `app` named,
    /// or at the top when the form has no such field); anything else stays a [`UiError`].
    /// `form_fields` lists the names of the form's inputs.
    pub fn from_app(e: app::Error, form_fields: &[&str]) -> Result<FormErrors, UiError> {
        let (field, message) = match e {
            app::Error::Invalid { field, message } => (field, message),
            app::Error::Conflict { field, message } => (field.to_string(), message),
            app::Error::TooLarge { what, limit } => {
                (what.to_string(), format!("is larger than the limit of {} KB", limit.div_ceil(1024)))
            }
            app::Error::Forbidden(m) => return Ok(FormErrors::general(format!("{m}."))),
            other => return Err(other.into()),
        };
        // `identities[0].value` belongs to the input named `identities`.
        let base = field.split(['[', '.']).next().unwrap_or(&field).to_string();
        if form_fields.contains(&base.as_str()) {
            Ok(FormErrors::on(base, capitalise(&message)))
        } else {
            Ok(FormErrors::general(format!("{field}: {message}")))
        }
    }

    /// The error of `field`, if any (templates: `{% if let Some(e) = errors.field("name") %}`).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| f == name).map(|(_, m)| m.as_str())
    }

    /// The error about the whole form, if any.
    pub fn top(&self) -> Option<&str> {
        self.general.as_deref()
    }

    /// Whether there is any error.
    pub fn any(&self) -> bool {
        self.general.is_some() || !self.fields.is_empty()
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_beside_their_field_or_on_top() {
        let e =
            FormErrors::from_app(app::Error::invalid("identities[0].value", "not an e-mail"), &["identities"]).unwrap();
        assert_eq!(e.field("identities"), Some("Not an e-mail"));
        let e = FormErrors::from_app(app::Error::invalid("color", "bad"), &["name"]).unwrap();
        assert_eq!((e.field("color"), e.top()), (None, Some("color: bad")));
        assert!(FormErrors::from_app(app::Error::NotFound { what: "contact" }, &[]).is_err());
    }
}
