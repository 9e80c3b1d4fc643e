use crate::cli::Global;
use crate::error::Result;

pub async fn run(global: &Global) -> Result<()> {
    let store = pulse_core::Store::connect(&global.db).await?;
    store.migrate().await?;
    println!("schema is up to date ({})", store.backend().as_str());
    store.close().await;
    Ok(())
}
