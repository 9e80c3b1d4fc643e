//! The `pulse` binary. A thin adapter: every command parses its arguments, calls the
//! library crates (`serve` and `demo` start `pulse_server::server`), and prints.

mod cli;
mod commands;
mod error;
mod render;

use pulse_server::telemetry;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("start the tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}

async fn run(cli: Cli) -> error::Result<()> {
    let global = cli.global;
    match cli.command {
        Command::Migrate => commands::migrate::run(&global).await,
        Command::Import(args) => commands::import::run(&global, args).await,
        Command::Generate(args) => commands::generate::run(args),
        Command::Demo(args) => commands::demo::run(&global, args).await,
        Command::Client(args) => commands::client::run(&global, args).await,
        Command::Metrics(args) => commands::metrics::run(&global, args).await,
        Command::Explain(args) => commands::metrics::explain(&global, args).await,
        Command::Refresh => commands::metrics::refresh(&global).await,
        Command::Worker(args) => commands::jobs::worker(&global, args).await,
        Command::Jobs(args) => commands::jobs::run(&global, args).await,
        Command::Integration(args) => commands::integration::run(&global, args).await,
        Command::Sync(args) => commands::sync::run(&global, args).await,
        Command::Serve(args) => commands::serve::run(&global, args).await,
        Command::User(args) => commands::user::run(&global, args).await,
        Command::Token(args) => commands::user::tokens(&global, args).await,
    }
}
