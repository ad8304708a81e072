//! The run-time switches: the mock clock, the fault plan, the sunset switch.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use super::{bad_request, json_body, ok};
use crate::clock::ClockMode;
use crate::data::object;
use crate::faults::{FaultPlan, FaultState};
use crate::server::Shared;
use crate::server::reply::Reply;

pub(super) fn clock_json(shared: &Shared) -> Value {
    let c = &shared.clock;
    let elapsed = c.elapsed();
    json!({
        "now": crate::clock::format_time(c.at(elapsed)),
        "start": crate::clock::format_time(c.start()),
        "elapsedMs": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        "mode": c.mode(),
    })
}

pub(super) fn set_clock(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let mode: ClockMode =
        serde_json::from_value(v).map_err(|e| bad_request("INVALID_CLOCK_MODE", e))?;
    shared.clock.set_mode(mode);
    Ok(ok(clock_json(shared)))
}

pub(super) fn advance(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let m = object("clock advance", &v, &["ms", "seconds"])
        .map_err(|e| bad_request("INVALID_CLOCK_ADVANCE", e))?;
    let d = match (m.get("ms"), m.get("seconds")) {
        (Some(ms), None) => ms.as_u64().map(Duration::from_millis),
        (None, Some(s)) => s.as_f64().and_then(|s| Duration::try_from_secs_f64(s).ok()),
        _ => None,
    };
    let Some(d) = d else {
        return Err(bad_request(
            "INVALID_CLOCK_ADVANCE",
            "give exactly one of ms (a non-negative integer) or seconds (a non-negative number)",
        ));
    };
    shared.clock.advance(d);
    Ok(ok(clock_json(shared)))
}

pub(super) fn faults_json(shared: &Shared) -> Value {
    let f = shared.faults();
    json!({
        "plan": serde_json::to_value(f.plan()).unwrap_or_default(),
        "counters": f.counters(),
    })
}

pub(super) fn set_faults(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let plan: FaultPlan =
        serde_json::from_value(v).map_err(|e| bad_request("INVALID_FAULT_PLAN", e))?;
    shared.set_faults(FaultState::new(plan));
    Ok(ok(faults_json(shared)))
}

pub(super) fn set_sunset(shared: &Shared, body: &[u8]) -> Result<Reply, Box<Reply>> {
    let v = json_body(body)?;
    let m = object("sunset", &v, &["sunset"]).map_err(|e| bad_request("INVALID_SUNSET", e))?;
    let Some(yes) = m.get("sunset").and_then(Value::as_bool) else {
        return Err(bad_request(
            "INVALID_SUNSET",
            "give {\"sunset\": true} or {\"sunset\": false}",
        ));
    };
    shared.sunset.store(yes, Ordering::Relaxed);
    Ok(ok(json!({"sunset": yes})))
}
