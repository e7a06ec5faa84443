"""What the conformance suite and the fleet check drive: a real botconfig server on its own
database (started, stopped and restarted on the same port), a fault proxy in front of it,
and client agents (clients/conformance/agent.py and the Rust example agent) as processes.
"""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG = os.environ.get("CONFORMANCE_PG", "postgres://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(database_url: str, sql: str) -> str:
    return subprocess.run(["psql", "-qAtX", "-v", "ON_ERROR_STOP=1", database_url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


class Server:
    """`botconfig serve` on its own database and port."""

    def __init__(self, binary: str, database: str, port: int = None, extra_env=None):
        self.binary = binary
        self.database = database
        self.database_url = f"{PG}/{database}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.process = None
        self.log_path = f"/tmp/{database}-{self.port}.log"

    def env(self):
        return {**os.environ, "DATABASE_URL": self.database_url, "BOTCONFIG_LISTEN": f"127.0.0.1:{self.port}",
                "BOTCONFIG_ADMIN_PASSWORD": "conformance-admin-password", "LEPTOS_ENV": "PROD", **self.extra_env}

    def start(self):
        log = open(self.log_path, "a")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env(), stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL)
        wait_for(self.healthy, 60, f"server on {self.port} healthy", interval=0.05)

    def healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise AssertionError(f"the server exited: {open(self.log_path).read()[-2000:]}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cli(self, *args, stdin: str = None) -> str:
        env = {**os.environ, "DATABASE_URL": self.database_url, "BOTCONFIG_SERVER": self.url}
        done = subprocess.run([self.binary, *args], env=env, input=stdin, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"botconfig {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout

    def token(self, name: str, scope: str = "read") -> str:
        return self.cli("token", "create", name, "--scope", scope).strip().splitlines()[-1]

    def revision(self) -> int:
        return int(psql(self.database_url, "SELECT revision FROM botconfig_revision"))

    def sql(self, statement: str) -> str:
        return psql(self.database_url, statement)


def fresh_database(name: str):
    """No database by that name: the server creates and migrates it on start."""
    psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def drop_database(name: str):
    try:
        psql(f"{PG}/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except subprocess.CalledProcessError:
        pass


class FaultProxy:
    """A TCP proxy between clients and a server: `reset_all()` drops every connection
    (as a broken network does), and `drop_next_change()` removes the next `change` event
    from whichever event stream carries one (a lost event, the framing kept intact)."""

    def __init__(self, target_port: int, http: bool = True):
        self.target_port = target_port
        # Plain TCP (a database connection): bytes pass through untouched.
        self.http = http
        self.refusing = threading.Event()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = []
        self.lock = threading.Lock()
        self.drop_change = threading.Event()
        self.dropped = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing.is_set():
                # As a server that is down: the connection is closed at once.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            # Without it, Nagle's algorithm holds a small write until the last one is
            # acknowledged, and the peer delays that acknowledgement up to 40 ms: a query's
            # answer relayed in two pieces waited 35-40 ms (every 2 s, in the fleet check).
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.connections.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, sink, from_server):
        try:
            if not from_server or not self.http:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    sink.sendall(data)
                return
            reader = source.makefile("rb")
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = reader.read(1)
                if not byte:
                    return
                head += byte
            sink.sendall(head)
            lower = head.lower()
            if b"text/event-stream" not in lower or b"chunked" not in lower:
                while True:
                    data = reader.read1(65536)
                    if not data:
                        return
                    sink.sendall(data)
            while True:
                size_line = reader.readline()
                if not size_line:
                    return
                size = int(size_line.strip().split(b";")[0], 16)
                chunk = reader.read(size + 2)
                if size and b"event: change" in chunk and self.drop_change.is_set():
                    self.drop_change.clear()
                    self.dropped += 1
                    continue
                sink.sendall(size_line + chunk)
                if size == 0:
                    return
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def upstream_ports(self):
        """The local ports of the proxy's connections to its target (for pg_stat_activity)."""
        with self.lock:
            ports = []
            for _, upstream in self.connections:
                try:
                    ports.append(upstream.getsockname()[1])
                except OSError:
                    pass
            return ports

    def refuse(self, on: bool):
        """While on, every connection is reset and every new one refused."""
        if on:
            self.refusing.set()
            self.reset_all()
        else:
            self.refusing.clear()

    def drop_next_change(self):
        self.drop_change.set()

    def reset_all(self):
        with self.lock:
            connections, self.connections = self.connections, []
        for pair in connections:
            for s in pair:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    pass


class FaultProxyProcess:
    """A FaultProxy in a process of its own, driven over its stdin: what the fleet check puts
    between each server and the database, so the proxy's threads never wait for the
    interpreter lock behind the check's own load generator and writer (which would add
    milliseconds to every database round trip and be measured as the servers' lag)."""

    def __init__(self, target_port: int, http: bool = True):
        command = [sys.executable, os.path.abspath(__file__), "proxy", str(target_port)] + ([] if http else ["--tcp"])
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lock = threading.Lock()
        self.port = int(self._ask("port"))
        self.url = f"http://127.0.0.1:{self.port}"

    def _ask(self, command: str) -> str:
        with self.lock:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise AssertionError(f"the fault proxy exited (asked {command!r})")
        return answer.strip()

    def upstream_ports(self):
        answer = self._ask("ports")
        return [int(p) for p in answer.split(",") if p]

    def refuse(self, on: bool):
        self._ask("refuse on" if on else "refuse off")

    def reset_all(self):
        self._ask("reset")

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def _serve_proxy(arguments):
    """`python harness.py proxy PORT [--tcp]`: one command a line on stdin, one answer a line."""
    proxy = FaultProxy(int(arguments[0]), http="--tcp" not in arguments)
    for line in sys.stdin:
        command = line.strip()
        if command == "port":
            answer = str(proxy.port)
        elif command == "ports":
            answer = ",".join(str(p) for p in proxy.upstream_ports())
        elif command in ("refuse on", "refuse off"):
            proxy.refuse(command == "refuse on")
            answer = "ok"
        elif command == "reset":
            proxy.reset_all()
            answer = "ok"
        else:
            answer = f"unknown command {command!r}"
        print(answer, flush=True)


class Agent:
    """A client library under the line protocol, as a process."""

    def __init__(self, kind: str, url: str, token: str, snapshot: str = None, max_staleness: float = 2.0,
                 watch: bool = False, name: str = None):
        env = {**os.environ, "BOTCONFIG_URL": url, "BOTCONFIG_TOKEN": token,
               "BOTCONFIG_MAX_STALENESS": str(max_staleness), "BOTCONFIG_NAME": name or f"conformance-{kind}"}
        env.pop("BOTCONFIG_SNAPSHOT", None)
        if snapshot:
            env["BOTCONFIG_SNAPSHOT"] = snapshot
        command = agent_command(kind) + (["--watch"] if watch else [])
        self.kind = kind
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, bufsize=1)
        if watch:
            return
        first = self._read(30)
        if "error" in first:
            raise ConfigFailed(first["error"])
        self.ready = first

    def _read(self, timeout: float):
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"{self.kind} agent did not answer in {timeout} s: {self.stderr()}")
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"{self.kind} agent exited: {self.stderr()}")
        return json.loads(line)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(running)"
        return self.process.stderr.read()[-2000:]

    def ask(self, op: str, **fields):
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        return self._read(10)

    def status(self):
        return self.ask("status")

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class ConfigFailed(Exception):
    pass


def agent_command(kind: str):
    if kind == "python":
        return [os.environ.get("AGENT_PYTHON", sys.executable), os.path.join(ROOT, "clients", "conformance", "agent.py")]
    if kind == "rust":
        binary = os.environ.get("AGENT_RUST_BIN") or os.path.join(
            os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples", "agent")
        return [binary]
    raise ValueError(kind)


if __name__ == "__main__" and sys.argv[1:2] == ["proxy"]:
    _serve_proxy(sys.argv[2:])
