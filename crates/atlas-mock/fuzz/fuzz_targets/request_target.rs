//! The mock's request-target parsing on arbitrary input: the first line is the path, the second the
//! query (absent when there is no second line), the rest the `Accept` header. No input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let path = lines.next().unwrap_or("");
    let query = lines.next();
    let accept = lines.next().unwrap_or("");
    let _ = atlas_mock::fuzzing::request_target(path, query, accept);
});
