//! Simulated IP access list.

use std::net::IpAddr;

use crate::MockError;

/// An allow list of networks. When set, requests from peers outside it are answered
/// `403 IP_ADDRESS_NOT_ON_ACCESS_LIST` (after authentication, as Atlas does for API keys).
///
/// ```
/// use atlas_mock::IpAccessList;
/// let list = IpAccessList::new().allow("10.0.0.0/8")?.allow("::1")?;
/// assert!(list.contains("10.1.2.3".parse().unwrap()));
/// assert!(!list.contains("127.0.0.1".parse().unwrap()));
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpAccessList {
    entries: Vec<(IpAddr, u8)>,
}

impl IpAccessList {
    /// An empty list (nobody is allowed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows an address (`192.0.2.7`) or a CIDR block (`192.0.2.0/24`, `2001:db8::/32`).
    pub fn allow(mut self, cidr: &str) -> Result<Self, MockError> {
        let bad =
            |why: &str| MockError::InvalidConfig(format!("IP access list entry {cidr:?}: {why}"));
        let (addr, prefix) = match cidr.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (cidr, None),
        };
        let ip: IpAddr = addr.trim().parse().map_err(|_| bad("not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| bad("bad prefix length"))?,
        };
        self.entries.push((ip, prefix));
        Ok(self)
    }

    /// Whether `ip` falls in one of the entries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.entries
            .iter()
            .any(|(net, prefix)| in_net(*net, *prefix, ip))
    }
}

fn in_net(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let l = IpAccessList::new()
            .allow("192.168.0.0/16")
            .unwrap()
            .allow("2001:db8::/32")
            .unwrap();
        assert!(l.contains("192.168.4.5".parse().unwrap()));
        assert!(!l.contains("192.169.0.1".parse().unwrap()));
        assert!(l.contains("2001:db8::1".parse().unwrap()));
        assert!(!l.contains("::1".parse().unwrap()));
        let all = IpAccessList::new().allow("0.0.0.0/0").unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(IpAccessList::new().allow("1.2.3.4/33").is_err());
        assert!(IpAccessList::new().allow("nope").is_err());
    }
}
