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
    store.close().await;
    Ok(())
}
