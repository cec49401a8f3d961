"""Which network addresses connectors may reach.

A hosted server is shared by orgs that do not trust each other: a source or warehouse pointing at 127.0.0.1,
a private range or the cloud metadata address would let a user reach the server's own internal services.
So, unless the policy allows private addresses (the desktop does), every host name is resolved and *all* its
answers are checked before connecting, and callers connect to the checked addresses (no second lookup that
a rebinding DNS server could answer differently).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import cached_property

from pipelines.errors import ConfigError, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ConfigError):
    """The address is loopback, link-local, private or otherwise not public, and this server refuses those."""


@dataclass(frozen=True)
class NetworkPolicy:
    """`allow_private`: reach any address (desktop). `allowed`: host names or CIDRs reachable even when not."""

    allow_private: bool = True
    allowed: tuple[str, ...] = ()

    @cached_property
    def _networks(self) -> tuple[IPNetwork, ...]:
        return tuple(n for n in (_as_network(entry) for entry in self.allowed) if n is not None)

    @cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(_host_name(e) for e in self.allowed if _as_network(e) is None)

    def check_host(self, host: str, port: int | None, *, service: str) -> list[str] | None:
        """The checked addresses to connect to, or None when no check applies (connect by name as usual)."""
        if self.allow_private or _host_name(host) in self._names:
            return None
        addresses = _resolve(host, port)
        for address in addresses:
            self.check_address(address, service=service)
        return [str(a) for a in addresses]

    def check_address(self, address: IPAddress, *, service: str) -> None:
        """Raise AddressRefused when `address` is not public and no allowed CIDR covers it."""
        if self.allow_private or not refused(address):
            return
        candidates = {address, _embedded_ipv4(address) or address}
        if any(a in net for a in candidates for net in self._networks if a.version == net.version):
            return
        raise AddressRefused(
            f"This server does not connect to private or local addresses ({_describe(address)})",
            hint=f"use the public address of {_yours(service)}, or ask the server's operator to allow it",
        )


def refused(address: IPAddress) -> bool:
    """Loopback, private, link-local, unspecified, reserved, shared (CGNAT) or multicast, also inside IPv6."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and refused(embedded):
        return True
    return not address.is_global or address.is_multicast


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is what the packets finally reach."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _resolve(host: str, port: int | None) -> list[IPAddress]:
    name = host.strip("[]")
    if not name or name.startswith(("/", "@")):  # a Unix socket path reaches this machine's own services
        raise AddressRefused(
            f"This server does not connect to local sockets ({name or 'an empty host'})",
            hint="use the public host name or address of the server",
        )
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise TransientError(
            f"could not find the address of {name}", hint="check the host name, and the network connection"
        ) from err
    unique = dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos)
    return list(unique)


def _yours(service: str) -> str:
    """'KoboToolbox' → 'your KoboToolbox server'; 'The API at x' → 'the API at x'."""
    return f"t{service[1:]}" if service.startswith("The ") else f"your {service} server"


def _describe(address: IPAddress) -> str:
    plain = _embedded_ipv4(address) or address
    if plain.is_loopback or plain.is_unspecified:
        return f"{plain} is the server itself"
    if plain.is_link_local:
        return f"{plain} is a link-local address"
    if plain.is_private:
        return f"{plain} is a private address"
    return f"{plain} is not a public address"


def _as_network(entry: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return None


def _host_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()
