//! `minimo custom-fields ...`

use crate::Ctx;
use crate::cli::CustomFieldsCommand;
use crate::exit::{Exit, Failure};
use crate::output::table;
use minimo_ext::{CustomField, NewCustomField};
use serde_json::{Value, json};

pub(crate) async fn run(command: CustomFieldsCommand, ctx: &Ctx) -> Result<Exit, Failure> {
    let client = ctx.client()?;
    let fields = client.minimo.custom_fields();
    match command {
        CustomFieldsCommand::List { by_category: false } => {
            let list = fields.list().await.map_err(|e| client.fail(e))?;
            if ctx.out.json {
                ctx.out
                    .json(&Value::Array(list.iter().map(field_json).collect()));
            } else if list.is_empty() {
                ctx.out.text("no custom fields");
            } else {
                ctx.out.text(&fields_table(ctx, &list, true));
            }
        }
        CustomFieldsCommand::List { by_category: true } => {
            let groups = fields.list_grouped().await.map_err(|e| client.fail(e))?;
            if ctx.out.json {
                ctx.out.json(&Value::Array(
                    groups
                        .iter()
                        .map(|g| {
                            json!({
                                "category": g.category,
                                "fields": g.fields.iter().map(field_json).collect::<Vec<_>>(),
                            })
                        })
                        .collect(),
                ));
            } else if groups.is_empty() {
                ctx.out.text("no custom fields");
            } else {
                let mut text = String::new();
                for (i, group) in groups.iter().enumerate() {
                    if i > 0 {
                        text.push('\n');
                    }
                    text.push_str(&ctx.out.bold(&group.category));
                    text.push('\n');
                    for line in fields_table(ctx, &group.fields, false).lines() {
                        text.push_str("  ");
                        text.push_str(line);
                        text.push('\n');
                    }
                }
                ctx.out.text(&text);
            }
        }
        CustomFieldsCommand::Create {
            key,
            label,
            field_type,
            category,
            options,
        } => {
            let mut new = NewCustomField::new(key, label, field_type.into()).options(options);
            if let Some(category) = category {
                new = new.category(category);
            }
            let created = fields.create(new).await.map_err(|e| client.fail(e))?;
            if ctx.out.json {
                ctx.out.json(&field_json(&created));
            } else {
                ctx.out.text(&format!(
                    "created custom field {} ({}, id {})",
                    created.key, created.field_type, created.id
                ));
            }
        }
    }
    Ok(Exit::Ok)
}

/// A field as `--json` prints it: the API's names.
fn field_json(field: &CustomField) -> Value {
    json!({
        "id": field.id,
        "key": field.key,
        "displayName": field.label,
        "type": field.field_type.to_string(),
        "category": field.category,
        "visibility": field.visibility,
        "source": field.source,
        "options": field.options,
    })
}

/// KEY, TYPE, LABEL, (CATEGORY), OPTIONS, SOURCE.
fn fields_table(ctx: &Ctx, fields: &[CustomField], with_category: bool) -> String {
    let mut header = vec!["KEY", "TYPE", "LABEL"];
    if with_category {
        header.push("CATEGORY");
    }
    header.extend(["SOURCE", "OPTIONS"]);
    let mut rows = vec![header.into_iter().map(str::to_owned).collect::<Vec<_>>()];
    for field in fields {
        let mut row = vec![
            field.key.clone(),
            field.field_type.to_string(),
            field.label.clone().unwrap_or_default(),
        ];
        if with_category {
            row.push(field.category.clone().unwrap_or_default());
        }
        row.push(field.source.clone().unwrap_or_default());
        row.push(field.options.join(", "));
        rows.push(row);
    }
    table(&rows, true, &ctx.out)
}
