"""A federation for the browser tests, each part started by the test and stopped on every path:
N mosquittos with the configs scripts/make-federation.sh writes (its links, its ACL, and with
--ws-base-port a WebSockets listener of each broker on loopback), N shards of the real
presence-bridge binary (`run --shard I --brokers LIST`), and the page's server.
"""
import os
import pathlib
import pwd
import random
import socket
import subprocess
import urllib.parse

from stack import ROOT, Processes, accepts, bridge_binary, free_port, http_status, started_in_temporary_folder, wait_for


def free_consecutive_ports(count):
    """A base port B with B … B+count-1 all free on loopback (make-federation.sh's --ws-base-port)."""
    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        try:
            probes = []
            for port in range(base, base + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise AssertionError(f"no {count} consecutive free ports")


class FederatedStack:
    """`size` brokers and shards, with `users` (name → password); `FederatedStack.run()` is a context manager."""

    def __init__(self, folder, size, users, bridge_options):
        self.folder = folder
        self.users = users
        self.bridge_options = bridge_options
        self.processes = Processes()
        self.mqtt_ports = [free_port() for _ in range(size)]
        self.websockets_base_port = free_consecutive_ports(size)
        self.bridge_http_ports = [free_port() for _ in range(size)]
        self.web_port = free_port()
        self.log = open(os.path.join(folder, "stack.log"), "wb")

    @classmethod
    def run(cls, size, users, bridge_options):
        return started_in_temporary_folder("presence-federated-browser-", lambda folder: cls(folder, size, users, bridge_options))

    @property
    def brokers(self):
        """The federation's list, as the shards and the page are given it."""
        return [f"mqtt://127.0.0.1:{port}" for port in self.mqtt_ports]

    @property
    def websockets(self):
        """Each broker's WebSockets URL, in the same order."""
        return [f"ws://127.0.0.1:{self.websockets_base_port + i}/mqtt" for i in range(len(self.mqtt_ports))]

    @property
    def page_url(self):
        query = urllib.parse.urlencode({"brokers": ",".join(self.brokers), "websockets": ",".join(self.websockets)})
        return f"http://127.0.0.1:{self.web_port}/?{query}"

    def homes(self, users):
        """user → index of its home broker, as the CLI (`presence-bridge home --index`) says."""
        out = subprocess.run([bridge_binary(), "home", "--index", "--brokers", ",".join(self.brokers), *users],
                             check=True, capture_output=True, text=True).stdout.split("\n")
        return {user: int(index) for user, index in (line.split(" ") for line in out if line)}

    def broker_log(self, index):
        return pathlib.Path(self.folder, f"broker-{index}.log").read_text(errors="replace")

    def _start(self):
        folder = self.folder
        config = f"{folder}/federation"
        subprocess.run(["bash", str(ROOT / "scripts/make-federation.sh"), "--out", config,
                        "--ws-base-port", str(self.websockets_base_port), *self.brokers],
                       check=True, stdout=self.log, stderr=self.log)
        bridge_password = "bridge-" + os.urandom(8).hex()
        federation_password = pathlib.Path(config, "federation-password").read_text().strip()
        accounts = dict(self.users, **{"presence-bridge": bridge_password, "presence-federation": federation_password})
        pathlib.Path(folder, "passwd").write_text("".join(f"{u}:{p}\n" for u, p in accounts.items()))
        subprocess.run(["mosquitto_passwd", "-U", f"{folder}/passwd"], check=True)
        pathlib.Path(folder, "bridge-password").write_text(bridge_password)
        for i in range(len(self.mqtt_ports)):
            # The generated config as it is, but for the password file it shares with mosquitto.conf
            # and a log file (mosquitto flushes it; its stdout to a file is buffered until it exits).
            path = pathlib.Path(config, f"broker-{i}.conf")
            text = path.read_text()
            for shipped, ours in [("password_file data/broker/passwd", f"password_file {folder}/passwd"),
                                  ("log_dest stdout", f"log_dest file {folder}/broker-{i}.log")]:
                assert f"\n{shipped}\n" in text, f"{path} has the shipped {shipped}"
                text = text.replace(f"\n{shipped}\n", f"\n{ours}\n")
            path.write_text(text)
        if os.geteuid() == 0:  # mosquitto drops to its own user: hand it the brokers' files
            broker_user = pwd.getpwnam("mosquitto")
            for directory, _, files in os.walk(folder):
                for path in [directory, *(os.path.join(directory, name) for name in files)]:
                    os.chown(path, broker_user.pw_uid, broker_user.pw_gid)

        for i, port in enumerate(self.mqtt_ports):
            broker = self.processes.start(f"mosquitto-{i}", ["mosquitto", "-c", f"{config}/broker-{i}.conf"], self.log)
            wait_for(lambda: broker.poll() is not None or (accepts(port) and accepts(self.websockets_base_port + i)),
                     f"broker {i}'s listeners")
            assert broker.poll() is None, f"broker {i} exited: {self.broker_log(i)}"

        for i, port in enumerate(self.bridge_http_ports):
            pathlib.Path(folder, f"shard-{i}").mkdir()
            self.processes.start(f"shard-{i}", [
                bridge_binary(), "run", "--shard", str(i), "--brokers", ",".join(self.brokers),
                "--username", "presence-bridge", "--password-file", f"{folder}/bridge-password",
                "--data-dir", f"{folder}/shard-{i}", "--http", f"127.0.0.1:{port}", *self.bridge_options,
            ], self.log)
        for i, port in enumerate(self.bridge_http_ports):
            wait_for(lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, f"shard {i}'s /readyz", timeout=60)

        self.processes.start("serve-web", ["python3", str(ROOT / "scripts/serve-web.py"), "--port", str(self.web_port)], self.log)
        wait_for(lambda: http_status(f"http://127.0.0.1:{self.web_port}/index.html") == 200, "the page's server")
