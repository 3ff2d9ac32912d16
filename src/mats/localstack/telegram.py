"""A stand-in for the Telegram Bot API: it records every ``sendMessage`` for people and tests.

``python -m mats.localstack.telegram --port N`` (0 picks a port; prints ``{"ready": true,
"port": N}``). ``POST /bot<token>/sendMessage`` answers like Telegram; ``GET /messages`` lists
what was sent; ``POST /reset`` forgets it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_messages: list[dict[str, Any]] = []
_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/reset":
            with _lock:
                _messages.clear()
            self._json({"ok": True})
        elif self.path.endswith("/sendMessage"):
            with _lock:
                _messages.append({"chat_id": body.get("chat_id"), "text": body.get("text")})
                index = len(_messages)
            self._json({"ok": True, "result": {"message_id": index, "text": body.get("text")}})
        else:
            self._json({"ok": False, "description": "Not Found"}, 404)

    def do_GET(self) -> None:
        with _lock:
            self._json({"messages": list(_messages)} if self.path == "/messages" else {"ok": True})

    def log_message(self, *_: Any) -> None:
        pass

    def _json(self, data: Any, status: int = 200) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    sys.stdout.write(json.dumps({"ready": True, "port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
