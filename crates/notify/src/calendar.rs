//! The calendar invitation (iCalendar, RFC 5545) sent when the on-site shoot is planned or moved.
//! One event per stage (stable UID); each change carries a higher SEQUENCE, so calendars update
//! the event instead of adding a second one.

use icalendar::{Calendar, Component, Event, Property};
use immovr_core::model::{CompanySettings, Language, OutboxMessage};
use immovr_core::notification::Notification;

use crate::Attachment;

/// The invitation for a planned shoot (`stage_planned` of the `shoot` stage, with a date).
pub fn shoot_invitation(m: &OutboxMessage, company: &CompanySettings, url: &str) -> Option<Attachment> {
    let Ok(Notification::StagePlanned(news)) = m.notification() else { return None };
    if news.stage_code != "shoot" {
        return None;
    }
    let date = news.planned_date?;
    let (stage_id, stage) = (news.stage_id, news.stage.as_str());
    let domain = company.email.rsplit('@').next().unwrap_or("immovr.example");
    let next = date.tomorrow().ok()?;
    let ymd = |d: jiff::civil::Date| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    let stamp = m.created_at.strftime("%Y%m%dT%H%M%SZ").to_string();
    let description = match m.language {
        Language::Fr => format!("Prise de vue sur site par {}. Suivi : {url}", company.trade_name),
        Language::En => format!("On-site shoot by {}. Follow-up: {url}", company.trade_name),
    };
    let event = Event::new()
        .uid(&format!("stage-{stage_id}@{domain}"))
        .add_property("DTSTAMP", &stamp)
        .add_property("SEQUENCE", m.id.to_string())
        .append_property(Property::new("DTSTART", ymd(date)).add_parameter("VALUE", "DATE").done())
        .append_property(Property::new("DTEND", ymd(next)).add_parameter("VALUE", "DATE").done())
        .summary(&format!("{} — {stage}", company.trade_name))
        .description(&description)
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", company.email))
                .add_parameter("CN", &company.trade_name)
                .done(),
        )
        .append_property(
            Property::new("ATTENDEE", format!("mailto:{}", m.recipient))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("RSVP", "FALSE")
                .done(),
        )
        .done();
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("METHOD", "REQUEST"));
    calendar.push(event);
    Some(Attachment {
        filename: "invitation.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=REQUEST".into(),
        bytes: calendar.done().to_string().into_bytes(),
    })
}
