//! [`SignInThrottle`]: failed sign-ins counted per account name and per client address in a sliding window;
//! past a limit, every attempt is refused until the oldest failure leaves the window.
//!
//! Decisions, and why:
//! - **An attempt counts as failed until it is proven right.** [`SignInThrottle::begin`] reserves a slot
//!   before the password is checked, under the same lock as the limit check, and only a right password
//!   gives it back. Checking first and counting after would let a burst of parallel guesses all pass the
//!   check while the slow argon2 verifications run.
//! - **Refused attempts do not count**, so the lock ends on time however often a locked caller knocks, and
//!   a refused attempt costs no argon2 work (the throttle is also a guard against burning the CPU).
//! - **A right password clears the account's count, not the address's**: otherwise an attacker with one
//!   valid account could reset the address count between guesses at others.
//! - **IPv6 addresses count per /64**: one host usually holds a whole /64, so counting single addresses
//!   would let it walk around the limit. IPv4-mapped IPv6 addresses count as their IPv4 address.
//! - **Bounded memory**: at most [`MAX_TRACKED_KEYS`] keys per map; past it, idle keys go first, then the
//!   longest idle one.
//! - Time is an argument (`now`), so the tests move a clock instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// How many sign-in failures are tolerated, where, and for how long they count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    /// Failures per account name within [`SignInLimits::window`].
    pub per_account: usize,
    /// Failures per client address (IPv6: per /64) within the window.
    pub per_address: usize,
    /// How long a failure counts.
    pub window: Duration,
}

/// The limits Drydock uses. Five failures per account in fifteen minutes is far more than a person
/// mistyping needs and caps online guessing at 480 a day per account, whatever the number of addresses.
/// Twenty per address lets a few people behind one NAT mistype a few times each, while one address
/// spraying one password over many accounts gets twenty tries per quarter hour. A lock lasts at most the
/// window, and API tokens keep working through it, so locking someone out is bounded and not total.
pub const SIGN_IN_LIMITS: SignInLimits = SignInLimits {
    per_account: 5,
    per_address: 20,
    window: Duration::from_secs(15 * 60),
};

/// The most account names (and, separately, addresses) remembered at once.
pub const MAX_TRACKED_KEYS: usize = 10_000;

/// Account names longer than any valid username are cut here: such a name cannot sign in, and a long one
/// must not cost memory (a valid name is at most 64 bytes, so the cut never merges it with another).
const ACCOUNT_KEY_CHARS: usize = 65;

/// The failures of one key and when its last refusal was audited.
#[derive(Debug, Default)]
struct Window {
    /// Failed (or still running) attempts within the window, oldest first; never more than the limit.
    attempts: VecDeque<Instant>,
    /// When a refusal of this key was last audited (one audit row per key per window).
    refusal_audited: Option<Instant>,
}

impl Window {
    /// Forgets attempts that left the window.
    fn trim(&mut self, now: Instant, window: Duration) {
        while self
            .attempts
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= window)
        {
            self.attempts.pop_front();
        }
    }

    /// When the lock ends, if `limit` failures are in the window.
    fn locked_for(&self, now: Instant, limit: usize, window: Duration) -> Option<Duration> {
        if self.attempts.len() < limit {
            return None;
        }
        let oldest = *self.attempts.front()?;
        Some((oldest + window).saturating_duration_since(now))
    }

    /// Whether nothing about this key is worth remembering any more.
    fn idle(&self, now: Instant, window: Duration) -> bool {
        self.attempts.is_empty()
            && self
                .refusal_audited
                .is_none_or(|at| now.saturating_duration_since(at) >= window)
    }

    fn last_seen(&self) -> Option<Instant> {
        self.attempts.back().copied().max(self.refusal_audited)
    }
}

/// A sign-in let through: the slot it holds until [`SignInThrottle::succeeded`] gives it back.
#[derive(Debug)]
pub struct Attempt {
    account: String,
    address: Option<IpAddr>,
    at: Instant,
}

/// A sign-in refused because a limit is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// When the caller may try again (the longest of the locks that apply).
    pub retry_after: Duration,
    /// Which limits refused it: `account`, `address`, or both.
    pub limits: Vec<&'static str>,
    /// Whether this is the first refusal of one of these keys in the window, to be audited.
    pub audit: bool,
}

/// Failed sign-ins per account and per address.
#[derive(Debug)]
pub struct SignInThrottle {
    limits: SignInLimits,
    accounts: HashMap<String, Window>,
    addresses: HashMap<IpAddr, Window>,
}

impl SignInThrottle {
    /// A throttle with these limits and nothing counted yet.
    pub fn new(limits: SignInLimits) -> Self {
        Self {
            limits,
            accounts: HashMap::new(),
            addresses: HashMap::new(),
        }
    }

    /// Lets a sign-in of `account` from `address` through (holding a failure's slot until
    /// [`SignInThrottle::succeeded`]), or refuses it when either limit is reached.
    pub fn begin(
        &mut self,
        account: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Refusal> {
        let account = account_key(account);
        let address = address.map(address_key);
        let SignInLimits {
            per_account,
            per_address,
            window,
        } = self.limits;
        let mut locked: Vec<(&'static str, &mut Window, Duration)> = Vec::new();
        if let Some(entry) = self.accounts.get_mut(&account) {
            entry.trim(now, window);
            if let Some(wait) = entry.locked_for(now, per_account, window) {
                locked.push(("account", entry, wait));
            }
        }
        if let Some(entry) = address.and_then(|a| self.addresses.get_mut(&a)) {
            entry.trim(now, window);
            if let Some(wait) = entry.locked_for(now, per_address, window) {
                locked.push(("address", entry, wait));
            }
        }
        if !locked.is_empty() {
            let audit = locked.iter().any(|(_, entry, _)| {
                entry
                    .refusal_audited
                    .is_none_or(|at| now.saturating_duration_since(at) >= window)
            });
            let retry_after = locked.iter().map(|(_, _, wait)| *wait).max();
            let limits = locked.iter().map(|(name, _, _)| *name).collect();
            if audit {
                for (_, entry, _) in &mut locked {
                    entry.refusal_audited = Some(now);
                }
            }
            return Err(Refusal {
                retry_after: retry_after.unwrap_or_default(),
                limits,
                audit,
            });
        }
        window_of(&mut self.accounts, account.clone(), now, window)
            .attempts
            .push_back(now);
        if let Some(address) = address {
            window_of(&mut self.addresses, address, now, window)
                .attempts
                .push_back(now);
        }
        Ok(Attempt {
            account,
            address,
            at: now,
        })
    }

    /// The password was right: the account's failures are forgotten, and the address gets its slot back.
    pub fn succeeded(&mut self, attempt: &Attempt) {
        self.accounts.remove(&attempt.account);
        if let Some(entry) = attempt
            .address
            .and_then(|address| self.addresses.get_mut(&address))
            && let Some(at) = entry.attempts.iter().rposition(|&at| at == attempt.at)
        {
            entry.attempts.remove(at);
        }
    }
}

/// The window of `key`, made if needed, forgetting idle keys (then the longest idle one) to stay within
/// [`MAX_TRACKED_KEYS`].
fn window_of<K: Eq + Hash + Clone>(
    map: &mut HashMap<K, Window>,
    key: K,
    now: Instant,
    window: Duration,
) -> &mut Window {
    if !map.contains_key(&key) && map.len() >= MAX_TRACKED_KEYS {
        map.retain(|_, entry| {
            entry.trim(now, window);
            !entry.idle(now, window)
        });
        if map.len() >= MAX_TRACKED_KEYS
            && let Some(stalest) = map
                .iter()
                .min_by_key(|(_, entry)| entry.last_seen())
                .map(|(key, _)| key.clone())
        {
            map.remove(&stalest);
        }
    }
    map.entry(key).or_default()
}

/// The key an account name counts under (see [`ACCOUNT_KEY_CHARS`]).
fn account_key(account: &str) -> String {
    account.chars().take(ACCOUNT_KEY_CHARS).collect()
}

/// The key a client address counts under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 cut to its
/// /64 (one host usually holds a whole /64). The server's request budgets count addresses the same way.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests;
