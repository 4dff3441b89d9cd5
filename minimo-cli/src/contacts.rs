//! `minimo contacts ...`

use crate::cli::{ContactFields, ContactsCommand};
use crate::exit::{Exit, Failure};
use crate::fields::{Definitions, FieldArg, typed_fields};
use crate::output::{show_value, table};
use crate::{Client, Ctx};
use minimo_ext::{
    Contact, ContactId, ContactInput, ContactPatch, EmailChange, EmailChangePlan, validate,
};
use serde_json::{Value, json};

pub(crate) async fn run(command: ContactsCommand, ctx: &Ctx) -> Result<Exit, Failure> {
    match command {
        ContactsCommand::Get { email } => get(ctx, &email).await,
        ContactsCommand::Upsert(fields) => upsert(ctx, fields).await,
        ContactsCommand::Update { id, fields } => update(ctx, ContactId::new(id), fields).await,
        ContactsCommand::Delete { id } => {
            let client = ctx.client()?;
            let id = ContactId::new(id);
            client.minimo.delete(id).await.map_err(|e| client.fail(e))?;
            done(ctx, "deleted", id, "soft-deleted contact");
            Ok(Exit::Ok)
        }
        ContactsCommand::Restore { id } => {
            let client = ctx.client()?;
            let id = client
                .minimo
                .restore(ContactId::new(id))
                .await
                .map_err(|e| client.fail(e))?;
            done(ctx, "restored", id, "restored contact");
            Ok(Exit::Ok)
        }
        ContactsCommand::ChangeEmail { old, new, dry_run } => {
            if dry_run {
                change_email_dry_run(ctx, &old, &new).await
            } else {
                change_email(ctx, &old, &new).await
            }
        }
    }
}

/// One line (or one JSON document) for a write that worked.
fn done(ctx: &Ctx, result: &str, id: ContactId, text: &str) {
    if ctx.out.json {
        ctx.out.json(&json!({"result": result, "id": id.get()}));
    } else {
        ctx.out.text(&format!("{text} {id}"));
    }
}

async fn get(ctx: &Ctx, email: &str) -> Result<Exit, Failure> {
    let client = ctx.client()?;
    let contact = client
        .minimo
        .get_by_email(email)
        .await
        .map_err(|e| client.fail(e))?
        .ok_or_else(|| Failure::new(Exit::NotFound, "no live contact has this email"))?;
    if ctx.out.json {
        ctx.out.json(&contact_json(&contact));
    } else {
        ctx.out.text(&contact_table(ctx, &contact));
    }
    Ok(Exit::Ok)
}

/// A contact as `--json` prints it: the API's field names.
pub(crate) fn contact_json(contact: &Contact) -> Value {
    let mut doc = json!({
        "id": contact.id.get(),
        "email": contact.email(),
        "phone": contact.phone(),
        "status": contact.status,
        "source": contact.source,
        "company": contact.company,
        "deleted": contact.deleted,
        "externalId": contact.external_id,
        "externalConnectionId": contact.external_connection_id,
        "customFields": Value::Object(contact.custom_fields.0.clone()),
    });
    if !contact.other.is_empty()
        && let Value::Object(map) = &mut doc
    {
        for (key, value) in &contact.other.0 {
            map.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    doc
}

/// A contact as a two-column table; custom fields as `field:KEY` rows, as sync columns
/// name them.
fn contact_table(ctx: &Ctx, contact: &Contact) -> String {
    let opt = |v: Option<&str>| v.unwrap_or("-").to_owned();
    let mut rows = vec![
        vec!["id".to_owned(), contact.id.to_string()],
        vec!["email".to_owned(), opt(contact.email())],
        vec!["phone".to_owned(), opt(contact.phone())],
        vec!["status".to_owned(), opt(contact.status.as_deref())],
        vec!["source".to_owned(), opt(contact.source.as_deref())],
        vec![
            "deleted".to_owned(),
            if contact.deleted { "yes" } else { "no" }.to_owned(),
        ],
        vec![
            "company".to_owned(),
            contact
                .company
                .map_or_else(|| "-".to_owned(), |c| c.to_string()),
        ],
    ];
    if let Some(external) = &contact.external_id {
        rows.push(vec!["external_id".to_owned(), external.clone()]);
    }
    for (key, value) in &contact.custom_fields.0 {
        rows.push(vec![format!("field:{key}"), show_value(value)]);
    }
    table(&rows, false, &ctx.out)
}

/// The `--field` arguments, parsed (before anything else, so a usage error comes first).
fn parse_fields(raw: &[String]) -> Result<Vec<FieldArg>, Failure> {
    raw.iter().map(|arg| FieldArg::parse(arg)).collect()
}

/// Custom-field values typed by the account's definitions (listed only when there are some).
async fn typed(
    ctx: &Ctx,
    client: &Client,
    args: Vec<FieldArg>,
) -> Result<Vec<(String, Value)>, Failure> {
    if args.is_empty() {
        return Ok(Vec::new());
    }
    let (definitions, warning) = Definitions::load(&client.minimo)
        .await
        .map_err(|e| client.fail(e))?;
    if let Some(warning) = warning {
        ctx.out.warn(&warning);
    }
    typed_fields(&definitions, args)
}

async fn upsert(ctx: &Ctx, fields: ContactFields) -> Result<Exit, Failure> {
    if fields.email.is_none() && fields.phone.is_none() {
        return Err(Failure::usage(
            "contacts upsert needs --email or --phone: contacts are matched by them",
        ));
    }
    let args = parse_fields(&fields.fields)?;
    let client = ctx.client()?;
    let values = typed(ctx, &client, args).await?;
    let mut input = ContactInput::default();
    if let Some(email) = fields.email {
        input = input.email(email);
    }
    if let Some(phone) = fields.phone {
        input = input.phone(phone);
    }
    if let Some(name) = fields.first_name {
        input = input.first_name(name);
    }
    if let Some(name) = fields.last_name {
        input = input.last_name(name);
    }
    if let Some(consent) = fields.consent {
        input = input.consent(consent);
    }
    for (key, value) in values {
        input = input.custom_field(&key, value);
    }
    let id = client
        .minimo
        .upsert(input)
        .await
        .map_err(|e| client.fail(e))?;
    done(ctx, "upserted", id, "upserted contact");
    Ok(Exit::Ok)
}

async fn update(ctx: &Ctx, id: ContactId, fields: ContactFields) -> Result<Exit, Failure> {
    let ContactFields {
        email,
        phone,
        first_name,
        last_name,
        fields,
        consent,
    } = fields;
    if email.is_none()
        && phone.is_none()
        && first_name.is_none()
        && last_name.is_none()
        && fields.is_empty()
        && consent.is_none()
    {
        return Err(Failure::usage(
            "contacts update changes nothing without --email, --phone, --first-name, --last-name, --field or --consent \
             (to bring a deleted contact back unchanged: minimo contacts restore ID)",
        ));
    }
    let args = parse_fields(&fields)?;
    let client = ctx.client()?;
    let values = typed(ctx, &client, args).await?;
    let mut patch = ContactPatch::new();
    if let Some(email) = email {
        patch = patch.email(email);
    }
    if let Some(phone) = phone {
        patch = patch.phone(phone);
    }
    if let Some(name) = first_name {
        patch = patch.first_name(name);
    }
    if let Some(name) = last_name {
        patch = patch.last_name(name);
    }
    if let Some(consent) = consent {
        patch = patch.consent(consent);
    }
    for (key, value) in values {
        patch = patch.custom_field(&key, value);
    }
    let id = client
        .minimo
        .update(id, patch)
        .await
        .map_err(|e| client.fail(e))?;
    done(ctx, "updated", id, "updated contact");
    Ok(Exit::Ok)
}

async fn change_email(ctx: &Ctx, old: &str, new: &str) -> Result<Exit, Failure> {
    let client = ctx.client()?;
    let change = client
        .minimo
        .change_email(old, new)
        .await
        .map_err(|e| client.fail(e))?;
    let (result, text) = match change {
        EmailChange::Changed { id } => ("changed", format!("changed the email of contact {id}")),
        EmailChange::AlreadyApplied { id } => (
            "already_applied",
            format!("nothing to do: contact {id} already has the new email"),
        ),
    };
    if ctx.out.json {
        ctx.out
            .json(&json!({"result": result, "id": change.id().get()}));
    } else {
        ctx.out.text(&text);
    }
    Ok(Exit::Ok)
}

/// The look-ups of `change_email` and the decision it would take, nothing else. It prints
/// the verdict on stdout and exits as the real run would (5 for a conflict, 4 when neither
/// email is found).
async fn change_email_dry_run(ctx: &Ctx, old: &str, new: &str) -> Result<Exit, Failure> {
    // The emails are checked before the key is read, as the real run's are.
    validate::email_for_lookup("old email", old).map_err(Failure::from)?;
    validate::email_for_write("new email", new).map_err(Failure::from)?;
    let client = ctx.client()?;
    let plan = client
        .minimo
        .plan_email_change(old, new)
        .await
        .map_err(|e| client.fail(e))?;
    let new = new.trim();
    let (result, id, exit, text, current) = match &plan {
        EmailChangePlan::Change { contact, new } => {
            let from = contact.email().unwrap_or(old);
            let case_only = if from.eq_ignore_ascii_case(new) {
                " (only the case differs)"
            } else {
                ""
            };
            (
                "would_change",
                Some(contact.id),
                Exit::Ok,
                format!(
                    "would change the email of contact {} from {from} to {new}{case_only}",
                    contact.id
                ),
                contact.email(),
            )
        }
        EmailChangePlan::AlreadyApplied { id } => (
            "already_applied",
            Some(*id),
            Exit::Ok,
            format!("nothing to do: contact {id} already has the new email"),
            None,
        ),
        EmailChangePlan::Conflict { contact, holder } => (
            "conflict",
            Some(contact.id),
            Exit::Conflict,
            format!(
                "would fail: the new email is already used by contact {holder} (the old one is on contact {})",
                contact.id
            ),
            contact.email(),
        ),
        _ => (
            "not_found",
            None,
            Exit::NotFound,
            "would fail: no live contact has the old email".to_owned(),
            None,
        ),
    };
    if ctx.out.json {
        ctx.out.json(&json!({
            "dryRun": true,
            "result": result,
            "id": id.map(ContactId::get),
            "old": current,
            "new": new,
        }));
    } else {
        ctx.out
            .text(&format!("{text}\n(dry run: nothing was changed)"));
    }
    Ok(exit)
}
