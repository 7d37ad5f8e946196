"""The outbound URL policy: which hosts and addresses the server may connect to.

Link-local and cloud metadata addresses and URLs carrying `user:pass@` are always refused;
loopback and private ranges are allowed unless the policy denies them, and an allow-list
restricts connections to the hosts it names. `check_url` is pure (the save-time check);
`check_address` is applied by the transport to every resolved address before it connects.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import msgspec

from runtime import errors

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_LINK_LOCAL = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10"))
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "169.254.169.254")
)
_METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "metadata.goog"})


class OutboundPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """What outbound connections may reach; the default allows loopback and private ranges."""

    deny_private: bool = False
    allow_hosts: frozenset[str] = frozenset()


class OutboundRefusedError(errors.UnavailableError):
    """A connection the outbound policy refuses; it was never attempted."""

    code = "outbound_refused"
    retryable = False


def address_refusal(address: Address, policy: OutboundPolicy) -> str | None:
    """Why the policy refuses `address`, or None when it may be contacted."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if any(address in network for network in _LINK_LOCAL):
        return f"{address} is link-local"
    if policy.deny_private and (
        address.is_loopback or address.is_private or address.is_unspecified
    ):
        return f"{address} is a loopback or private address"
    return None


def host_refusal(host: str, policy: OutboundPolicy) -> str | None:
    """Why the policy refuses the host name or literal address `host`, or None."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _METADATA_NAMES:
        return f"{name} is a cloud metadata host"
    if policy.allow_hosts and name not in policy.allow_hosts:
        return f"{name} is not in the allowed hosts"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if policy.deny_private and name == "localhost":
            return "localhost is a loopback host"
        return None
    return address_refusal(address, policy)


def check_address(host: str, address: str, policy: OutboundPolicy) -> None:
    """Raise OutboundRefusedError when the resolved `address` of `host` is refused."""
    reason = address_refusal(ipaddress.ip_address(address.split("%", 1)[0]), policy)
    if reason is not None:
        raise OutboundRefusedError(f"the outbound policy refused {host}: {reason}")


def check_url(url: str, policy: OutboundPolicy, *, param: str) -> None:
    """Raise InvalidInputError (naming `param`) when the policy refuses the URL."""
    parts = urlsplit(url.strip())
    if parts.username is not None or parts.password is not None:
        raise errors.InvalidInputError(
            f"{param} must not carry credentials (user:pass@)", param=param
        )
    reason = host_refusal(parts.hostname or "", policy)
    if reason is not None:
        raise errors.InvalidInputError(
            f"the outbound policy refuses {param}: {reason}", param=param
        )
