//! The README's library example, runnable: write a synthetic organisation in the import
//! format, import it into an embedded store, and look at what landed.
//!
//!     cargo run -p pulse-examples --example quickstart

use pulse_core::Store;
use pulse_core::generate::{Generator, Scale};
use pulse_core::ids::ClientSlug;
use pulse_core::model::{Commit, Deployment, DeploymentResult, PullRequest};

#[tokio::main]
async fn main() -> pulse_core::Result<()> {
    let work = tempfile::tempdir().expect("a temporary directory");
    let files = work.path().join("org");
    Generator::new(Scale::Small).generate().write_dir(&files)?;

    let store = Store::open(&format!("sqlite://{}", work.path().join("pulse.db").display())).await?;
    let acme = store.client_or_create(&ClientSlug::parse("acme")?).await?;
    let summary = acme.import().dir(&files)?.execute().await?;
    print!("imported:\n{summary}");

    let merged = acme.list::<PullRequest>().await?.iter().filter(|pr| pr.merged_at.is_some()).count();
    let deployments = acme.list::<Deployment>().await?;
    let failed = deployments.iter().filter(|d| d.result == DeploymentResult::Failure).count();
    println!("{} commits, {merged} merged pull requests", acme.count::<Commit>().await?);
    println!("{} deployments, {failed} of them failed", deployments.len());
    for project in acme.projects().await? {
        println!("project {}: {} repositories, teams {:?}", project.name, project.repos.len(), project.teams.keys());
    }
    store.close().await;
    Ok(())
}
