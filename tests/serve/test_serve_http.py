"""`outreach serve` over HTTP on loopback, as mail providers, link scanners, browsers and
attackers talk to it: one-click unsubscribes in both form encodings, pages that change nothing,
bad and forged tokens, private routes behind a token or loopback, the JSON API and metrics
against `outreach status`, limits on size, time and connections, and HTTPS."""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "support"))
from certificates import make_certificates  # noqa: E402
from serve_support import (NAME, SECRET, SECRET_ENV, Server, address, cli, environment, html_bodies, links,  # noqa: E402
                           path_of, raw_request, signed_token, simulate, suppressed, write_campaign)

LEADS = 12


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Tuple[Path, Dict[str, str]]:
    """A store with a simulated campaign, and each lead's link."""
    directory = tmp_path_factory.mktemp("made")
    campaign = write_campaign(directory, LEADS)
    store = directory / "state.db"
    outbox = directory / "outbox"
    simulate(campaign, store, outbox)
    return store, links(outbox)


@pytest.fixture()
def fresh(made, tmp_path) -> Tuple[Path, Dict[str, str]]:
    """A copy of the store for one test, so that unsubscribes do not leak between tests."""
    store, found = made
    copy = tmp_path / "state.db"
    copy.write_bytes(store.read_bytes())
    return copy, found


def request(port: int, method: str, path: str, body: Optional[bytes] = None, headers: Optional[dict] = None,
            context: Optional[ssl.SSLContext] = None) -> Tuple[int, Dict[str, str], bytes]:
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        connection = http.client.HTTPSConnection("localhost", port, timeout=30, context=context)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def multipart(name: str, value: str, boundary: str = "----outreachTestBoundary") -> Tuple[bytes, dict]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n--{boundary}--\r\n")
    return body.encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_one_click_posts_in_either_encoding_suppress_durably_and_are_idempotent(fresh):
    store, found = fresh
    with Server(store) as server:
        first, second, third = (path_of(found[address(n)]) for n in (0, 1, 2))
        status, headers, body = request(server.port, "POST", first, b"List-Unsubscribe=One-Click", FORM)
        assert status == 200, body
        assert b"Unsubscribed" in body
        assert "set-cookie" not in headers and "location" not in headers
        # Suppressed before the answer: a reader of the store sees it now.
        assert address(0) in suppressed(store)

        body, headers = multipart("List-Unsubscribe", " One-Click ")
        assert request(server.port, "POST", second, body, headers)[0] == 200
        # Lenient about blanks and line breaks, and about a missing Content-Type.
        assert request(server.port, "POST", third, b"  List-Unsubscribe = One-Click\r\n", {})[0] == 200
        assert set(suppressed(store)) == {address(0), address(1), address(2)}

        # Again: still 200, nothing more recorded.
        assert request(server.port, "POST", first, b"List-Unsubscribe=One-Click", FORM)[0] == 200
        waiting = cli("events", "--store", store)  # the store is readable throughout
        assert waiting.returncode == 0
    # The engine records each one once as the lead's unsubscribe (here: a steering command,
    # which applies what waits when no engine runs the store).
    assert cli("resume", NAME, "--store", store).returncode == 0
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    unsubscribed = sorted(e["lead"] for e in events if e["type"] == "unsubscribed")
    assert unsubscribed == [address(0), address(1), address(2)]


def test_a_get_never_changes_anything_and_offers_one_button_that_posts_back(fresh):
    store, found = fresh
    with Server(store) as server:
        path = path_of(found[address(3)])
        for method in ("GET", "HEAD", "GET"):
            status, headers, body = request(server.port, method, path)
            assert status == 200
            assert headers["cache-control"] == "no-store"
            assert "noindex" in headers["x-robots-tag"]
        # HEAD says the length a GET has, and sends no body.
        _, got_headers, got = request(server.port, "GET", path)
        _, head_headers, nothing = request(server.port, "HEAD", path)
        assert nothing == b"" and head_headers["content-length"] == got_headers["content-length"] == str(len(got))
        assert b'<form method="post">' in request(server.port, "GET", path)[2]
        assert b'name="List-Unsubscribe" value="One-Click"' in request(server.port, "GET", path)[2]
        assert suppressed(store) == []
        # A POST that is not the one-click changes nothing either.
        status, _, _ = request(server.port, "POST", path, b"something=else", FORM)
        assert status == 400
        assert request(server.port, "PUT", path, b"List-Unsubscribe=One-Click", FORM)[0] == 405
        assert suppressed(store) == []


def test_bad_and_forged_tokens_get_the_same_404_and_too_many_get_429(fresh):
    store, found = fresh
    with Server(store) as server:
        good = path_of(found[address(4)])
        token = good.rsplit("/", 1)[1]
        altered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
        forged = signed_token("not the secret, but as long as one!", NAME, address(4))
        answers = set()
        for bad in (f"/u/{altered}", "/u/x", f"/u/{forged}", f"/u/{token}x", "/u/" + "A" * 3000):
            status, _, body = request(server.port, "POST", bad, b"List-Unsubscribe=One-Click", FORM)
            assert status == 404
            answers.add(body)
        assert len(answers) == 1  # nothing tells which kind of bad it was
        assert suppressed(store) == []
        for _ in range(40):
            status, headers, _ = request(server.port, "GET", "/u/nothing")
        assert status == 429
        assert headers["retry-after"] == "60"
        # The throttle holds for that address's bad links; a valid link is always answered.
        assert request(server.port, "POST", good, b"List-Unsubscribe=One-Click", FORM)[0] == 200


def test_links_of_a_rotated_secret_and_of_the_signed_format_still_work(tmp_path):
    old_secret = "the secret we had last year, long enough"
    old_campaign = write_campaign(tmp_path, 3, secret_env="OLD_SECRET")
    store = tmp_path / "state.db"
    outbox = tmp_path / "outbox"
    simulate(old_campaign, store, outbox, env=environment(OLD_SECRET=old_secret))
    old_links = links(outbox)
    # The campaign now seals with a new secret and keeps the old one for links already out.
    rotated = tmp_path / "rotated"
    rotated.mkdir()
    new_campaign = write_campaign(rotated, 3, secret_env=SECRET_ENV, previous=["OLD_SECRET"])
    env = environment(OLD_SECRET=old_secret)
    assert cli("update", new_campaign, "--store", store, env=env).returncode == 0
    with Server(store, env=env) as server:
        assert request(server.port, "POST", path_of(old_links[address(0)]), b"List-Unsubscribe=One-Click", FORM)[0] == 200
        signed = "/u/" + signed_token(old_secret, NAME, address(1))
        assert request(server.port, "POST", signed, b"List-Unsubscribe=One-Click", FORM)[0] == 200
    # Without the old secret those links are refused.
    with Server(store) as server:
        assert request(server.port, "GET", path_of(old_links[address(2)]))[0] == 404
    assert set(suppressed(store)) == {address(0), address(1)}


def test_serve_refuses_to_start_when_links_could_be_forged_or_not_checked(fresh):
    store, _ = fresh
    for value in ("", "short"):
        result = cli("serve", "--store", store, "--listen", "127.0.0.1:0", env=environment(**{SECRET_ENV: value}))
        assert result.returncode != 0
        assert SECRET_ENV in result.stderr
        assert ("is not set" if not value else "fewer than 16 bytes") in result.stderr
    result = cli("serve", "--store", store.with_name("missing.db"), "--listen", "127.0.0.1:0")
    assert result.returncode != 0 and "no such store" in result.stderr
    result = cli("serve", "--store", store, "--listen", "nowhere")
    assert result.returncode != 0 and "HOST:PORT" in result.stderr
    result = cli("serve", "--store", store, "--listen", "127.0.0.1:0", "--tls-cert", store)
    assert result.returncode != 0 and "--tls-key" in result.stderr


def test_private_routes_need_the_token_or_loopback_alone_and_never_a_proxy(fresh):
    store, found = fresh
    with Server(store) as server:  # loopback, no token
        assert request(server.port, "GET", "/healthz")[0] == 200
        for proxied in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"Via": "1.1 proxy"},
                        {"X-Real-IP": "203.0.113.9"}, {"X-Forwarded-Proto": "https"}):
            assert request(server.port, "GET", "/metrics", headers=proxied)[0] == 401
    with Server(store, env=environment(OUTREACH_SERVE_TOKEN="token-for-the-tests")) as server:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dG9rZW4="}):
            status, answer_headers, _ = request(server.port, "GET", "/api/campaigns", headers=headers)
            assert status == 401
            assert answer_headers["www-authenticate"].startswith("Bearer")
        status, _, body = request(server.port, "GET", "/api/campaigns",
                                  headers={"Authorization": "Bearer token-for-the-tests"})
        assert status == 200 and json.loads(body)["campaigns"][0]["name"] == NAME
        # Public routes need nothing.
        assert request(server.port, "GET", path_of(found[address(5)]))[0] == 200
    with Server(store, listen="0.0.0.0:0") as server:  # beyond loopback without a token
        assert request(server.port, "GET", "/healthz")[0] == 401
        assert request(server.port, "GET", path_of(found[address(5)]))[0] == 200


def test_the_api_and_the_metrics_say_what_outreach_status_says(fresh):
    store, _ = fresh
    status_json = json.loads(cli("status", "--store", store, "--json").stdout)
    with Server(store) as server:
        status, headers, body = request(server.port, "GET", f"/api/campaigns/{NAME}/summary")
        assert status == 200 and headers["content-type"] == "application/json"
        assert json.loads(body) == status_json
        assert request(server.port, "GET", "/api/campaigns/nope/summary")[0] == 404

        # The events, page by page from the cursor, are the log `outreach events` prints.
        events = []
        cursor = 0
        while True:
            status, _, body = request(server.port, "GET", f"/api/campaigns/{NAME}/events?after={cursor}&limit=7")
            page = json.loads(body)
            if not page["events"]:
                assert page["next"] == cursor
                break
            assert len(page["events"]) <= 7
            events += [entry["event"] for entry in page["events"]]
            cursor = page["next"]
        expected = [json.loads(line) for line in cli("events", "--store", store, "--campaign", NAME).stdout.splitlines()]
        assert events == expected
        assert request(server.port, "GET", f"/api/campaigns/{NAME}/events?after=x")[0] == 400

        status, headers, body = request(server.port, "GET", "/metrics")
        assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
        samples = {}
        for line in body.decode().splitlines():
            if line.startswith("#"):
                assert line.startswith(("# HELP ", "# TYPE "))
                continue
            name, value = line.rsplit(" ", 1)
            samples[name] = int(value)
        per_day = status_json["campaigns"][0]["days"]
        for mailbox in ("alice", "bob"):
            assert samples[f'outreach_sends_total{{campaign="{NAME}",mailbox="{mailbox}"}}'] == \
                sum(day["sent"] for day in per_day if day["mailbox"] == mailbox)
        assert samples[f'outreach_leads{{campaign="{NAME}",status="completed"}}'] == \
            status_json["campaigns"][0]["leads"]["completed"]


def test_every_answer_carries_the_security_headers_and_the_pages_the_strict_policy(fresh):
    store, found = fresh
    with Server(store) as server:
        for path in ("/", f"/campaigns/{NAME}", "/healthz", "/nothing", path_of(found[address(6)]), "/u/bad"):
            _, headers, body = request(server.port, "GET", path)
            assert headers["cache-control"] == "no-store"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            policy = headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
            assert b"<script" not in body
        page = request(server.port, "GET", f"/campaigns/{NAME}")[2].decode()
        assert '<svg id="sends-per-day"' in page and 'id="funnel"' in page and 'id="leads"' in page


def test_outreach_report_writes_the_page_to_share(fresh, tmp_path):
    store, _ = fresh
    page = tmp_path / "report.html"
    result = cli("report", "--store", store, NAME, "--html", page)
    assert result.returncode == 0, result.stderr
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and NAME in text and "<svg" in text
    # One file: every lead is listed, with no link back to a server.
    assert text.count("<tr><td>lead") == LEADS
    assert 'href="/' not in text
    result = cli("report", "--store", store, "nope", "--html", page)
    assert result.returncode != 0 and "nope" in result.stderr


def test_oversized_headers_and_bodies_are_refused_and_a_slow_client_is_dropped(fresh):
    store, found = fresh
    with Server(store) as server:
        answer = raw_request(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431")
        path = path_of(found[address(7)]).encode()
        answer = raw_request(server.port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\n\r\n" + b"a" * 100000)
        assert answer.startswith(b"HTTP/1.1 413")
        assert raw_request(server.port, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400")
        assert suppressed(store) == []

        # One header line a second: dropped when its time to send the request runs out (10 s).
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            closed = False
            for i in range(25):
                try:
                    slow.sendall(f"X-Slow-{i}: 1\r\n".encode())
                    slow.settimeout(1.0)
                    if slow.recv(1024) == b"":
                        closed = True
                        break
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    closed = True
                    break
        assert closed
        assert time.monotonic() - started < 15
        # The server serves others all along.
        assert request(server.port, "GET", "/healthz")[0] == 200


def test_connections_beyond_the_cap_are_turned_away(fresh):
    store, _ = fresh
    with Server(store, "--max-connections", "3") as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        time.sleep(0.3)
        try:
            answer = raw_request(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 503")
        finally:
            for connection in held:
                connection.close()
        time.sleep(0.3)
        assert request(server.port, "GET", "/healthz")[0] == 200


def test_https_with_a_certificate_and_its_key(fresh, tmp_path):
    store, found = fresh
    files = make_certificates(tmp_path / "certs")
    with Server(store, "--tls-cert", str(files.cert_file), "--tls-key", str(files.key_file)) as server:
        context = ssl.create_default_context(cafile=str(files.ca_file))
        status, _, body = request(server.port, "POST", path_of(found[address(8)]), b"List-Unsubscribe=One-Click",
                                  FORM, context=context)
        assert status == 200
        # Plain HTTP to the TLS port gets nowhere.
        assert not raw_request(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3).startswith(b"HTTP/1.1 200")
    assert suppressed(store) == [address(8)]
    result = cli("serve", "--store", store, "--listen", "127.0.0.1:0", "--tls-cert", files.key_file,
                 "--tls-key", files.key_file)
    assert result.returncode != 0 and "certificate" in result.stderr


def test_a_campaign_added_while_serving_has_its_links_answered(fresh, tmp_path):
    store, _ = fresh
    later = tmp_path / "later"
    later.mkdir()
    campaign = write_campaign(later, 2, name="later", url="https://acme.test/later/{{token}}")
    with Server(store) as server:
        simulate(campaign, store, later / "outbox")
        link = path_of(links(later / "outbox")[address(1)])
        # The links are read again when one matches nothing, at most every 5 seconds.
        deadline = time.monotonic() + 15
        while request(server.port, "POST", link, b"List-Unsubscribe=One-Click", FORM)[0] != 200:
            assert time.monotonic() < deadline, "the new campaign's link was never answered"
            time.sleep(1)
    assert address(1) in suppressed(store)


def test_links_at_the_root_hide_no_private_route(tmp_path):
    campaign = write_campaign(tmp_path, 2, url="https://acme.test/{{token}}")
    store = tmp_path / "state.db"
    simulate(campaign, store, tmp_path / "outbox")
    link = path_of(links(tmp_path / "outbox")[address(0)])
    with Server(store) as server:
        for path in ("/healthz", "/metrics", f"/campaigns/{NAME}", "/api/campaigns"):
            assert request(server.port, "GET", path)[0] == 200, path
        assert request(server.port, "POST", link, b"List-Unsubscribe=One-Click", FORM)[0] == 200
    assert suppressed(store) == [address(0)]


def test_opens_and_clicks_are_tracked_when_asked_and_a_click_leads_only_where_the_message_pointed(tmp_path):
    campaign = write_campaign(tmp_path, 3, steps=1, tracking={"host": "https://t.acme.test", "opens": True, "clicks": True})
    store = tmp_path / "state.db"
    simulate(campaign, store, tmp_path / "outbox")
    bodies = html_bodies(tmp_path / "outbox")
    unsubscribe = links(tmp_path / "outbox")
    body = bodies[address(0)]
    # The pixel at the end, both web links through the tracking host, the unsubscribe link as it was.
    pixel = re.search(r'<img src="https://t\.acme\.test(/o/[\w-]+)" width="1" height="1" alt="">', body)
    clicks = re.findall(r'href="https://t\.acme\.test(/c/[\w-]+)"', body)
    assert pixel and len(clicks) == 2
    assert f'href="{unsubscribe[address(0)]}"' in body
    assert "acme.test/pricing" not in body
    person = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}
    with Server(store) as server:
        status, headers, gif = request(server.port, "GET", pixel.group(1), headers=person)
        assert status == 200 and headers["content-type"] == "image/gif" and gif.startswith(b"GIF89a")
        assert headers["cache-control"] == "no-store"
        status, headers, _ = request(server.port, "GET", clicks[0], headers=person)
        assert status == 302 and headers["location"] == "https://acme.test/pricing?a=1&b=2"
        # A scanner's look: recorded, suspect.
        assert request(server.port, "HEAD", clicks[1])[0] == 302
        other = re.search(r'https://t\.acme\.test(/o/[\w-]+)', bodies[address(1)]).group(1)
        assert request(server.port, "GET", other, headers={"User-Agent": "Mozilla/5.0"})[0] == 200
        # The same pixel again: answered, and not written again (it would count for nothing).
        assert request(server.port, "GET", pixel.group(1), headers=person)[0] == 200
        # Never an open redirect: an altered token, or a pixel's token on the click route, goes nowhere.
        token = clicks[0].rsplit("/", 1)[1]
        assert request(server.port, "GET", "/c/" + token[:-3] + "AAA")[0] == 404
        assert request(server.port, "GET", "/c/" + pixel.group(1).rsplit("/", 1)[1])[0] == 404
        assert request(server.port, "POST", clicks[0], b"x", FORM)[0] == 405
        page = request(server.port, "GET", f"/campaigns/{NAME}")[2].decode()
        assert "Opened*" in page and "Clicked*" in page and 'id="tracking-note"' in page
    assert cli("resume", NAME, "--store", store).returncode == 0
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    seen = [(e["type"], e.get("suspect", False), e.get("reason"), e.get("url")) for e in events
            if e["type"] in ("opened", "clicked")]
    assert seen == [("opened", False, None, None), ("clicked", False, None, "https://acme.test/pricing?a=1&b=2"),
                    ("clicked", True, "head_request", "https://acme.test/blog"), ("opened", True, "privacy_proxy", None)]
    summary = json.loads(cli("status", "--store", store, "--json").stdout)["campaigns"][0]
    counted = {(v["opened"], v["clicked"]) for step in summary["steps"] for v in step["variants"] if v["sent"]}
    assert sum(o for o, _ in counted) == 1 and sum(c for _, c in counted) == 1
    # Opens never drive the sequence: the leads' statuses are what they were.
    assert summary["leads"]["completed"] == 3
