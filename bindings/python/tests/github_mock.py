"""A local stand-in for the GitHub API, enough for one repository's sync: the REST
repository, commit and issue lists, and GraphQL connection pages. Shaped like the
`pulse sync` end-to-end test of pulse-server (tests/it/sync.rs)."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PR = {
    "number": 1,
    "title": "First",
    "state": "MERGED",
    "isDraft": False,
    "createdAt": "2026-01-01T00:00:00Z",
    "updatedAt": "2026-01-02T00:00:00Z",
    "mergedAt": "2026-01-02T00:00:00Z",
    "closedAt": "2026-01-02T00:00:00Z",
    "additions": 1,
    "deletions": 1,
    "baseRefName": "main",
    "headRefName": "f",
    "author": {"__typename": "User", "login": "ann"},
    "mergeCommit": {"oid": "a" * 40},
    "labels": {"totalCount": 0, "nodes": []},
    "reviews": {"totalCount": 0, "nodes": []},
    "commits": {"totalCount": 0, "nodes": []},
}


class GitHub:
    """Serves on a free loopback port. `mode` changes what it answers:
    - "ok": a repository with one merged pull request;
    - "unauthorized": 401 Bad credentials on every request;
    - "rate_limited": GraphQL answers RATE_LIMITED with a reset time;
    - "hang": requests wait until `release()` (for interrupting a sync)."""

    RESET = 1_900_000_000  # 2030-03-17T17:46:40Z

    def __init__(self, mode="ok"):
        self.mode = mode
        self.requests = []
        self.released = threading.Event()
        github = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                github.requests.append(("GET", self.path, self.headers.get("authorization")))
                if github.answer_special(self):
                    return
                path = self.path.split("?")[0]
                if path == "/repos/acme/api":
                    self.reply(200, {"full_name": "acme/api", "default_branch": "trunk"})
                elif path in ("/repos/acme/api/commits", "/repos/acme/api/issues"):
                    self.reply(200, [])
                else:
                    self.reply(404, {"message": "Not Found"})

            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                github.requests.append(("POST", self.path, self.headers.get("authorization")))
                if github.answer_special(self):
                    return
                if github.mode == "rate_limited":
                    self.reply(
                        200,
                        {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
                        [("x-ratelimit-reset", str(GitHub.RESET))],
                    )
                    return
                field = re.search(r"(pullRequests|deployments|releases)\(first:", body["query"]).group(1)
                nodes = [PR] if field == "pullRequests" else []
                page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}
                self.reply(200, {"data": {"repository": {field: page}}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer_special(self, handler):
        if self.mode == "unauthorized":
            handler.reply(401, {"message": "Bad credentials"})
            return True
        if self.mode == "hang":
            self.released.wait(60)
            handler.reply(503, {"message": "released"})
            return True
        return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def release(self):
        self.released.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.server.shutdown()
        self.server.server_close()
