//! Changes a contact's email the safe way.
//!
//! With `MINIMO_API_KEY` set (and optionally `MINIMO_API_URL`), it talks to the real API and
//! needs both emails on the command line:
//!
//! ```text
//! MINIMO_API_KEY=mn-... cargo run -p minimo-ext --example change_email -- old@example.com new@example.com
//! ```
//!
//! Without it, it starts an in-process `minimo-fake` server, seeds the old contact, and says
//! so on its first line of output.

use minimo_ext::{ContactInput, EmailChange, Minimo};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let real_api = std::env::var_os(minimo_ext::ENV_API_KEY).is_some();
    let (old, new) = match args.as_slice() {
        [old, new] => (old.clone(), new.clone()),
        // Against the real API the emails are never guessed: they change real data.
        _ if real_api => return Err("usage: change_email OLD_EMAIL NEW_EMAIL".into()),
        _ => (
            "jane@example.com".to_owned(),
            "jane.doe@example.com".to_owned(),
        ),
    };

    // Keep the fake alive for the whole run when there is one.
    let (minimo, _fake) = if real_api {
        let minimo = Minimo::from_env()?;
        println!("using the Minimo API at {}", minimo.base_url());
        (minimo, None)
    } else {
        let key = "mn-example-localsecret";
        let fake = minimo_fake::FakeServer::builder()
            .api_key(key)
            .start()
            .await?;
        println!(
            "MINIMO_API_KEY is not set: using an in-process minimo-fake at {}",
            fake.base_url()
        );
        let minimo = Minimo::builder()
            .api_key(key)
            .base_url(fake.base_url())
            .build()?;
        let id = minimo
            .upsert(ContactInput::with_email(&old).custom_field("PLAN", "pro"))
            .await?;
        println!("seeded contact {id}");
        (minimo, Some(fake))
    };

    match minimo.change_email(&old, &new).await? {
        EmailChange::Changed { id } => println!("contact {id}: email changed"),
        EmailChange::AlreadyApplied { id } => {
            println!("contact {id} already has the new email: nothing to do")
        }
    }
    // Running it again is safe: it reports the change as already applied.
    let again = minimo.change_email(&old, &new).await?;
    println!("second run: {again:?}");
    Ok(())
}
