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
    println!("\nProject `{}` covers {} repositories.", org.project.name, org.project.repos.len());
    store.close().await;
    Ok(())
}
