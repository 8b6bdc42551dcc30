//! The demo seeds quotes and orders in every state of the journey.

use super::*;

both!(demo_covers_every_state, async |app: &TestApp| {
    assert!(immovr::demo::seed(&app.store, app.clock.clone(), &app.files).await.unwrap());
    assert!(!immovr::demo::seed(&app.store, app.clock.clone(), &app.files).await.unwrap(), "seeds once");
    let statuses: Vec<String> = app.get(&app.admin, "/api/v1/quotes").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["status"].as_str().unwrap().to_string())
        .collect();
    for s in ["draft", "sent", "expired", "refused", "superseded", "accepted"] {
        assert!(statuses.iter().any(|x| x == s), "no {s} quote in {statuses:?}");
    }
    let pos: Vec<String> = app.get(&app.admin, "/api/v1/purchase-orders").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap().to_string())
        .collect();
    assert!(pos.contains(&"pending".to_string()) && pos.contains(&"validated".to_string()));
    let invoices: Vec<String> = app.get(&app.admin, "/api/v1/invoices").await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_string())
        .collect();
    assert!(invoices.contains(&"paid".to_string()) && invoices.contains(&"partially_paid".to_string()), "{invoices:?}");
    let client = app.login(immovr::demo::CLIENT_EMAIL, immovr::demo::CLIENT_PASSWORD).await;
    assert!(!app.list(&client, "/api/v1/orders").await.is_empty());
    let company = app.get(&app.admin, "/api/v1/settings/company").await;
    assert_eq!((company.body["legal_name"].as_str(), company.body["demo"].as_bool()), (Some("Virtuelli"), Some(true)));
});
