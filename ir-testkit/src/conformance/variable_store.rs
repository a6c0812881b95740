//! The `VariableStore` contract, against a backend holding a [`VariableFixture`]'s variables.
//! Needs a backend that keeps state.

use ir_core::ports::{SetOptions, VariableStore};
use secrecy::{ExposeSecret, SecretString};

use super::{check, check_eq, ok};
use crate::VariableFixture;

/// `list_names` returns every name, sorted.
pub async fn lists_names_sorted(store: &dyn VariableStore, fixture: &VariableFixture) {
    const RULE: &str = "variable_store::lists_names_sorted";
    let mut want: Vec<String> = fixture.existing.iter().map(|(n, _)| n.clone()).collect();
    want.sort();
    let names = ok(store.list_names().await, RULE, "list_names");
    check_eq!(names, want, RULE, "list_names returns every name, sorted");
}

/// `get` of a set name returns its value; of an unset name, `None`.
pub async fn gets_values(store: &dyn VariableStore, fixture: &VariableFixture) {
    const RULE: &str = "variable_store::gets_values";
    for (name, value) in &fixture.existing {
        let got = ok(store.get(name).await, RULE, "get");
        check_eq!(
            got.as_ref().map(|s| s.expose_secret().to_owned()),
            Some(value.clone()),
            RULE,
            "get({name}) returns its value"
        );
    }
    check!(
        ok(store.get(&fixture.scratch).await, RULE, "get unset").is_none(),
        RULE,
        "an unset name is None"
    );
}

/// set → get → listed → delete → get: `get` returns what `set` wrote, a set name is listed,
/// `delete` unsets. Leaves the scratch name unset.
pub async fn set_then_delete(store: &dyn VariableStore, fixture: &VariableFixture) {
    const RULE: &str = "variable_store::set_then_delete";
    let secret = SecretString::from(format!("v-{}", uuid::Uuid::new_v4().simple()));
    ok(
        store
            .set(
                &fixture.scratch,
                secret.clone(),
                SetOptions { skip_deploys: true },
            )
            .await,
        RULE,
        "set",
    );
    let got = ok(store.get(&fixture.scratch).await, RULE, "get after set");
    check_eq!(
        got.map(|s| s.expose_secret().to_owned()),
        Some(secret.expose_secret().to_owned()),
        RULE,
        "get returns what set wrote"
    );
    check!(
        ok(store.list_names().await, RULE, "list_names").contains(&fixture.scratch),
        RULE,
        "a set name is listed"
    );
    ok(store.delete(&fixture.scratch).await, RULE, "delete");
    check!(
        ok(store.get(&fixture.scratch).await, RULE, "get after delete").is_none(),
        RULE,
        "delete unsets"
    );
}

/// Deleting an unset name is not an error.
pub async fn deleting_an_unset_name_succeeds(store: &dyn VariableStore, fixture: &VariableFixture) {
    const RULE: &str = "variable_store::deleting_an_unset_name_succeeds";
    ok(
        store.delete(&fixture.scratch).await,
        RULE,
        "deleting an unset name is not an error",
    );
}

/// Every rule above.
pub async fn run_all(store: &dyn VariableStore, fixture: &VariableFixture) {
    lists_names_sorted(store, fixture).await;
    gets_values(store, fixture).await;
    set_then_delete(store, fixture).await;
    deleting_an_unset_name_succeeds(store, fixture).await;
}
