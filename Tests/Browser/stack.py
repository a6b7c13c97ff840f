"""The real parts the browser tests run against, each started by the test and stopped on every
path: mosquitto with the shipped mosquitto.conf and ACL (ports moved to free ones, files to a
temporary folder; the listeners' addresses and interfaces as shipped), the real presence-bridge
binary, the page's server (scripts/serve-web.py), and headless Chromium through chromedriver.
"""
import contextlib
import ipaddress
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, what, timeout=30.0, interval=0.05):
    """Polls `condition` until it is true; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def started_in_temporary_folder(prefix, make):
    """Makes a stack (`make(folder)`) in a new temporary folder, starts it and yields it; on every
    path stops its processes, closes its log and removes the folder (KEEP_BROWSER_TEST_FILES=1
    keeps it, and says where)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    stack = make(folder)
    try:
        stack._start()
        yield stack
    finally:
        stack.processes.stop_all()
        stack.log.close()
        if os.environ.get("KEEP_BROWSER_TEST_FILES"):
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


class Processes:
    """Children of the test, stopped (SIGTERM, then SIGKILL) in reverse order on every path."""

    def __init__(self):
        self.children = []

    def start(self, name, args, log):
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT)
        self.children.append((name, process))
        return process

    def stop(self, name):
        for entry in [entry for entry in self.children if entry[0] == name]:
            process = entry[1]
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            self.children.remove(entry)

    def pid(self, name):
        return next(process.pid for child, process in self.children if child == name)

    def stop_all(self):
        for _, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process in reversed(self.children):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.children.clear()


def shipped_broker_config(folder, mqtt_port, websockets_port):
    """mosquitto.conf as shipped, with its two listeners moved to the given ports (address and
    interface kept) and its files pointed at `folder`."""
    lines = []
    for line in (ROOT / "mosquitto.conf").read_text().splitlines():
        words = line.split()
        key = words[0] if words else ""
        if key == "listener":
            port = {"1883": mqtt_port, "8080": websockets_port}[words[1]]
            line = " ".join(["listener", str(port), *words[2:]])
        elif key in ("password_file", "acl_file", "persistence_location", "log_dest"):
            line = "# (test) " + line
        lines.append(line)
    lines += [
        f"password_file {folder}/passwd",
        f"acl_file {folder}/acl",
        f"persistence_location {folder}/data/",
        f"log_dest file {folder}/mosquitto.log",
    ]
    return "\n".join(lines) + "\n"


def bridge_binary():
    given = os.environ.get("PRESENCE_BRIDGE")
    if given:
        return given
    bin_path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_path, "presence-bridge")


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Stack:
    """The broker, the bridge and the page's server, with users; `Stack.run()` is a context manager."""

    def __init__(self, folder, users, bridge_options):
        self.folder = folder
        self.users = users
        self.bridge_options = bridge_options
        self.processes = Processes()
        self.mqtt_port = free_port()
        self.websockets_port = free_port()
        self.bridge_http_port = free_port()
        self.web_port = free_port()
        self.log = open(os.path.join(folder, "stack.log"), "wb")

    @classmethod
    def run(cls, users, bridge_options):
        return started_in_temporary_folder("presence-browser-", lambda folder: cls(folder, users, bridge_options))

    @property
    def page_url(self):
        return f"http://127.0.0.1:{self.web_port}/?broker=ws://127.0.0.1:{self.websockets_port}/mqtt"

    @property
    def ports(self):
        """Every port this stack listens on, as the README lists them."""
        return {self.mqtt_port, self.websockets_port, self.bridge_http_port, self.web_port}

    def _start(self):
        folder = self.folder
        bridge_password = "bridge-" + os.urandom(8).hex()
        accounts = dict(self.users, **{"presence-bridge": bridge_password})
        pathlib.Path(folder, "data").mkdir()
        pathlib.Path(folder, "bridge").mkdir()
        pathlib.Path(folder, "passwd").write_text("".join(f"{u}:{p}\n" for u, p in accounts.items()))
        subprocess.run(["mosquitto_passwd", "-U", f"{folder}/passwd"], check=True)
        shutil.copy(ROOT / "mosquitto.acl", f"{folder}/acl")
        pathlib.Path(folder, "mosquitto.conf").write_text(
            shipped_broker_config(folder, self.mqtt_port, self.websockets_port))
        pathlib.Path(folder, "bridge-password").write_text(bridge_password)
        if os.geteuid() == 0:  # mosquitto drops to its own user: hand it the broker's files
            broker_user = pwd.getpwnam("mosquitto")
            for path in [folder, f"{folder}/data", f"{folder}/passwd", f"{folder}/acl", f"{folder}/mosquitto.conf"]:
                os.chown(path, broker_user.pw_uid, broker_user.pw_gid)

        self.start_broker()

        self.processes.start("presence-bridge", [
            bridge_binary(), "run", "--broker", f"mqtt://127.0.0.1:{self.mqtt_port}",
            "--username", "presence-bridge", "--password-file", f"{folder}/bridge-password",
            "--data-dir", f"{folder}/bridge", "--http", f"127.0.0.1:{self.bridge_http_port}",
            *self.bridge_options,
        ], self.log)
        wait_for(lambda: http_status(f"http://127.0.0.1:{self.bridge_http_port}/readyz") == 200,
                 "the bridge's /readyz", timeout=60)

        self.processes.start("serve-web", ["python3", str(ROOT / "scripts/serve-web.py"),
                                           "--port", str(self.web_port)], self.log)
        wait_for(lambda: http_status(f"http://127.0.0.1:{self.web_port}/index.html") == 200, "the page's server")

    def start_proxy(self):
        """nginx with the shipped deploy/nginx/presence-web.conf (port, certificate, root and upstream
        moved to this stack), and a local CA and certificate for localhost from
        scripts/make-tls-certificates.sh. Returns the page's https:// URL."""
        folder = self.folder
        tls = f"{folder}/tls"
        subprocess.run([str(ROOT / "scripts/make-tls-certificates.sh"), tls, "localhost", "127.0.0.1"],
                       check=True, stdout=self.log, stderr=self.log)
        self.proxy_port = free_port()
        shipped = (ROOT / "deploy/nginx/presence-web.conf").read_text()
        replacements = {
            "listen 443 ssl;": f"listen 127.0.0.1:{self.proxy_port} ssl;",
            "/etc/presence-bridge/tls/": f"{tls}/",
            "root /opt/presence-bridge/web;": f"root {ROOT}/web;",
            "proxy_pass http://127.0.0.1:8080;": f"proxy_pass http://127.0.0.1:{self.websockets_port};",
        }
        for shipped_text, ours in replacements.items():
            assert shipped_text in shipped, f"{shipped_text} in deploy/nginx/presence-web.conf"
            shipped = shipped.replace(shipped_text, ours)
        pathlib.Path(folder, "nginx").mkdir()
        pathlib.Path(folder, "nginx", "presence-web.conf").write_text(shipped)
        pathlib.Path(folder, "nginx", "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {folder}/nginx/nginx.pid;
error_log {folder}/nginx/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {folder}/nginx/access.log;
    client_body_temp_path {folder}/nginx/body;
    proxy_temp_path {folder}/nginx/proxy;
    include {folder}/nginx/presence-web.conf;
}}
""")
        proxy = self.processes.start("nginx", ["nginx", "-p", f"{folder}/nginx", "-c", f"{folder}/nginx/nginx.conf"], self.log)
        wait_for(lambda: proxy.poll() is not None or accepts(self.proxy_port), "nginx")
        assert proxy.poll() is None, "nginx exited: " + pathlib.Path(folder, "nginx", "error.log").read_text()
        return f"https://localhost:{self.proxy_port}/"

    def start_broker(self):
        broker = self.processes.start("mosquitto", ["mosquitto", "-c", f"{self.folder}/mosquitto.conf"], self.log)
        wait_for(lambda: broker.poll() is not None or (accepts(self.mqtt_port) and accepts(self.websockets_port)),
                 "mosquitto's listeners")
        assert broker.poll() is None, f"mosquitto exited: {self._broker_log()}"

    def stop_broker(self):
        """Stops mosquitto (SIGTERM: it saves its retained messages) and waits for it to exit."""
        self.processes.stop("mosquitto")

    def _broker_log(self):
        path = pathlib.Path(self.folder, "mosquitto.log")
        return path.read_text() if path.exists() else "(no log)"

    def listening_sockets(self):
        return listening_sockets()


def listening_sockets():
    """(local address, port, process names) of every TCP listener on the machine (ss -ltnp)."""
    out = subprocess.run(["ss", "-H", "-ltnp"], check=True, capture_output=True, text=True).stdout
    sockets = []
    for line in out.splitlines():
        fields = line.split()
        local = fields[3]
        address, _, port = local.rpartition(":")
        sockets.append((address, int(port), " ".join(fields[5:])))
    return sockets


def is_loopback(address):
    """Whether an `ss` local address (`127.0.0.1`, `[::ffff:127.0.0.1]`, `[::1]`, `*`, `0.0.0.0`, `[::]%lo`) is loopback only."""
    address = address.strip("[]").split("%")[0]
    if address == "*":
        return False
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def chromium(folder, name, trust_any_certificate=False):
    """A headless Chromium of its own (its own profile: a browser context of its own) through
    chromedriver; `trust_any_certificate` for the test's own CA behind the proxy."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,760",
                     f"--user-data-dir={folder}/chromium-{name}", "--no-first-run", "--disable-extensions"]:
        options.add_argument(argument)
    if trust_any_certificate:
        options.add_argument("--ignore-certificate-errors")
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver",
                      log_output=f"{folder}/chromedriver-{name}.log")
    return webdriver.Chrome(options=options, service=service)
