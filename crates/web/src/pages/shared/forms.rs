//! Forms: fields as submitted, the CSRF token alone, a flash message after a redirect, multipart
//! uploads streamed to the file store, inputs with their errors, and the quote request's fields
//! (the portal's form and sign-up share them).

use crate::AppState;
use crate::pages::shared::i18n::Tr;
use crate::pages::shared::*;
use axum::extract::Multipart;
use immovr_core::DomainError;
use immovr_core::model::*;
use immovr_core::ports::{NewAttachment, NewQuoteRequest, OfflineAcceptance};
use maud::Markup;
use maud::html;
use serde::Deserialize;

/// A submitted form as name/value pairs (checkbox groups repeat a name).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Flash {
    pub ok: Option<String>,
    /// Words to find a client by (the quote page's duplicate form).
    pub client_q: Option<String>,
}

/// A multipart form: its text fields and the files already written to the file store.
pub struct UploadForm {
    pub fields: Fields,
    pub files: Vec<NewAttachment>,
}

impl UploadForm {
    /// Removes the stored files (the form was refused).
    pub async fn discard(&self, state: &AppState) {
        state.app.discard_attachments(&self.files).await;
    }
}

/// What a multipart form's files are.
#[derive(Clone, Copy, PartialEq)]
pub enum Upload {
    /// A quote request's plans and photos (up to `MAX_ATTACHMENTS`).
    Attachments,
    /// The signed document of an acceptance received offline (one).
    Evidence,
}

/// Reads a multipart form, streaming each file (plans, photos, a signed document) to the file
/// store. Files are checked by size and by content (PDF, JPEG, PNG, WebP, HEIC), never by their
/// name.
pub async fn read_upload_form(
    state: &AppState,
    mut multipart: Multipart,
    upload: Upload,
) -> Result<UploadForm, (UploadForm, DomainError)> {
    let (field_name, max_files) = match upload {
        Upload::Attachments => ("attachments", immovr_app::uploads::MAX_ATTACHMENTS),
        Upload::Evidence => ("evidence", 1),
    };
    let mut form = UploadForm { fields: Fields(Vec::new()), files: Vec::new() };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err((form, DomainError::validation(field_name, format!("upload interrupted: {e}")))),
        };
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(str::to_string) {
            Some(original) if !original.is_empty() => {
                if form.files.len() >= max_files {
                    let e = DomainError::validation(field_name, format!("at most {max_files} files"));
                    return Err((form, e));
                }
                let body = crate::byte_stream(field);
                let saved = match upload {
                    Upload::Attachments => state.app.save_attachment(&original, body).await,
                    Upload::Evidence => state.app.save_evidence(&original, body).await,
                };
                match saved {
                    Ok(file) => form.files.push(file),
                    Err(e) => return Err((form, e)),
                }
            }
            Some(_) => {} // an empty file input
            None => match field.text().await {
                Ok(text) => form.fields.0.push((name, text)),
                Err(e) => return Err((form, DomainError::validation(name, e.to_string()))),
            },
        }
    }
    Ok(form)
}

/// An acceptance received offline, from its form's fields (the page's and the API's).
pub fn offline_acceptance(f: &Fields) -> Result<OfflineAcceptance, DomainError> {
    let signed_on = f.get("signed_on");
    let signed_on = signed_on
        .trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| DomainError::validation("signed_on", "a date such as 2026-12-06"))?;
    let channel = match f.get("channel").trim() {
        "paper" => AcceptanceChannel::Paper,
        "email" => AcceptanceChannel::Email,
        _ => return Err(DomainError::validation("channel", "paper or email")),
    };
    Ok(OfflineAcceptance { signer_name: f.get("signer_name"), signed_on, channel })
}

pub fn text_input(
    name: &str,
    label: &str,
    value: &str,
    autocomplete: &str,
    required: bool,
    error: Option<String>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        label for=(id) { (label) }
        input id=(id) type=(if autocomplete == "email" { "email" } else if autocomplete == "tel" { "tel" } else { "text" })
            name=(name) value=(value) autocomplete=(autocomplete) required[required]
            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| format!("{id}-err"))];
        @if let Some(e) = error { p.field-error id={ (id) "-err" } { (e) } }
    }
}

#[derive(Default)]
pub struct RequestForm {
    pub property_type: String,
    pub property_address: String,
    pub surface: String,
    pub rooms: String,
    pub wanted: Vec<String>,
    pub wished_date: String,
    pub notes: String,
}

impl RequestForm {
    pub fn from_fields(f: &Fields) -> Self {
        RequestForm {
            property_type: f.get("property_type"),
            property_address: f.get("property_address"),
            surface: f.get("surface"),
            rooms: f.get("rooms"),
            wanted: f.all("wanted"),
            wished_date: f.get("wished_date"),
            notes: f.get("notes"),
        }
    }

    pub fn to_input(&self) -> Result<NewQuoteRequest, DomainError> {
        let parse_opt = |field: &str, v: &str| -> Result<Option<String>, DomainError> {
            let v = v.trim();
            if v.is_empty() { Ok(None) } else { Ok(Some(v.replace(',', "."))) }.and_then(|o: Option<String>| {
                if o.as_deref().is_some_and(|s| s.len() > 40) {
                    Err(DomainError::validation(field, "too long"))
                } else {
                    Ok(o)
                }
            })
        };
        let surface_m2 = parse_opt("surface_m2", &self.surface)?
            .map(|s| {
                immovr_core::money::read_decimal(&s, true)
                    .ok_or_else(|| DomainError::validation("surface_m2", "a number of square metres"))
            })
            .transpose()?;
        let rooms = parse_opt("rooms", &self.rooms)?
            .map(|s| s.parse().map_err(|_| DomainError::validation("rooms", "a whole number")))
            .transpose()?;
        let wished_date = parse_opt("wished_date", &self.wished_date)?
            .map(|s| s.parse().map_err(|_| DomainError::validation("wished_date", "a date (YYYY-MM-DD)")))
            .transpose()?;
        Ok(NewQuoteRequest {
            property_type: self.property_type.clone(),
            property_address: self.property_address.clone(),
            surface_m2,
            rooms,
            wanted: self.wanted.clone(),
            wished_date,
            notes: Some(self.notes.clone()),
        })
    }
}

pub fn request_fields(tr: &Tr, catalogue: &[CatalogueItem], f: &RequestForm, err: &Option<DomainError>) -> Markup {
    let fe = |field: &str| field_error(err, field);
    html! {
        fieldset {
            legend { (tr.t("request.property")) }
            (text_input("property_type", tr.t("request.type"), &f.property_type, "off", true, fe("property_type")))
            (text_input("property_address", tr.t("request.address"), &f.property_address, "street-address", true, fe("property_address")))
            (text_input("surface", tr.t("request.surface"), &f.surface, "off", false, fe("surface_m2")))
            (text_input("rooms", tr.t("request.rooms"), &f.rooms, "off", false, fe("rooms")))
        }
        fieldset {
            legend { (tr.t("request.services")) }
            @if let Some(e) = fe("wanted") { p.field-error { (e) } }
            ul.checks {
                @for item in catalogue {
                    li {
                        label {
                            input type="checkbox" name="wanted" value=(item.code) checked[f.wanted.contains(&item.code)];
                            " " (item.label(tr.0)) " — " (tr.money(item.unit_price)) " HT / " (item.unit)
                        }
                    }
                }
            }
            label for="f-wished_date" { (tr.t("request.date")) " " span.hint { (tr.t("optional")) } }
            input #f-wished_date type="date" name="wished_date" value=(f.wished_date);
            @if let Some(e) = fe("wished_date") { p.field-error { (e) } }
            label for="f-notes" { (tr.t("request.notes")) " " span.hint { (tr.t("optional")) } }
            textarea #f-notes name="notes" rows="4" { (f.notes) }
            label for="f-files" { (tr.t("request.files")) " " span.hint { (tr.t("optional")) } }
            p.hint #f-files-help { (tr.t("request.files.help")) }
            input #f-files type="file" name="attachments" multiple accept=".pdf,.jpg,.jpeg,.png,.webp,.heic,application/pdf,image/*"
                aria-describedby="f-files-help" aria-invalid=[fe("attachments").map(|_| "true")];
            @if let Some(e) = fe("attachments") { p.field-error { (e) } }
            progress.upload hidden max="100" value="0" aria-label=(tr.t("request.files.progress")) {}
        }
    }
}
