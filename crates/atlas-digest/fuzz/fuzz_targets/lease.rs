//! The client's lease and single-flight machine driven by arbitrary operation sequences: up to 8
//! requests authorize, get waits polled or dropped, leases completed or dropped, 401s (stale or not,
//! new nonce or the same), Authentication-Info with a nextnonce, invalidate. Never a panic; the nc
//! span is never exceeded; no (nonce, nc) is handed out twice.
#![no_main]

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

use atlas_digest::{
    AuthorizationHeader, Authorize, ClientConfig, Credentials, DigestClient, NcLease, NcWait,
    RequestFacts, RequestState,
};
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Slot {
    state: Option<RequestState>,
    lease: Option<NcLease>,
    wait: Option<NcWait>,
}

fuzz_target!(|data: &[u8]| {
    let Some((&span, ops)) = data.split_first() else {
        return;
    };
    let span = u32::from(span % 8) + 1;
    let client = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_nc_span(span).with_max_nc(40),
    );
    let facts = RequestFacts::new("GET", "/x");
    let mut slots: Vec<Slot> = (0..8).map(|_| Slot::default()).collect();
    let mut issued: HashSet<(String, u32)> = HashSet::new();
    let mut nonce = 0u32;
    let waker = Waker::noop();
    for pair in ops.chunks(2) {
        let (op, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let s = &mut slots[usize::from(arg % 8)];
        match op % 9 {
            0 => {
                let st = s.state.get_or_insert_with(|| client.start());
                match client.authorize(st, &facts, "c") {
                    Ok(Authorize::Send { header, lease }) => {
                        let h: AuthorizationHeader = header.parse().expect("own header parses");
                        assert!(issued.insert((h.nonce, h.nc.expect("nc"))), "nc handed out twice");
                        s.lease = Some(lease);
                    }
                    Ok(Authorize::Probe) => {}
                    Ok(Authorize::Wait(w)) => s.wait = Some(w),
                    Err(_) => {}
                }
            }
            1 => {
                if let Some(w) = s.wait.as_mut() {
                    let _ = Pin::new(w).poll(&mut Context::from_waker(waker));
                }
            }
            2 => s.wait = None,
            3 => s.lease = None,
            4 => *s = Slot::default(),
            5 | 6 => {
                if let Some(st) = s.state.as_mut() {
                    if op % 9 == 5 || nonce == 0 {
                        nonce += 1;
                    }
                    let stale = if arg & 0x80 != 0 { ", stale=true" } else { "" };
                    let c = format!("Digest realm=\"r\", qop=\"auth\", nonce=\"n{nonce}\"{stale}");
                    let _ = client.on_unauthorized(st, [c.as_str()]);
                }
            }
            7 => {
                if let Some(st) = s.state.as_ref() {
                    nonce += 1;
                    let _ = client.on_authentication_info(st, &format!("nextnonce=\"n{nonce}\""));
                }
            }
            _ => client.invalidate(),
        }
        assert!(client.load().0 <= span, "more nc in flight than the span");
    }
});
