#!/usr/bin/env python3
"""Serves the presence page (web/) over plain HTTP on a loopback address.

    scripts/serve-web.py [--bind 127.0.0.1] [--port 8081]

Static files only, with the MIME types browsers require of ES modules (mosquitto's own
http_dir sends no Content-Type, and Chromium refuses a module script without one) and
`Cache-Control: no-cache`. The page connects to the broker's WebSockets listener itself
(ws://HOST:8080/mqtt, or ?broker=URL). scripts/run-local.sh runs this; in production a TLS
reverse proxy serves web/ and the WebSockets listener on one origin instead (README).
"""
import argparse
import functools
import http.server
import pathlib
import sys

WEB = pathlib.Path(__file__).resolve().parent.parent / "web"


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".png": "image/png",
        ".svg": "image/svg+xml",
        "": "application/octet-stream",
    }

    def end_headers(self):
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format, *args):
        sys.stderr.write("serve-web: " + (format % args) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    options = parser.parse_args()
    handler = functools.partial(Handler, directory=str(WEB))
    server = http.server.ThreadingHTTPServer((options.bind, options.port), handler)
    print(f"serving {WEB} on http://{options.bind}:{server.server_address[1]}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
