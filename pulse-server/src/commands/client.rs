use pulse_core::ids::ClientSlug;
use pulse_core::model::{Branding, Color};

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
        ClientCommand::Branding { slug, name, logo_url, primary_color, accent_color } => {
            let mut client = store.client(&ClientSlug::parse(&slug)?).await?;
            let mut branding = client.client().branding.clone();
            if let Some(name) = name {
                branding.display_name = name;
            }
            if let Some(url) = logo_url {
                branding.logo_url = Some(url).filter(|u| !u.is_empty());
            }
            if let Some(c) = primary_color {
                branding.primary_color = Some(Color::parse(&c)?);
            }
            if let Some(c) = accent_color {
                branding.accent_color = Some(Color::parse(&c)?);
            }
            client.set_branding(&branding).await?;
            println!("updated the branding of client `{slug}`");
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
