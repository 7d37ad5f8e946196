"""Which proxies the environment names, and which hosts bypass them."""

from __future__ import annotations

import httpx

from runtime.config import Settings
from runtime.providers.proxies import proxy_mounts


def test_lower_case_variables_win_and_empty_ones_do_not_count() -> None:
    env = {"HTTPS_PROXY": "http://upper:3128", "https_proxy": "http://lower:3128", "HTTP_PROXY": ""}
    settings = Settings.from_env(env | {"NO_PROXY": "a.example", "PATH": "/bin"})
    assert settings.proxies == {"https": "http://lower:3128", "no": "a.example"}


def test_no_proxy_variables_means_no_mounts() -> None:
    assert proxy_mounts({"no": "example.com"}) == {}


def test_proxied_schemes_get_a_proxy_transport_and_listed_hosts_bypass_it() -> None:
    mounts = proxy_mounts(
        {"http": "proxy:3128", "no": "localhost, 10.0.0.7,::1,.corp.example,api.x"}
    )
    assert isinstance(mounts["http://"], httpx.AsyncHTTPTransport)
    bypassed = {pattern for pattern, transport in mounts.items() if transport is None}
    assert bypassed == {
        "all://localhost",
        "all://10.0.0.7",
        "all://[::1]",
        "all://*.corp.example",
        "all://*api.x",
    }


def test_a_star_in_no_proxy_turns_proxies_off() -> None:
    assert proxy_mounts({"all": "http://proxy:3128", "no": "a.example,*"}) == {}
