//! The calendar invitation (iCalendar, RFC 5545) sent when the on-site shoot is planned or moved.
//! One event per stage (stable UID); each change carries a higher SEQUENCE, so calendars update
//! the event instead of adding a second one. With a time, the event starts then (the studio's
//! clock, written in UTC) and lasts [`SHOOT_HOURS`]; without one, it takes the day. Its place is
//! the stage's (the property's address).

use icalendar::{Calendar, Component, Event, EventLike, Property};
use immovr_core::model::{CompanySettings, Language, ON_SITE_STAGE, OutboxMessage};
use immovr_core::notification::Notification;
use immovr_core::ports::studio_timezone;

use crate::Attachment;

/// How long a timed shoot is put in the client's calendar.
pub const SHOOT_HOURS: i64 = 2;

/// Whether this notification's email carries a calendar invitation (see [`shoot_invitation`]).
pub fn invites(n: &Notification) -> bool {
    matches!(n, Notification::StagePlanned(p) if p.stages.iter().any(|s| s.stage_code == ON_SITE_STAGE && s.planned_date.is_some()))
}

/// The invitation for a planned shoot (`stage_planned` with the on-site stage, with a date).
pub fn shoot_invitation(m: &OutboxMessage, company: &CompanySettings, url: &str) -> Option<Attachment> {
    let Ok(Notification::StagePlanned(planned)) = m.notification() else { return None };
    let news = planned.stages.iter().find(|s| s.stage_code == ON_SITE_STAGE)?;
    let date = news.planned_date?;
    let (stage_id, stage) = (news.stage_id, news.stage.as_str());
    let domain = company.email.rsplit('@').next().unwrap_or("immovr.example");
    let ymd = |d: jiff::civil::Date| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    let utc = |t: jiff::Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let stamp = utc(m.created_at);
    let (start, end) = match news.planned_time {
        Some(time) => {
            let start = date.to_datetime(time).to_zoned(studio_timezone()).ok()?.timestamp();
            let end = start + jiff::SignedDuration::from_hours(SHOOT_HOURS);
            (Property::new("DTSTART", utc(start)).done(), Property::new("DTEND", utc(end)).done())
        }
        None => (
            Property::new("DTSTART", ymd(date)).add_parameter("VALUE", "DATE").done(),
            Property::new("DTEND", ymd(date.tomorrow().ok()?)).add_parameter("VALUE", "DATE").done(),
        ),
    };
    let description = match m.language {
        Language::Fr => format!("Prise de vue sur site par {}. Suivi : {url}", company.trade_name),
        Language::En => format!("On-site shoot by {}. Follow-up: {url}", company.trade_name),
    };
    let event = Event::new()
        .uid(&format!("stage-{stage_id}@{domain}"))
        .add_property("DTSTAMP", &stamp)
        .add_property("SEQUENCE", m.id.to_string())
        .append_property(start)
        .append_property(end)
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
    let mut event = event;
    if let Some(place) = &news.place {
        event.location(place);
    }
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("METHOD", "REQUEST"));
    calendar.push(event);
    Some(Attachment {
        filename: "invitation.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=REQUEST".into(),
        bytes: calendar.done().to_string().into_bytes(),
    })
}
