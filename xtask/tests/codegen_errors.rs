//! Bad specs get errors that say what and where, never panics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xtask::codegen::{Error, generate};

const HEADER: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n";

fn spec_error(text: &str) -> (String, String) {
    match generate(text) {
        Err(Error::Spec(e)) => (e.pointer, e.message),
        other => panic!("expected a spec error, got {other:?}"),
    }
}

#[test]
fn invalid_yaml_reports_line_and_column() {
    let text = format!("{HEADER}paths:\n  /a:\n    get: {{operationId: x\n");
    match generate(&text) {
        Err(Error::Yaml {
            line: Some(line),
            column: Some(column),
            ..
        }) => {
            assert_eq!(line, 6, "line of the unclosed flow mapping's end");
            assert!(column >= 1);
            let message = generate(&text).unwrap_err().to_string();
            assert!(
                message.starts_with(&format!("invalid YAML at line {line}, column {column}")),
                "{message}"
            );
        }
        other => panic!("expected a YAML error with a location, got {other:?}"),
    }
}

#[test]
fn missing_operation_id_names_the_operation() {
    let text = format!(
        "{HEADER}paths:\n  /contacts/{{id}}:\n    get:\n      responses: {{'200': {{description: ok}}}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1contacts~1{id}/get");
    assert!(message.contains("missing operationId"), "{message}");
}

#[test]
fn duplicate_operation_id_names_both_places() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get: {{operationId: same, responses: {{'200': {{description: ok}}}}}}\n  /b:\n    get: {{operationId: same, responses: {{'200': {{description: ok}}}}}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1b/get/operationId");
    assert!(
        message.contains("duplicate operationId `same`") && message.contains("/paths/~1a/get"),
        "{message}"
    );
}

#[test]
fn unknown_openapi_version_is_rejected() {
    let (pointer, message) =
        spec_error("openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}\n");
    assert_eq!(pointer, "/openapi");
    assert!(
        message.contains("unsupported OpenAPI version `2.0`"),
        "{message}"
    );
    let (_, message) = spec_error("swagger: '2.0'\npaths: {}\n");
    assert!(message.contains("missing"), "{message}");
}

#[test]
fn different_error_bodies_are_rejected_with_their_pointer() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200': {{description: ok}}\n        '400': {{description: x, content: {{application/json: {{schema: {{type: object}}}}}}}}\n        '404': {{description: y, content: {{application/json: {{schema: {{type: string}}}}}}}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1a/get/responses/404");
    assert!(message.contains("one error schema"), "{message}");
}

#[test]
fn different_success_bodies_are_rejected_with_their_pointer() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200': {{description: x, content: {{application/json: {{schema: {{type: object}}}}}}}}\n        '204': {{description: empty}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1a/get/responses/204");
    assert!(message.contains("different bodies"), "{message}");
}

#[test]
fn several_request_media_types_are_rejected() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    post:\n      operationId: postA\n      requestBody: {{content: {{application/json: {{schema: {{type: object}}}}, text/plain: {{schema: {{type: string}}}}}}}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1a/post/requestBody/content");
    assert!(message.contains("several request media types"), "{message}");
}

#[test]
fn type_array_without_a_3_0_spelling_names_its_pointer() {
    let text = format!(
        "{HEADER}paths: {{}}\ncomponents:\n  schemas:\n    Id:\n      type: object\n      properties:\n        value: {{type: [string, integer]}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/components/schemas/Id/properties/value/type");
    assert!(message.contains("write it as oneOf"), "{message}");
}

#[test]
fn colliding_field_names_are_rejected() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get: {{operationId: getA, responses: {{'200': {{description: ok}}}}}}\ncomponents:\n  schemas:\n    Field:\n      type: object\n      properties:\n        displayName: {{type: string}}\n        display_name: {{type: string}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/components/schemas/Field/properties/display_name");
    assert!(
        message.contains("both become the Rust field `display_name`"),
        "{message}"
    );
}

#[test]
fn path_item_refs_are_rejected() {
    let text = format!("{HEADER}paths:\n  /a: {{$ref: '#/components/pathItems/A'}}\n");
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1a/$ref");
    assert!(message.contains("$ref"), "{message}");
}

#[test]
fn a_shape_openapiv3_cannot_read_names_its_pointer() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get:\n      operationId: getA\n      parameters:\n        - {{name: q, in: nowhere, schema: {{type: string}}}}\n      responses: {{'200': {{description: ok}}}}\n"
    );
    let (pointer, _message) = spec_error(&text);
    assert!(
        pointer.starts_with("/paths/~1a/get/parameters/0"),
        "{pointer}"
    );
}

#[test]
fn an_inline_email_string_is_rejected_so_debug_stays_masked() {
    let root = xtask::workspace_root().unwrap();
    let text = std::fs::read_to_string(root.join(xtask::codegen::SPEC)).unwrap();
    let inline = text.replacen(
        "        email:\n          $ref: '#/components/schemas/EmailAddress'\n          description: New email address.",
        "        email:\n          type: string\n          description: New email address.",
        1,
    );
    assert_ne!(text, inline, "the fixture edit must hit the spec");
    let (pointer, message) = spec_error(&inline);
    assert_eq!(
        pointer,
        "/components/schemas/ContactUpdate/properties/email"
    );
    assert!(message.contains("EmailAddress"), "{message}");

    let renamed = text.replace("EmailAddress", "MailAddress");
    let (pointer, message) = spec_error(&renamed);
    assert_eq!(pointer, "/components/schemas/EmailAddress");
    assert!(message.contains("masked"), "{message}");
}

#[test]
fn a_non_json_error_body_is_not_silently_replaced() {
    let text = format!(
        "{HEADER}paths:\n  /a:\n    get:\n      operationId: getA\n      responses:\n        '200': {{description: ok}}\n        '404': {{description: x, content: {{application/json: {{schema: {{type: object}}}}}}}}\n        '502': {{description: gateway page, content: {{text/html: {{schema: {{type: string}}}}}}}}\n"
    );
    let (pointer, message) = spec_error(&text);
    assert_eq!(pointer, "/paths/~1a/get/responses/502/content");
    assert!(message.contains("not application/json"), "{message}");
}
