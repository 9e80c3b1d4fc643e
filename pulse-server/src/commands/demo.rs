use pulse_core::dates::start_of_day;
use pulse_core::generate::{Generator, Scale};

use crate::cli::{DemoArgs, Global};
use crate::error::Result;

/// Loads the small synthetic organisation, ending today, into the embedded database.
/// Loading is idempotent: running the demo again refreshes the same records.
pub async fn run(global: &Global, args: DemoArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    let org = Generator::new(Scale::Small).seed(args.seed).end(start_of_day(chrono::Utc::now())).generate();
    org.load(&client).await?;
    println!("Pulse demo: loaded a synthetic organisation into {} (client `{}`):", global.db, client.client().slug);
    for (entity, n) in org.counts() {
        println!("{entity:>22}: {n}");
    }
    println!("\nProject `{}` covers {} repositories.\n", org.project.name, org.project.repos.len());
    let to = start_of_day(chrono::Utc::now()) + chrono::Duration::days(1);
    let from = to - chrono::Duration::days(90);
    let report = client.metrics().dora().project(org.project.name.as_str()).between(from, to).execute().await?;
    print!("{}", crate::render::dora(&report));
    println!(
        "\nMore: pulse metrics dora --project {} --from {} --to {} --interval month\n      pulse explain dora --project {} --from {} --to {} --metric lead_time_for_changes",
        org.project.name,
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d"),
        org.project.name,
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d"),
    );
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    serve(&store, &client, args.addr, org.project.name.as_ref(), &from, &to).await?;
    store.close().await;
    Ok(())
}

/// Serves the demo data on `addr` with an admin who can sign in, and prints how.
async fn serve(
    store: &pulse_core::Store,
    client: &pulse_core::ClientStore,
    addr: std::net::SocketAddr,
    project: &str,
    from: &chrono::DateTime<chrono::Utc>,
    to: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    use pulse_core::auth::Password;
    use pulse_core::model::{Email, NewUser, Role};
    use pulse_server::auth::{JwtKeys, Principal, Subject};

    let email = Email::parse("admin@demo.pulse").expect("a valid address");
    let admin = client
        .upsert_user(&NewUser { email: email.clone(), display_name: "Demo admin".into(), role: Role::Admin })
        .await?;
    let password = random_password();
    client.set_password(admin.id, &Password::new(password.clone())?).await?;

    let keys = JwtKeys::random();
    let mut config = super::serve::config(addr, keys.clone());
    config.access_ttl = std::time::Duration::from_secs(12 * 3600);
    config.workers = 1;
    let server = pulse_server::server::Server::bind(store.clone(), config.clone()).await.map_err(|e| {
        crate::error::Error::Usage(format!("{e} (is another `pulse demo` running? try --addr 127.0.0.1:8001)"))
    })?;
    let url = format!("http://{}", server.local_addr());
    let token = keys.issue_access(
        &Principal { client: client.id(), role: Role::Admin, subject: Subject::User(admin.id) },
        config.access_ttl,
    );
    println!("\nServing the demo at {url}  (Ctrl-C stops it)");
    println!("  API reference: {url}/api/v1/openapi.json");
    println!("  Sign in:       client `{}`, e-mail {}, password {password}", client.client().slug, email.as_str());
    println!(
        "  Try:\n    curl -H 'Authorization: Bearer {token}' \\\n      '{url}/api/v1/metrics/dora?project={project}&from={}&to={}&interval=month'",
        from.format("%Y-%m-%d"),
        to.format("%Y-%m-%d")
    );
    server
        .run(super::shutdown_signal())
        .await
        .map_err(|e| crate::error::Error::Usage(format!("the server failed: {e}")))?;
    Ok(())
}

/// A password for this run of the demo: 16 characters from the system's random source.
fn random_password() -> String {
    use rand::TryRng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).expect("the system random source works");
    bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}
