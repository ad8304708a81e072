//! `mock`: a local Atlas in the foreground until Ctrl-C.

use atlas_mock::{MockError, ServeOptions};

use crate::cli::MockArgs;
use crate::errors::{CliError, Exit};
use crate::logging;
use crate::output::{Ui, bold};

pub(super) async fn run(args: MockArgs, ui: Ui) -> Result<Exit, CliError> {
    let mut opts = ServeOptions::new(args.listen);
    if let Some(private) = &args.private_key {
        logging::register_secret(private);
        eprintln!(
            "{} --private-key is visible to other users of this machine (ps, /proc); fine for a fake local key, never pass a real Atlas key on the command line",
            bold("warning:", ui.color_err())
        );
    }
    opts.public_key = args.public_key;
    opts.private_key = args.private_key;
    opts.data = args.data;
    opts.tls_ca_out = args.tls_ca_out;
    opts.sunset = args.sunset;
    opts.unauthenticated_route = args.noauth_route;
    tracing::debug!(?opts, "mock options");
    let mut out = std::io::stdout();
    atlas_mock::serve_until_signal(opts, &mut out)
        .await
        .map_err(|e| describe(&e))?;
    Ok(Exit::Ok)
}

fn describe(e: &MockError) -> CliError {
    let message = crate::errors::chain(e);
    match e {
        MockError::Bind { addr, .. } => CliError::new(Exit::Network, message).with_hint(format!(
            "is another program listening on {addr}? choose another address with --listen, e.g. --listen 127.0.0.1:0"
        )),
        MockError::Data(_) | MockError::ReadFile { .. } => CliError::usage(message)
            .with_hint("--data takes a JSON data set in the mock's format (see atlas-mock's Dataset::from_json)"),
        MockError::InvalidConfig(_) => CliError::usage(message),
        _ => CliError::new(Exit::Api, message),
    }
}
