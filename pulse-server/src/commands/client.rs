use pulse_core::ids::ClientSlug;
use pulse_core::model::Branding;

use crate::cli::{ClientArgs, ClientCommand, Global};
use crate::error::Result;

pub async fn run(global: &Global, args: ClientArgs) -> Result<()> {
    let store = super::open_store(global).await?;
    match args.command {
        ClientCommand::Create { slug, name } => {
            let slug = ClientSlug::parse(&slug)?;
            let branding = Branding::named(name.unwrap_or_else(|| slug.to_string()));
            let client = store.create_client(&slug, &branding).await?;
            println!("created client `{}` (id {})", client.client().slug, client.id());
        }
        ClientCommand::List => {
            for client in store.clients().await? {
                println!("{}\t{}\t{}", client.id, client.slug, client.branding.display_name);
            }
        }
    }
    store.close().await;
    Ok(())
}
