"""HTTP to a botconfig server with the standard library: JSON reads and the event stream."""

import http.client
import json
import socket
import urllib.parse
from typing import Any, Dict, Iterator, Optional, Tuple

from .state import loads


class Refused(Exception):
    """The server refused the token (401/403): retrying will not help."""


class Unreachable(Exception):
    """The server could not be reached or did not answer as it should; retrying may help."""


class Transport:
    def __init__(self, url: str, token: str, timeout: float, client_header: str):
        parsed = urllib.parse.urlsplit(url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"BOTCONFIG_URL must be an http(s) URL like http://127.0.0.1:3000, not {url!r}")
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.base_path = parsed.path
        self.token = token
        self.timeout = timeout
        self.client_header = client_header

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=timeout)

    def _headers(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Encoding": "identity"}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: Any = None) -> Tuple[int, Any, Dict[str, str]]:
        """One request; returns (status, parsed JSON or None, headers)."""
        connection = self._connection(self.timeout)
        try:
            payload = None if body is None else json.dumps(body).encode()
            extra = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, self.base_path + path, body=payload, headers=self._headers(extra))
            response = connection.getresponse()
            raw = response.read()
            headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as error:
            raise Unreachable(f"{method} {path}: {error}") from error
        finally:
            connection.close()
        parsed = loads(raw.decode()) if raw and headers.get("content-type", "").startswith("application/json") else None
        if response.status in (401, 403):
            reason = parsed.get("error") if isinstance(parsed, dict) else raw.decode(errors="replace")
            raise Refused(f"the server refused the token ({response.status}): {reason}")
        return response.status, parsed, headers

    def get_json(self, path: str) -> Any:
        status, parsed, _ = self.request("GET", path)
        if status == 404:
            return None
        if status != 200 or parsed is None:
            raise Unreachable(f"GET {path}: status {status}")
        return parsed

    def stream(self, last_event_id: Optional[int], read_timeout: float) -> Iterator[Tuple[str, str, str]]:
        """The event stream as (kind, id, data) triples; a comment is ("comment", "", text).
        Raises Unreachable when the connection breaks or goes silent for read_timeout."""
        connection = self._connection(read_timeout)
        headers = {"Accept": "text/event-stream", "X-Botconfig-Client": self.client_header()}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        try:
            connection.request("GET", self.base_path + "/api/v1/stream", headers=self._headers(headers))
            response = connection.getresponse()
            if response.status in (401, 403):
                body = response.read().decode(errors="replace")
                raise Refused(f"the server refused the token ({response.status}): {body}")
            if response.status != 200:
                raise Unreachable(f"the stream answered {response.status}: {response.read()[:200]!r}")
            kind, event_id, data = "message", "", []
            pending = b""
            while True:
                # What has arrived, split into lines here: a readline() per line on a
                # chunked response cost more than applying the event.
                received = response.read1(65536)
                if not received:
                    raise Unreachable("the stream ended")
                *lines, pending = (pending + received).split(b"\n")
                for raw in lines:
                    line = raw.decode().rstrip("\r")
                    if line == "":
                        if data:
                            yield kind, event_id, "\n".join(data)
                        kind, event_id, data = "message", "", []
                    elif line.startswith(":"):
                        yield "comment", "", line[1:].strip()
                    else:
                        field, _, value = line.partition(":")
                        value = value[1:] if value.startswith(" ") else value
                        if field == "event":
                            kind = value
                        elif field == "id":
                            event_id = value
                        elif field == "data":
                            data.append(value)
        except (OSError, socket.timeout, http.client.HTTPException) as error:
            raise Unreachable(f"the stream broke: {error}") from error
        finally:
            connection.close()
