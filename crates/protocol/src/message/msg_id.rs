//! Message ids (remoting-protocol.md §13): the server's offsetMsgId (store host + commit-log offset) and the
//! client's UNIQ_KEY. Both are uppercase hex: 32 chars with an IPv4 address, 56 with IPv6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU16, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::error::MessageError;
use super::record::canonical_host;
use super::{parse_hex, push_hex};

/// Hex length of an id built on an IPv4 address.
pub const IPV4_ID_LEN: usize = 32;
/// Hex length of an id built on an IPv6 address.
pub const IPV6_ID_LEN: usize = 56;

fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => push_hex(out, &a.octets()),
        IpAddr::V6(a) => push_hex(out, &a.octets()),
    }
}

fn invalid(id: &str, reason: &'static str) -> MessageError {
    MessageError::InvalidMsgId {
        id: id.to_owned(),
        reason,
    }
}

/// Decodes `id` into `buf` (16 or 28 bytes, picked by the string length) and returns the IP width.
fn id_bytes<'b>(id: &str, buf: &'b mut [u8; 28]) -> Result<(&'b [u8], usize), MessageError> {
    let (n, ip_len) = match id.len() {
        IPV4_ID_LEN => (16, 4),
        IPV6_ID_LEN => (28, 16),
        _ => {
            return Err(invalid(
                id,
                "length must be 32 (IPv4) or 56 (IPv6) hex digits",
            ))
        }
    };
    let bytes = &mut buf[..n];
    parse_hex(id, bytes).ok_or_else(|| invalid(id, "not hexadecimal"))?;
    Ok((bytes, ip_len))
}

fn ip_from(bytes: &[u8]) -> IpAddr {
    if bytes.len() == 4 {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    } else {
        let mut a = [0u8; 16];
        a.copy_from_slice(bytes);
        IpAddr::V6(Ipv6Addr::from(a))
    }
}

/// offsetMsgId: store host IP + port (i32) + PHYSICALOFFSET (i64), uppercase hex.
pub fn create_offset_msg_id(store_host: SocketAddr, phys_offset: i64) -> String {
    let host = canonical_host(store_host);
    let mut s = String::with_capacity(IPV6_ID_LEN);
    push_ip(&mut s, host.ip());
    push_hex(&mut s, &i32::from(host.port()).to_be_bytes());
    push_hex(&mut s, &phys_offset.to_be_bytes());
    s
}

/// Inverse of [`create_offset_msg_id`]; the IP width follows from the length (32 or 56 hex digits, either case).
pub fn decode_offset_msg_id(id: &str) -> Result<(SocketAddr, i64), MessageError> {
    let mut buf = [0u8; 28];
    let (b, ip_len) = id_bytes(id, &mut buf)?;
    let ip = ip_from(&b[..ip_len]);
    let port = i32::from_be_bytes([b[ip_len], b[ip_len + 1], b[ip_len + 2], b[ip_len + 3]]);
    let port = u16::try_from(port).map_err(|_| invalid(id, "port out of range"))?;
    let mut off = [0u8; 8];
    off.copy_from_slice(&b[ip_len + 4..ip_len + 12]);
    Ok((SocketAddr::new(ip, port), i64::from_be_bytes(off)))
}

/// The parts of a UNIQ_KEY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqKeyParts {
    pub ip: IpAddr,
    /// Low 16 bits of the producer's process id.
    pub pid: u16,
    /// Java: the classloader hash; here a per-process random value.
    pub salt: i32,
    /// Milliseconds since the start of the month the key was made in (truncated to i32, as Java does).
    pub ms_in_month: i32,
    pub counter: u16,
}

/// Splits a UNIQ_KEY into its parts (32 or 56 hex digits).
pub fn decode_uniq_key(id: &str) -> Result<UniqKeyParts, MessageError> {
    let mut buf = [0u8; 28];
    let (b, n) = id_bytes(id, &mut buf)?;
    Ok(UniqKeyParts {
        ip: ip_from(&b[..n]),
        pid: u16::from_be_bytes([b[n], b[n + 1]]),
        salt: i32::from_be_bytes([b[n + 2], b[n + 3], b[n + 4], b[n + 5]]),
        ms_in_month: i32::from_be_bytes([b[n + 6], b[n + 7], b[n + 8], b[n + 9]]),
        counter: u16::from_be_bytes([b[n + 10], b[n + 11]]),
    })
}

/// UNIQ_KEY generator (§13.2): IP + pid (low 16 bits) + salt (i32) + ms since the start of the current month
/// (i32) + a wrapping 16-bit counter. The first three are fixed per process and kept as a precomputed hex prefix,
/// so a key costs one clock read, two atomics and one small allocation. Thread-safe.
///
/// The month boundary is taken in UTC, not local time as in Java: the field only makes ids unique and roughly
/// time-ordered, nobody converts it back to a calendar date that would need the zone.
#[derive(Debug)]
pub struct UniqKeyGenerator {
    prefix: String,
    month_start: AtomicI64,
    next_month_start: AtomicI64,
    counter: AtomicU16,
}

static GLOBAL: OnceLock<UniqKeyGenerator> = OnceLock::new();

impl UniqKeyGenerator {
    /// A generator for this process: its pid and a fresh random salt (standing in for Java's classloader hash).
    pub fn new(ip: IpAddr) -> Self {
        let pid = std::process::id();
        Self::with_parts(ip, pid as u16, random_i32(pid))
    }

    /// A generator with explicit fixed parts (deterministic prefix; for tests and tools).
    pub fn with_parts(ip: IpAddr, pid: u16, salt: i32) -> Self {
        let mut prefix = String::with_capacity(IPV6_ID_LEN);
        push_ip(&mut prefix, ip);
        push_hex(&mut prefix, &pid.to_be_bytes());
        push_hex(&mut prefix, &salt.to_be_bytes());
        UniqKeyGenerator {
            prefix,
            month_start: AtomicI64::new(0),
            // 0 forces the month bounds to be computed on first use.
            next_month_start: AtomicI64::new(0),
            counter: AtomicU16::new(0),
        }
    }

    /// Sets the process-wide generator's IP (e.g. the broker's brokerIP1 or the client's local address). Returns
    /// false if the global generator already exists (then it keeps its IP).
    pub fn install_global(ip: IpAddr) -> bool {
        GLOBAL.set(Self::new(ip)).is_ok()
    }

    /// The process-wide generator; 127.0.0.1 unless [`UniqKeyGenerator::install_global`] ran first.
    pub fn global() -> &'static UniqKeyGenerator {
        GLOBAL.get_or_init(|| Self::new(IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }

    /// The fixed hex prefix (IP + pid + salt).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A new key for now.
    pub fn next_key(&self) -> String {
        self.next_key_at(now_ms())
    }

    /// A new key as if the clock read `now_ms` (ms since the epoch).
    pub fn next_key_at(&self, now_ms: i64) -> String {
        let start = self.month_start_for(now_ms);
        // Java casts the difference to int; late in a 31-day month it wraps negative, and so does this.
        let elapsed = now_ms.wrapping_sub(start) as i32;
        let counter = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut s = String::with_capacity(self.prefix.len() + 12);
        s.push_str(&self.prefix);
        push_hex(&mut s, &elapsed.to_be_bytes());
        push_hex(&mut s, &counter.to_be_bytes());
        s
    }

    fn month_start_for(&self, now_ms: i64) -> i64 {
        let next = self.next_month_start.load(Ordering::Acquire);
        if now_ms < next {
            let start = self.month_start.load(Ordering::Acquire);
            if now_ms >= start {
                return start;
            }
        }
        // New month (or the clock went back): recompute. Racing threads store the same values.
        let (start, next) = month_bounds(now_ms);
        self.month_start.store(start, Ordering::Release);
        self.next_month_start.store(next, Ordering::Release);
        start
    }
}

/// A new UNIQ_KEY from the process-wide generator.
pub fn next_uniq_key() -> String {
    UniqKeyGenerator::global().next_key()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn random_i32(pid: u32) -> i32 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS; mixing in time and pid keeps two generators in one process apart too.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(now_ms());
    h.write_u32(pid);
    h.finish() as i32
}

const MS_PER_DAY: i64 = 86_400_000;

/// UTC [start of month, start of next month) containing `ms`, in ms since the epoch.
fn month_bounds(ms: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (
        days_from_civil(y, m, 1) * MS_PER_DAY,
        days_from_civil(ny, nm, 1) * MS_PER_DAY,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (March-based year so leap days fall at the end).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month 1–12, day 1–31).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_math() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for d in (-800_000..800_000).step_by(997) {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        // 1700000000000 = 2023-11-14T22:13:20Z.
        assert_eq!(
            month_bounds(1_700_000_000_000),
            (1_698_796_800_000, 1_701_388_800_000)
        );
        // December rolls into January of the next year.
        let dec = days_from_civil(2023, 12, 31) * MS_PER_DAY;
        assert_eq!(
            month_bounds(dec).1,
            days_from_civil(2024, 1, 1) * MS_PER_DAY
        );
    }

    #[test]
    fn month_rollover_and_clock_going_back() {
        let g = UniqKeyGenerator::with_parts(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 2);
        let nov = 1_700_000_000_000;
        let k = decode_uniq_key(&g.next_key_at(nov)).unwrap();
        assert_eq!(k.ms_in_month, (nov - 1_698_796_800_000) as i32);
        let dec_1 = 1_701_388_800_000 + 5;
        assert_eq!(
            decode_uniq_key(&g.next_key_at(dec_1)).unwrap().ms_in_month,
            5
        );
        assert_eq!(
            decode_uniq_key(&g.next_key_at(nov)).unwrap().ms_in_month,
            (nov - 1_698_796_800_000) as i32
        );
    }
}
