"""Separate "hosts" for the multi-daemon tests: Linux network namespaces joined by veth links.

`Network` makes, with `ip netns add`, one namespace holding a bridge (the switch) and one
namespace per host, each host linked to the switch by a veth pair whose host end is `eth0`
with an address the test chose (10.77.0.0/24 by default). Every link and address lives inside
namespaces the test made: the machine's own network namespace is not changed. Namespace names
carry the test process's id (`odt<pid>-<host>`), so runs in parallel do not meet, and leftovers
of a run that was killed are removed by the next one.

* `host.cmd(argv)` is argv run on that host (`ip netns exec NS argv`).
* `host.cut()` / `host.restore()`: `ip link set eth0 down` / `up` inside the host, so its TCP
  connections see silence (no RST, no FIN), as when a machine drops off the network.
* `network.destroy()` kills whatever still runs in the namespaces and deletes them; the fixture
  calls it even when the test failed, and an atexit hook does so if pytest itself is stopped.

Namespaces need CAP_NET_ADMIN (and CAP_SYS_ADMIN for the mount of /run/netns). `unavailable()`
says why they cannot be made here, so the tests that need them skip with that reason.
"""
import atexit
import os
import pathlib
import signal
import subprocess
import time

PREFIX = "odt"
SUBNET = "10.77.0"


def _ip(*args, check=True):
    result = subprocess.run(["ip", *map(str, args)], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(map(str, args))}: {result.stderr.strip()}")
    return result


def unavailable():
    """None when network namespaces with veth links can be made here, else why not."""
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        made = _ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "iproute2 (`ip`) is not installed"
    if made.returncode != 0:
        return f"cannot create network namespaces here (needs CAP_NET_ADMIN): {made.stderr.strip()}"
    try:
        veth = _ip("-n", probe, "link", "add", "a0", "type", "veth", "peer", "name", "b0", check=False)
        if veth.returncode != 0:
            return f"cannot create veth links inside a network namespace: {veth.stderr.strip()}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def remove_leftovers():
    """Deletes namespaces of earlier runs whose process is gone."""
    listing = _ip("netns", "list", check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX) or "-" not in name:
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not pathlib.Path(f"/proc/{pid}").exists():
            _kill_in(name)
            _ip("netns", "del", name, check=False)


def _kill_in(ns):
    pids = _ip("netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


class Host:
    def __init__(self, network, name, address):
        self.network = network
        self.name = name
        self.ns = f"{network.tag}-{name}"
        self.address = address
        self.link_up = True

    def cmd(self, argv):
        """argv run on this host."""
        return ["ip", "netns", "exec", self.ns, *map(str, argv)]

    def cut(self):
        """The host drops off the network: its link goes down, its peers hear nothing more."""
        _ip("-n", self.ns, "link", "set", "eth0", "down")
        self.link_up = False

    def restore(self):
        _ip("-n", self.ns, "link", "set", "eth0", "up")
        _ip("-n", self.ns, "route", "replace", f"{SUBNET}.0/24", "dev", "eth0")
        self.link_up = True

    def reachable(self, address, port, timeout=5.0):
        """True once a TCP connection from this host to address:port succeeds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = f"exec 3<>/dev/tcp/{address}/{port}"
            if subprocess.run(self.cmd(["timeout", "1", "bash", "-c", probe]), capture_output=True).returncode == 0:
                return True
            time.sleep(0.1)
        return False


class Network:
    """A switch and hosts on SUBNET.0/24; host addresses are SUBNET.N as given."""

    def __init__(self):
        remove_leftovers()
        self.tag = f"{PREFIX}{os.getpid()}"
        self.switch = f"{self.tag}-sw"
        self.hosts = {}
        self.destroyed = False
        _ip("netns", "add", self.switch)
        atexit.register(self.destroy)
        try:
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
        except BaseException:
            self.destroy()
            raise

    def add_host(self, name, number):
        host = Host(self, name, f"{SUBNET}.{number}")
        try:
            _ip("netns", "add", host.ns)
            self.hosts[name] = host
            port = f"p{number}"
            _ip("-n", self.switch, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host.ns)
            _ip("-n", self.switch, "link", "set", port, "master", "br0")
            _ip("-n", self.switch, "link", "set", port, "up")
            _ip("-n", host.ns, "link", "set", "lo", "up")
            _ip("-n", host.ns, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.ns, "link", "set", "eth0", "up")
        except BaseException:
            self.destroy()
            raise
        return host

    def destroy(self):
        if self.destroyed:
            return
        self.destroyed = True
        for host in list(self.hosts.values()):
            _kill_in(host.ns)
        for ns in [h.ns for h in self.hosts.values()] + [self.switch]:
            _ip("netns", "del", ns, check=False)


try:
    import pytest

    @pytest.fixture(scope="module")
    def network():
        """A fresh `Network` for the module (skips with the reason when namespaces cannot be made)."""
        reason = unavailable()
        if reason:
            pytest.skip(reason)
        net = Network()
        try:
            yield net
        finally:
            net.destroy()
except ImportError:
    pass
