//! Forms: fields as submitted, the CSRF token alone, a flash message after a redirect, multipart
//! uploads streamed to the file store, inputs with their errors, and the quote request's fields
//! (the portal's form and sign-up share them).

use crate::AppState;
use crate::pages::shared::i18n::Tr;
use crate::pages::shared::*;
use axum::extract::Multipart;
use immovr_app::uploads::KeptFiles;
use immovr_core::model::*;
use immovr_core::ports::{NewAttachment, NewQuoteRequest, OfflineAcceptance};
use immovr_core::{Checks, DomainError};
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
    /// The box ticked to confirm an irreversible action.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// The box to tick before an irreversible action (the form is refused without it).
pub fn confirm_box(tr: &Tr, id: &str, error: &Option<String>) -> Markup {
    html! {
        label.check { input id=(id) type="checkbox" name="confirm" value="on" required
            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described_by(id, None, error)];
            " " (tr.t("bo.confirm.irreversible")) }
        (field_message(id, error))
    }
}

/// Whether an irreversible action was confirmed; if not, the refusal of the `confirm` box.
pub fn confirmed(f: &CsrfForm) -> Result<(), DomainError> {
    match f.confirm.as_deref() {
        Some("on") => Ok(()),
        _ => Err(DomainError::validation("confirm", "tick the box to confirm")),
    }
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
    /// Removes the files this submission brought (it was refused as a whole: a CSRF token, a
    /// rate limit); files kept from an earlier try stay kept until they expire.
    pub async fn discard(&self, state: &AppState) {
        let new: Vec<NewAttachment> = self.files.iter().filter(|f| !f.kept).cloned().collect();
        state.app.discard_attachments(&new).await;
    }

    /// Keeps every file of this refused form, for the form shown again: the client does not
    /// send them twice (see `App::keep_attachments`).
    pub async fn keep(&self, state: &AppState) -> Option<KeptFiles> {
        if self.files.is_empty() {
            return None;
        }
        match state.app.keep_attachments(self.files.clone()).await {
            Ok(kept) => Some(kept),
            Err(e) => {
                tracing::warn!(error = %e, "keeping a refused form's files");
                self.discard(state).await;
                None
            }
        }
    }
}

/// The files an earlier, refused try of the form kept (its `kept` token), less those the
/// client ticked to remove (`drop`, by position), ahead of the new ones.
async fn with_kept(state: &AppState, form: &mut UploadForm) -> Result<(), DomainError> {
    let token = form.fields.get("kept");
    if token.is_empty() {
        return Ok(());
    }
    let (kept, refusal) = state.app.kept_attachments(&token).await?;
    let dropped = form.fields.all("drop");
    let (gone, kept): (Vec<_>, Vec<_>) = kept.into_iter().partition(|(i, _)| dropped.contains(&i.to_string()));
    state.app.drop_kept(&gone.into_iter().map(|(_, f)| f).collect::<Vec<_>>()).await?;
    let new = std::mem::take(&mut form.files);
    form.files = kept.into_iter().map(|(_, f)| f).chain(new).collect();
    refusal.map_or(Ok(()), Err)
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
    let read = read_parts(state, &mut multipart, upload, &mut form, (field_name, max_files)).await;
    // The files kept from an earlier try join the new ones, whatever became of these (a
    // request's plans and photos only: evidence is never kept).
    let kept = match upload {
        Upload::Attachments => with_kept(state, &mut form).await,
        Upload::Evidence => Ok(()),
    };
    let mut checks = Checks::new();
    for outcome in [read, kept] {
        if let Err(e) = outcome {
            checks.add(e);
        }
    }
    if form.files.len() > max_files {
        checks.refuse(field_name, format!("at most {max_files} files"));
    }
    match checks.done() {
        Ok(()) => Ok(form),
        Err(e) => Err((form, e)),
    }
}

async fn read_parts(
    state: &AppState,
    multipart: &mut Multipart,
    upload: Upload,
    form: &mut UploadForm,
    (field_name, max_files): (&str, usize),
) -> Result<(), DomainError> {
    // A refused file does not stop the reading: the fields after it and the good files are
    // kept, every refusal said at once.
    let mut checks = Checks::new();
    let mut too_many = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                checks.refuse(field_name, format!("upload interrupted: {e}"));
                break;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        match field.file_name().map(str::to_string) {
            Some(original) if !original.is_empty() => {
                if form.files.len() >= max_files {
                    // Said once; the file is skipped unread.
                    if !too_many {
                        checks.refuse(field_name, format!("at most {max_files} files"));
                    }
                    too_many = true;
                    continue;
                }
                let body = crate::byte_stream(field);
                let saved = match upload {
                    Upload::Attachments => state.app.save_attachment(&original, body).await,
                    Upload::Evidence => state.app.save_evidence(&original, body).await,
                };
                match saved {
                    Ok(file) => form.files.push(file),
                    Err(e @ DomainError::Internal(_)) => return Err(e),
                    Err(e) => checks.add(e),
                }
            }
            Some(_) => {} // an empty file input
            None => match field.text().await {
                Ok(text) => form.fields.0.push((name, text)),
                Err(_) => {
                    checks.refuse(&name, "could not be read");
                    break;
                }
            },
        }
    }
    checks.done()
}

/// An acceptance received offline, from its form's fields (the page's and the API's), with
/// every refusal at once (`evidence` says whether the signed document came with them).
pub fn offline_acceptance(f: &Fields, evidence: bool) -> Result<OfflineAcceptance, DomainError> {
    let mut checks = Checks::new();
    checks.check(immovr_core::text::line("signer_name", &f.get("signer_name"), 200));
    let signed_on = f.get("signed_on").trim().parse::<jiff::civil::Date>().ok();
    if signed_on.is_none() {
        checks.refuse("signed_on", "a date such as 2026-12-06");
    }
    let channel = match f.get("channel").trim() {
        "paper" => Some(AcceptanceChannel::Paper),
        "email" => Some(AcceptanceChannel::Email),
        _ => {
            checks.refuse("channel", "paper or email");
            None
        }
    };
    if !evidence {
        checks.refuse("evidence", "attach the signed document");
    }
    checks.done()?;
    match (signed_on, channel) {
        (Some(signed_on), Some(channel)) => {
            let ticked = |k: &str| matches!(f.get(k).trim(), "on" | "true");
            Ok(OfflineAcceptance {
                signer_name: f.get("signer_name"),
                signed_on,
                channel,
                early_start: ticked("early_start"),
                on_premises: ticked("on_premises"),
            })
        }
        _ => Err(DomainError::validation("signed_on", "a date such as 2026-12-06")),
    }
}

/// A labelled text input named `name` (its id `f-{name}`), showing why the domain refused
/// `field` when it did.
pub fn text_input(
    errs: &FormErrors,
    (name, field): (&str, &str),
    label: &str,
    value: &str,
    autocomplete: &str,
    required: bool,
) -> Markup {
    let id = format!("f-{name}");
    let error = errs.at(field, &id, label);
    html! {
        label for=(id) { (label) }
        input id=(id) type=(if autocomplete == "email" { "email" } else if autocomplete == "tel" { "tel" } else { "text" })
            name=(name) value=(value) autocomplete=(autocomplete) required[required]
            aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described_by(&id, None, &error)];
        (field_message(&id, &error))
    }
}

/// Why a field is refused, under it (`{input_id}-err`, which the input names in its
/// `aria-describedby`).
pub fn field_message(input_id: &str, error: &Option<String>) -> Markup {
    html! { @if let Some(e) = error { p.field-error id={ (input_id) "-err" } { (e) } } }
}

/// The `aria-describedby` of an input: its help text, and its error when it has one.
pub fn described_by(input_id: &str, help: Option<&str>, error: &Option<String>) -> Option<String> {
    let ids: Vec<String> =
        help.map(str::to_string).into_iter().chain(error.as_ref().map(|_| format!("{input_id}-err"))).collect();
    (!ids.is_empty()).then(|| ids.join(" "))
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
    /// The files a refused try received, kept for this one.
    pub kept: Option<KeptFiles>,
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
            kept: None,
        }
    }

    /// The request as typed, and the refusals of what could not be read (left out of it).
    pub fn to_input(&self) -> (NewQuoteRequest, Checks) {
        let mut checks = Checks::new();
        let mut read = |field: &str, v: &str, parse: &dyn Fn(&str) -> Option<()>, why: &str| -> Option<String> {
            let v = v.trim().replace(',', ".");
            if v.is_empty() {
                None
            } else if v.chars().count() > 40 {
                checks.refuse(field, "too long");
                None
            } else if parse(&v).is_none() {
                checks.refuse(field, why);
                None
            } else {
                Some(v)
            }
        };
        let surface_m2 = read(
            "surface_m2",
            &self.surface,
            &|s| immovr_core::money::read_decimal(s, true).map(|_| ()),
            "a number of square metres",
        )
        .and_then(|s| immovr_core::money::read_decimal(&s, true));
        let rooms = read("rooms", &self.rooms, &|s| s.parse::<i64>().ok().map(|_| ()), "a whole number")
            .and_then(|s| s.parse().ok());
        let wished_date = read(
            "wished_date",
            &self.wished_date,
            &|s| s.parse::<jiff::civil::Date>().ok().map(|_| ()),
            "a date (YYYY-MM-DD)",
        )
        .and_then(|s| s.parse().ok());
        let request = NewQuoteRequest {
            property_type: self.property_type.clone(),
            property_address: self.property_address.clone(),
            surface_m2,
            rooms,
            wanted: self.wanted.clone(),
            wished_date,
            notes: Some(self.notes.clone()),
        };
        (request, checks)
    }
}

pub fn request_fields(tr: &Tr, catalogue: &[CatalogueItem], f: &RequestForm, errs: &FormErrors) -> Markup {
    html! {
        fieldset {
            legend { (tr.t("request.property")) }
            (text_input(errs, ("property_type", "property_type"), tr.t("request.type"), &f.property_type, "off", true))
            (text_input(errs, ("property_address", "property_address"), tr.t("request.address"), &f.property_address, "street-address", true))
            (text_input(errs, ("surface", "surface_m2"), tr.t("request.surface"), &f.surface, "off", false))
            (text_input(errs, ("rooms", "rooms"), tr.t("request.rooms"), &f.rooms, "off", false))
        }
        // Each field claims its error where it stands: the summary lists them in the page's order.
        @let wanted_error = errs.at("wanted", "f-wanted", tr.t("request.services"));
        fieldset #f-wanted tabindex="-1" aria-describedby=[described_by("f-wanted", None, &wanted_error)] {
            legend { (tr.t("request.services")) }
            (field_message("f-wanted", &wanted_error))
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
            @let date_error = errs.at("wished_date", "f-wished_date", tr.t("request.date"));
            label for="f-wished_date" { (tr.t("request.date")) " " span.hint { (tr.t("optional")) } }
            input #f-wished_date type="date" name="wished_date" value=(f.wished_date)
                aria-invalid=[date_error.as_ref().map(|_| "true")] aria-describedby=[described_by("f-wished_date", None, &date_error)];
            (field_message("f-wished_date", &date_error))
            label for="f-notes" { (tr.t("request.notes")) " " span.hint { (tr.t("optional")) } }
            textarea #f-notes name="notes" rows="4" { (f.notes) }
            @let files_error = errs.at("attachments", "f-files", tr.t("request.files"));
            @if let Some(kept) = f.kept.as_ref().filter(|k| !k.files.is_empty()) {
                // Received with the refused try: not to be sent again (browsers cannot refill a
                // file input); each can be removed.
                input type="hidden" name="kept" value=(kept.token);
                fieldset.kept {
                    legend { (tr.t("request.kept")) }
                    p.hint { (tr.t("request.kept.help")) }
                    ul.checks { @for (i, a) in kept.files.iter().enumerate() { li { label {
                        input type="checkbox" name="drop" value=(i); " " (tr.t("request.kept.drop")) " "
                        strong { (a.filename) } " (" (human_size(a.size_bytes)) ")"
                    } } } }
                }
            }
            label for="f-files" { (tr.t("request.files")) " " span.hint { (tr.t("optional")) } }
            p.hint #f-files-help { (tr.t("request.files.help")) }
            input #f-files type="file" name="attachments" multiple accept=(ACCEPTED_FILES) data-max-files=(immovr_app::uploads::MAX_ATTACHMENTS)
                aria-describedby=[described_by("f-files", Some("f-files-help"), &files_error)] aria-invalid=[files_error.as_ref().map(|_| "true")];
            (field_message("f-files", &files_error))
            progress.upload hidden max="100" value="0" aria-label=(tr.t("request.files.progress")) {}
        }
    }
}

/// What the file inputs of plans, photos and signed documents take (checked again by content
/// on the server).
pub const ACCEPTED_FILES: &str =
    ".pdf,.jpg,.jpeg,.png,.webp,.heic,.heif,application/pdf,image/jpeg,image/png,image/webp,image/heic,image/heif";
