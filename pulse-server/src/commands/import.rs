use std::time::Instant;

use crate::cli::{Global, ImportArgs};
use crate::error::Result;

pub async fn run(global: &Global, args: ImportArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    let client = super::open_client(&store, global).await?;
    let started = Instant::now();
    let summary = client.import().dir(&args.dir)?.execute().await?;
    println!(
        "imported {} into client `{}` in {:.1}s:",
        args.dir.display(),
        client.client().slug,
        started.elapsed().as_secs_f64()
    );
    print!("{summary}");
    if let Some(facts) = &summary.facts {
        println!("{}", crate::render::refresh(facts));
    }
    store.close().await;
    Ok(())
}
