//! Simulated IP access list.

use std::net::{IpAddr, Ipv6Addr};

use crate::MockError;

/// An allow list of networks. When set, requests from peers outside it are answered
/// `403 IP_ADDRESS_NOT_ON_ACCESS_LIST` (after authentication, as Atlas does for API keys).
///
/// Entries and peers are normalised the same way: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`)
/// is the IPv4 address it maps, and an entry `::ffff:10.0.0.0/104` is the IPv4 block `10.0.0.0/8`.
/// An IPv4 entry matches IPv4 peers; an IPv6 entry matches IPv6 peers and, through their mapped
/// form, IPv4 peers it covers (so `::/0` and `::ffff:0:0/96` cover every IPv4 address).
/// As in Atlas, `0.0.0.0/0` means "access from anywhere": every IPv4 **and** IPv6 peer; `::/0`
/// means the same.
///
/// ```
/// use atlas_mock::IpAccessList;
/// let list = IpAccessList::new().allow("10.0.0.0/8")?.allow("::1")?;
/// assert!(list.contains("10.1.2.3".parse().unwrap()));
/// assert!(list.contains("::ffff:10.1.2.3".parse().unwrap()));
/// assert!(!list.contains("127.0.0.1".parse().unwrap()));
/// assert!(IpAccessList::new().allow("0.0.0.0/0")?.contains("::1".parse().unwrap()));
/// # Ok::<(), atlas_mock::MockError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpAccessList {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `0.0.0.0/0` or `::/0`.
    Anywhere,
    V4(u32, u8),
    V6(u128, u8),
}

/// The canonical form of a peer: IPv4-mapped IPv6 addresses become IPv4.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn mask4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
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
        let entry = match ip {
            _ if prefix == 0 => Entry::Anywhere,
            IpAddr::V4(v4) => Entry::V4(u32::from(v4) & mask4(prefix), prefix),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => {
                    Entry::V4(u32::from(v4) & mask4(prefix - 96), prefix - 96)
                }
                _ => Entry::V6(u128::from(v6) & mask6(prefix), prefix),
            },
        };
        self.entries.push(entry);
        Ok(self)
    }

    /// Whether `ip` falls in one of the entries (see the type's documentation for address forms).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        let v6 = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => v6,
        };
        self.entries.iter().any(|e| match (*e, ip) {
            (Entry::Anywhere, _) => true,
            (Entry::V4(net, p), IpAddr::V4(a)) => u32::from(a) & mask4(p) == net,
            (Entry::V4(..), IpAddr::V6(_)) => false,
            (Entry::V6(net, p), _) => u128::from(v6) & mask6(p) == net,
        })
    }

    /// The entries in their normalised form (`10.0.0.0/8`, `2001:db8::/32`, `0.0.0.0/0`).
    pub fn entries(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| match *e {
                Entry::Anywhere => "0.0.0.0/0".to_owned(),
                Entry::V4(n, p) => format!("{}/{p}", std::net::Ipv4Addr::from(n)),
                Entry::V6(n, p) => format!("{}/{p}", Ipv6Addr::from(n)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_matching() {
        let l = IpAccessList::new()
            .allow("192.168.0.0/16")
            .unwrap()
            .allow("2001:db8::/32")
            .unwrap();
        assert!(l.contains(ip("192.168.4.5")));
        assert!(!l.contains(ip("192.169.0.1")));
        assert!(l.contains(ip("2001:db8::1")));
        assert!(!l.contains(ip("::1")));
        assert!(IpAccessList::new().allow("1.2.3.4/33").is_err());
        assert!(IpAccessList::new().allow("::/129").is_err());
        assert!(IpAccessList::new().allow("nope").is_err());
    }

    #[test]
    fn mapped_addresses_are_the_ipv4_they_map() {
        // The three forms the issue found missing.
        let mapped_entry = IpAccessList::new().allow("::ffff:127.0.0.1").unwrap();
        assert!(mapped_entry.contains(ip("127.0.0.1")));
        assert!(mapped_entry.contains(ip("::ffff:127.0.0.1")));
        assert_eq!(mapped_entry.entries(), ["127.0.0.1/32"]);
        let ten = IpAccessList::new().allow("10.0.0.0/8").unwrap();
        assert!(ten.contains(ip("::ffff:10.1.2.3")));
        assert!(!ten.contains(ip("::ffff:11.1.2.3")));
        let mapped_block = IpAccessList::new().allow("::ffff:10.0.0.0/104").unwrap();
        assert!(mapped_block.contains(ip("10.200.0.1")));
        assert_eq!(mapped_block.entries(), ["10.0.0.0/8"]);
    }

    #[test]
    fn anywhere_means_every_family() {
        for all in ["0.0.0.0/0", "::/0"] {
            let l = IpAccessList::new().allow(all).unwrap();
            for peer in ["8.8.8.8", "::1", "::ffff:1.2.3.4", "2001:db8::7"] {
                assert!(l.contains(ip(peer)), "{all} should admit {peer}");
            }
        }
        // An IPv6 block covering the mapped range admits IPv4 peers; a narrower one does not.
        let mapped_all = IpAccessList::new().allow("::ffff:0:0/96").unwrap();
        assert!(mapped_all.contains(ip("192.0.2.1")));
        assert!(!mapped_all.contains(ip("2001:db8::1")));
        let v6_only = IpAccessList::new().allow("2001:db8::/32").unwrap();
        assert!(!v6_only.contains(ip("192.0.2.1")));
        // Host bits in an entry are ignored, as in a CIDR block.
        assert!(
            IpAccessList::new()
                .allow("10.1.2.3/8")
                .unwrap()
                .contains(ip("10.9.9.9"))
        );
    }
}
