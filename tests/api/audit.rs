use diesel::connection::SimpleConnection;
use liaison::domain::{Lang, Role};

use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_database_refuses_update_and_delete_of_audit_records() {
    let app = spawn_app().await;
    app.user("a@example.org", Role::Admin, Lang::En);
    let mut conn = app.conn();
    let update = conn.batch_execute("UPDATE audit_log SET action = 'tampered' WHERE seq = 1");
    assert!(update.is_err(), "UPDATE must be refused");
    assert!(format!("{:?}", update.err()).contains("append-only"));
    let delete = conn.batch_execute("DELETE FROM audit_log");
    assert!(delete.is_err(), "DELETE must be refused");
}

#[actix_web::test]
async fn audit_verify_passes_untouched_and_fails_after_tampering() {
    let app = spawn_app().await;
    app.user("a@example.org", Role::Admin, Lang::En);
    app.user("b@example.org", Role::Investigator, Lang::Ja);
    let ok = app.cli(&["audit", "verify"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 2 record(s)"));

    // An attacker with database rights drops the guard and edits history.
    let mut conn = app.conn();
    let drop_trigger = if app.is_postgres() {
        "DROP TRIGGER audit_log_no_update ON audit_log"
    } else {
        "DROP TRIGGER audit_log_no_update"
    };
    conn.batch_execute(drop_trigger).unwrap();
    conn.batch_execute("UPDATE audit_log SET after_json = '{\"role\":\"admin\"}' WHERE seq = 2")
        .unwrap();

    let broken = app.cli(&["audit", "verify"], None);
    assert_eq!(broken.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&broken.stdout);
    assert!(stdout.contains("BROKEN at record 2"), "{stdout}");
}
