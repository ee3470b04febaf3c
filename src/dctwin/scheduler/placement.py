"""Gang placement on NVLink domains (compiled).

A gang gets all its GPUs at once or nothing. It is placed inside one pool so that it
spans as few NVLink domains and scalable units as possible:

* a job that fits in one domain goes to the **best-fit** domain (the one with the
  fewest free GPUs that still hold it), so whole domains stay free for gangs;
* a larger job takes ``n // D`` whole domains from the **best-fit SU** (the SU with the
  fewest whole free domains that still holds them; if no single SU can, SUs with the
  most whole free domains first), plus its remainder ``n % D`` in the best-fit domain,
  preferably inside the SUs it already uses.

Free domains are kept in per-pool buckets by free-GPU count (doubly linked lists), so a
best-fit lookup costs at most ``D`` bucket probes and every update is O(1). SU and pool
counters of whole free domains make the gang checks O(number of SUs in the pool).

Whole domains can also be taken out of job placement for inference replicas or the
aggregated small-job swarm (:func:`reserve_whole`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.experimental import structref

from dctwin.scheduler.structs import RecordType, make_struct
from dctwin.scheduler.topology import Topology

__all__ = [
    "Domains",
    "check_domains",
    "new_domains",
    "place",
    "release",
    "release_whole",
    "reserve_whole",
    "take_fragments",
]


@structref.register
class DomainsType(RecordType):
    """numba type of :class:`Domains`."""


class Domains(structref.StructRefProxy):
    """Free-GPU state of every NVLink domain and the indexes over it.

    Attributes
    ----------
    free
        Free GPUs per domain. [GPU]
    cap
        GPUs per domain. [GPU]
    pool, su
        Pool and SU of each domain.
    head
        Bucket heads, index ``pool * (max_cap + 1) + free``; -1 when empty.
    next_, prev
        Bucket links per domain; -1 at the ends.
    su_whole, su_first, su_n
        Whole free domains, first domain and domain count per SU.
    pool_first_su, pool_n_su, pool_whole, pool_free, pool_cap
        Per pool: SU range, whole free domains, free GPUs, GPUs per domain.
    max_cap
        Largest domain size (1-element array). [GPU]
    """

    free: np.ndarray
    cap: np.ndarray
    pool: np.ndarray
    su: np.ndarray
    head: np.ndarray
    next_: np.ndarray
    prev: np.ndarray
    su_whole: np.ndarray
    su_first: np.ndarray
    su_n: np.ndarray
    pool_first_su: np.ndarray
    pool_n_su: np.ndarray
    pool_whole: np.ndarray
    pool_free: np.ndarray
    pool_cap: np.ndarray
    max_cap: np.ndarray


DOMAIN_FIELDS = tuple(Domains.__annotations__)
structref.define_proxy(Domains, DomainsType, list(DOMAIN_FIELDS))


@njit(cache=True)
def _new_domains(*fields: np.ndarray) -> Domains:  # cached constructor (the proxy's own is not)
    return Domains(*fields)


Domains.__new__ = lambda cls, *fields: _new_domains(*fields)  # type: ignore[method-assign]


def new_domains(topology: Topology) -> Domains:
    """All domains free."""
    n = len(topology.domain_gpus)
    cap = topology.domain_gpus.astype(np.int32)
    max_cap = int(cap.max()) if n else 1
    n_pools = len(topology.pools)
    d = make_struct(
        Domains,
        DOMAIN_FIELDS,
        dict(
            free=cap.copy(),
            cap=cap,
            pool=topology.domain_pool.astype(np.int32),
            su=topology.domain_su.astype(np.int32),
            head=np.full(n_pools * (max_cap + 1), -1, dtype=np.int32),
            next_=np.full(n, -1, dtype=np.int32),
            prev=np.full(n, -1, dtype=np.int32),
            su_whole=topology.su_domains.astype(np.int32).copy(),
            su_first=topology.su_first_domain.astype(np.int32),
            su_n=topology.su_domains.astype(np.int32),
            pool_first_su=topology.pool_first_su.astype(np.int32),
            pool_n_su=topology.pool_sus.astype(np.int32),
            pool_whole=topology.pool_domains.astype(np.int32).copy(),
            pool_free=np.asarray([p.gpus for p in topology.pools], dtype=np.int64),
            pool_cap=np.asarray([p.domain_gpus for p in topology.pools], dtype=np.int32),
            max_cap=np.array([max_cap], dtype=np.int32),
        ),
    )
    for k in range(n - 1, -1, -1):  # insert backwards so that lower indices come first
        _insert(d, k)
    return d


@njit(cache=True)
def _bucket(d: Domains, k: int) -> int:
    return d.pool[k] * (d.max_cap[0] + 1) + d.free[k]


@njit(cache=True)
def _insert(d: Domains, k: int) -> None:
    b = _bucket(d, k)
    first = d.head[b]
    d.prev[k] = -1
    d.next_[k] = first
    if first >= 0:
        d.prev[first] = k
    d.head[b] = k


@njit(cache=True)
def _remove(d: Domains, k: int) -> None:
    b = _bucket(d, k)
    p, n = d.prev[k], d.next_[k]
    if p >= 0:
        d.next_[p] = n
    else:
        d.head[b] = n
    if n >= 0:
        d.prev[n] = p
    d.prev[k] = -1
    d.next_[k] = -1


@njit(cache=True)
def _change(d: Domains, k: int, delta: int) -> None:
    """Change a domain's free GPUs by ``delta`` (negative: take), keeping every index."""
    was_whole = d.free[k] == d.cap[k]
    _remove(d, k)
    d.free[k] += delta
    _insert(d, k)
    now_whole = d.free[k] == d.cap[k]
    p = d.pool[k]
    d.pool_free[p] += delta
    if was_whole and not now_whole:
        d.su_whole[d.su[k]] -= 1
        d.pool_whole[p] -= 1
    elif now_whole and not was_whole:
        d.su_whole[d.su[k]] += 1
        d.pool_whole[p] += 1


@njit(cache=True)
def _best_fit_in_pool(d: Domains, pool: int, n: int, max_free: int) -> int:
    """Domain of the pool with the fewest free GPUs ≥ n (≤ max_free), or -1."""
    base = pool * (d.max_cap[0] + 1)
    for f in range(n, max_free + 1):
        k = d.head[base + f]
        if k >= 0:
            return int(k)
    return -1


@njit(cache=True)
def _best_fit_in_su(d: Domains, su: int, n: int, skip_whole: bool) -> int:
    best, best_free = -1, 1 << 30
    for k in range(d.su_first[su], d.su_first[su] + d.su_n[su]):
        f = d.free[k]
        if f >= n and f < best_free and not (skip_whole and f == d.cap[k]):
            best, best_free = k, f
    return best


@njit(cache=True)
def place(d: Domains, pool: int, n: int, out_domain: np.ndarray, out_gpus: np.ndarray, at: int) -> int:
    """Place a gang of ``n`` GPUs in ``pool``; write its domains from ``out_*[at]`` on.

    Parameters
    ----------
    d
        Domain state (updated in place on success).
    pool
        Pool index.
    n
        GPUs wanted (≥ 1). [GPU]
    out_domain, out_gpus
        Where the allocation (domain, GPUs taken) is written.
    at
        First slot to write.

    Returns
    -------
    int
        Number of slots written (domains used), or 0 when the gang does not fit (then
        nothing changes: all or nothing).
    """
    cap = d.pool_cap[pool]
    if n <= 0 or d.pool_free[pool] < n:
        return 0
    if n <= cap:
        k = _best_fit_in_pool(d, pool, n, cap)
        if k < 0:
            return 0
        _change(d, k, -n)
        out_domain[at] = k
        out_gpus[at] = n
        return 1
    whole, rest = n // cap, n % cap
    # feasibility first (all or nothing): enough whole domains, and a home for the rest
    if d.pool_whole[pool] < whole:
        return 0
    if rest > 0 and d.pool_whole[pool] == whole and _best_fit_in_pool(d, pool, rest, cap - 1) < 0:
        return 0
    first_su, n_su = d.pool_first_su[pool], d.pool_n_su[pool]
    written = 0
    # best-fit SU that holds all whole domains at once
    chosen = -1
    chosen_whole = 1 << 30
    for s in range(first_su, first_su + n_su):
        w = d.su_whole[s]
        if w >= whole and w < chosen_whole:
            chosen, chosen_whole = s, w
    remaining = whole
    last_su = -1
    while remaining > 0:
        s = chosen
        if s < 0:  # no single SU: the SU with the most whole free domains
            best_w = 0
            for c in range(first_su, first_su + n_su):
                if d.su_whole[c] > best_w:
                    s, best_w = c, d.su_whole[c]
        for k in range(d.su_first[s], d.su_first[s] + d.su_n[s]):
            if remaining == 0:
                break
            if d.free[k] == d.cap[k]:
                _change(d, k, -cap)
                out_domain[at + written] = k
                out_gpus[at + written] = cap
                written += 1
                remaining -= 1
        last_su = s
        chosen = -1
    if rest > 0:
        k = _best_fit_in_su(d, last_su, rest, False)
        if k < 0:
            k = _best_fit_in_pool(d, pool, rest, cap)
        _change(d, k, -rest)
        out_domain[at + written] = k
        out_gpus[at + written] = rest
        written += 1
    return written


@njit(cache=True)
def release(d: Domains, out_domain: np.ndarray, out_gpus: np.ndarray, at: int, count: int) -> None:
    """Give back an allocation written by :func:`place` (or :func:`reserve_whole`)."""
    for i in range(at, at + count):
        _change(d, out_domain[i], out_gpus[i])


@njit(cache=True)
def reserve_whole(d: Domains, pool: int, count: int, out_domain: np.ndarray, at: int) -> int:
    """Take up to ``count`` whole free domains of ``pool`` (for inference or the swarm).

    Whole domains are taken from the SUs with the fewest whole free domains first, so
    that large gangs keep finding whole SUs. Returns the number taken.
    """
    taken = 0
    first_su, n_su = d.pool_first_su[pool], d.pool_n_su[pool]
    cap = d.pool_cap[pool]
    while taken < count and d.pool_whole[pool] > 0:
        s_best, w_best = -1, 1 << 30
        for s in range(first_su, first_su + n_su):
            w = d.su_whole[s]
            if 0 < w < w_best:
                s_best, w_best = s, w
        for k in range(d.su_first[s_best], d.su_first[s_best] + d.su_n[s_best]):
            if taken == count:
                break
            if d.free[k] == d.cap[k]:
                _change(d, k, -cap)
                out_domain[at + taken] = k
                taken += 1
    return taken


@njit(cache=True)
def take_fragments(
    d: Domains, pool: int, want: int, out_domain: np.ndarray, out_gpus: np.ndarray, at: int, max_slots: int
) -> tuple[int, int]:
    """Take free GPUs of partly used domains of ``pool``, smallest fragments first.

    For work that needs no NVLink locality (the small-job swarm): it packs into the gaps
    gangs leave, as small jobs do. Returns ``(slots written, GPUs taken)``; at most
    ``want`` GPUs and ``max_slots`` domains.
    """
    taken = 0
    slots = 0
    base = pool * (d.max_cap[0] + 1)
    for f in range(1, d.pool_cap[pool]):
        while taken < want and slots < max_slots:
            k = d.head[base + f]
            if k < 0:
                break
            g = min(f, want - taken)
            _change(d, k, -g)
            out_domain[at + slots] = k
            out_gpus[at + slots] = g
            slots += 1
            taken += g
        if taken >= want or slots >= max_slots:
            break
    return slots, taken


@njit(cache=True)
def release_whole(d: Domains, domains: np.ndarray, at: int, count: int) -> None:
    """Give back whole domains taken by :func:`reserve_whole`."""
    for i in range(at, at + count):
        k = domains[i]
        _change(d, k, d.cap[k] - d.free[k])


def check_domains(d: Domains) -> None:
    """Assert every index agrees with the free counts (for tests; O(domains)).

    Raises
    ------
    AssertionError
        An index is inconsistent, or a domain has a negative or excess free count.
    """
    free, cap = np.asarray(d.free), np.asarray(d.cap)
    assert np.all(free >= 0), "a domain has negative free GPUs: a GPU was allocated twice"
    assert np.all(free <= cap), "a domain has more free GPUs than it holds"
    whole = free == cap
    n_pools = len(d.pool_free)
    for p in range(n_pools):
        in_pool = d.pool == p
        assert int(d.pool_free[p]) == int(free[in_pool].sum()), f"pool {p} free count is stale"
        assert int(d.pool_whole[p]) == int(whole[in_pool].sum()), f"pool {p} whole count is stale"
    for s in range(len(d.su_whole)):
        assert int(d.su_whole[s]) == int(whole[d.su == s].sum()), f"SU {s} whole count is stale"
    seen = np.zeros(len(free), dtype=bool)
    m = int(d.max_cap[0]) + 1
    for b in range(len(d.head)):
        k, prev = int(d.head[b]), -1
        while k >= 0:
            assert not seen[k], f"domain {k} is in two buckets"
            seen[k] = True
            assert int(d.pool[k]) * m + int(free[k]) == b, f"domain {k} is in the wrong bucket"
            assert int(d.prev[k]) == prev, f"domain {k} has a broken back link"
            prev, k = k, int(d.next_[k])
    assert seen.all(), "a domain is missing from the buckets"
