use std::time::Instant;

use pulse_core::dates::parse_date_or_timestamp;
use pulse_core::generate::{Generator, Scale};

use crate::cli::GenerateArgs;
use crate::error::Result;

pub fn run(args: GenerateArgs) -> Result<()> {
    let scale: Scale = args.scale.parse()?;
    let mut generator = Generator::new(scale).seed(args.seed);
    if let Some(end) = &args.end {
        generator = generator.end(parse_date_or_timestamp(end)?);
    }
    let started = Instant::now();
    let org = generator.generate();
    org.write_dir(&args.out)?;
    println!("wrote the {scale} organisation to {} in {:.1}s:", args.out.display(), started.elapsed().as_secs_f64());
    for (entity, n) in org.counts() {
        println!("{entity:>22}: {n}");
    }
    Ok(())
}
