"""The server's up-front refusals without a model: which Host headers name an allowed host (DNS
rebinding), and which limits `judgeops serve` refuses to start with."""

import pytest

from components.serving.guards import Limits, host_name


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("LocalHost", "localhost"),
        ("[::1]:8000", "[::1]"),
        ("[::1]", "[::1]"),
        ("evil.example:80", "evil.example"),
        ("::1", None),  # an IPv6 address must be bracketed in a Host header
        ("[::1", None),
        ("[::1]x", None),
        ("127.0.0.1:", None),
        ("127.0.0.1:http", None),
        ("", None),
    ],
)
def test_host_name_drops_the_port_and_rejects_what_is_not_a_host(header, name):
    assert host_name(header) == name


def test_allowed_hosts_are_the_loopback_names_plus_the_configured_ones_without_their_ports():
    assert Limits(allowed_hosts=("Judge.Internal:8000", "::2")).hosts() == {
        "127.0.0.1",
        "localhost",
        "[::1]",
        "judge.internal",
        "[::2]",
    }


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_queue": 0}, "max_queue"),
        ({"shutdown_grace_s": -1}, "shutdown_grace_s"),
        ({"allowed_hosts": ("a:b:c]",)}, "not a host"),
    ],
)
def test_limits_that_cannot_work_are_refused(setting, says):
    with pytest.raises(ValueError, match=says):
        Limits(**setting)
