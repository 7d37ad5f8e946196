"""HTTP proxies from the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`).

Our own transport speaks to backends directly; when the environment names a proxy, requests
for the proxied schemes go through httpx's proxy transport instead, except for the hosts that
`NO_PROXY` lists (`*` turns proxies off). `Settings.proxies` holds the variables.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import httpx

Mounts = dict[str, httpx.AsyncBaseTransport | None]


def proxy_mounts(found: Mapping[str, str]) -> Mounts:
    """The `mounts` of our client: a proxy transport per proxied scheme, None for bypasses.

    `found` holds the variables' values by scheme: `{"http": ..., "no": ...}`.
    """
    excluded = [host.strip() for host in found.get("no", "").split(",") if host.strip()]
    if "*" in excluded:
        return {}
    mounts: Mounts = {}
    for scheme in ("http", "https", "all"):
        url = found.get(scheme)
        if url:
            proxy = url if "://" in url else f"http://{url}"
            mounts[f"{scheme}://"] = httpx.AsyncHTTPTransport(proxy=proxy)
    if mounts:
        for host in excluded:
            mounts[_bypass(host)] = None
    return mounts


def _bypass(host: str) -> str:
    """The URL pattern of one `NO_PROXY` entry (a domain also covers its subdomains)."""
    if "://" in host:
        return host
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "all://localhost" if host.lower() == "localhost" else f"all://*{host}"
    return f"all://[{address}]" if address.version == 6 else f"all://{address}"  # noqa: PLR2004
