"""HTTP signatures: what we sign verifies, and what Mastodon would refuse we refuse."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from fediverse_ai.activitypub.signatures import (
    IncomingRequest,
    SignatureError,
    digest_header,
    parse_request_signature,
    sign_get,
    sign_post,
)
from fediverse_ai.crypto import generate_rsa_keypair

from .httpsig_helpers import sign_rfc9421

FIXTURES = Path(__file__).parents[1] / "fixtures" / "draft-cavage"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
INBOX = "https://social.test/users/painter/inbox"
KEY_ID = "https://remote.example/users/alice#main-key"
BODY = b'{"type":"Follow","actor":"https://remote.example/users/alice"}'


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_rsa_keypair()


def incoming(method: str, url: str, headers: dict[str, str], body: bytes = b"") -> IncomingRequest:
    return IncomingRequest.build(method, url, headers.items(), body)


def test_our_signed_post_verifies_with_the_public_key(keys: tuple[str, str]) -> None:
    private, public = keys
    headers = sign_post(INBOX, BODY, KEY_ID, private, now=NOW)
    assert headers["Digest"].startswith("SHA-256=") and 'headers="(request-target) host date digest"' in headers[
        "Signature"]
    parsed = parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)
    assert parsed.key_id == KEY_ID and parsed.scheme == "cavage"
    assert parsed.verify(public)
    assert not parsed.verify(generate_rsa_keypair()[1])


def test_our_signed_get_covers_host_and_verifies(keys: tuple[str, str]) -> None:
    private, public = keys
    url = "https://social.test/users/painter?page=1"
    headers = sign_get(url, KEY_ID, private, now=NOW)
    assert "application/activity+json" in headers["Accept"]
    assert parse_request_signature(incoming("GET", url, headers), now=NOW).verify(public)


def test_draft_cavage_all_headers_test_vector_verifies() -> None:
    """Appendix C.3 of the draft, signed by someone else's implementation."""
    headers = {
        "Host": "example.com", "Date": "Sun, 05 Jan 2014 21:31:40 GMT", "Content-Type": "application/json",
        "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "Content-Length": "18",
        "Signature": 'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date content-type '
                     'digest content-length",signature="vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rg'
                     'Op+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmP'
                     'nYePbF5MOkR0Zkly4zKH7s1dE="',
    }
    request = incoming("POST", "https://example.com/foo?param=value&pet=dog", headers, b'{"hello": "world"}')
    parsed = parse_request_signature(request, now=dt.datetime(2014, 1, 5, 22, 0, tzinfo=dt.UTC))
    assert parsed.key_id == "Test"
    assert parsed.verify((FIXTURES / "test-key.pem").read_text())


def test_a_post_signature_that_does_not_cover_digest_is_refused() -> None:
    """Appendix C.2 (Basic) signs only (request-target) host date: fine for GET, not for POST."""
    headers = {"Host": "example.com", "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
               "Signature": 'keyId="Test",algorithm="rsa-sha256",headers="(request-target) host date",'
                            'signature="qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQ'
                            'R2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgd'
                            'DEmn04swr2Os0="'}
    with pytest.raises(SignatureError, match="must cover digest"):
        parse_request_signature(incoming("POST", "https://example.com/foo?param=value&pet=dog", headers, b"{}"),
                                now=dt.datetime(2014, 1, 5, 22, 0, tzinfo=dt.UTC))


def test_digest_mismatch_is_refused(keys: tuple[str, str]) -> None:
    headers = sign_post(INBOX, BODY, KEY_ID, keys[0], now=NOW)
    with pytest.raises(SignatureError, match="Digest does not match"):
        parse_request_signature(incoming("POST", INBOX, headers, BODY + b" "), now=NOW)


@pytest.mark.parametrize(("age", "message"), [(dt.timedelta(hours=13), "too old"),
                                              (dt.timedelta(hours=-2), "future")])
def test_old_or_future_dates_are_refused(keys: tuple[str, str], age: dt.timedelta, message: str) -> None:
    headers = sign_post(INBOX, BODY, KEY_ID, keys[0], now=NOW - age)
    with pytest.raises(SignatureError, match=message):
        parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)


def test_a_get_signature_must_cover_host(keys: tuple[str, str]) -> None:
    headers = sign_get(INBOX, KEY_ID, keys[0], now=NOW)
    headers["Signature"] = headers["Signature"].replace("(request-target) host date", "(request-target) date")
    with pytest.raises(SignatureError, match="cover host"):
        parse_request_signature(incoming("GET", INBOX, headers), now=NOW)


def test_unsigned_and_incomplete_signatures_are_refused() -> None:
    with pytest.raises(SignatureError, match="not signed"):
        parse_request_signature(incoming("POST", INBOX, {"Date": "x"}, BODY), now=NOW)
    with pytest.raises(SignatureError, match="keyId"):
        parse_request_signature(incoming("POST", INBOX, {"Signature": 'signature="AAAA"'}, BODY), now=NOW)


def test_a_signature_without_the_query_string_is_accepted_like_mastodon(keys: tuple[str, str]) -> None:
    """Some senders sign the path only; Mastodon tries with the query, then without."""
    private, public = keys
    headers = sign_get("https://social.test/users/painter", KEY_ID, private, now=NOW)
    request = incoming("GET", "https://social.test/users/painter?page=true", headers)
    assert parse_request_signature(request, now=NOW).verify(public)


def test_a_forged_signature_does_not_verify(keys: tuple[str, str]) -> None:
    _private, public = keys
    headers = sign_post(INBOX, BODY, KEY_ID, generate_rsa_keypair()[0], now=NOW)
    assert not parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW).verify(public)


def test_rfc9421_post_with_content_digest_verifies(keys: tuple[str, str]) -> None:
    private, public = keys
    headers = sign_rfc9421("POST", INBOX, BODY, KEY_ID, private, created=NOW)
    parsed = parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)
    assert parsed.scheme == "rfc9421" and parsed.key_id == KEY_ID
    assert parsed.verify(public)
    assert not parsed.verify(generate_rsa_keypair()[1])


def test_rfc9421_content_digest_mismatch_and_missing_coverage_are_refused(keys: tuple[str, str]) -> None:
    headers = sign_rfc9421("POST", INBOX, BODY, KEY_ID, keys[0], created=NOW)
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        parse_request_signature(incoming("POST", INBOX, headers, b"{}"), now=NOW)
    weak = sign_rfc9421("POST", INBOX, BODY, KEY_ID, keys[0], created=NOW,
                        components=("@method", "@target-uri", "@authority"))
    with pytest.raises(SignatureError, match="content-digest"):
        parse_request_signature(incoming("POST", INBOX, weak, BODY), now=NOW)


def test_rfc9421_replayed_signature_is_refused(keys: tuple[str, str]) -> None:
    headers = sign_rfc9421("POST", INBOX, BODY, KEY_ID, keys[0], created=NOW - dt.timedelta(hours=13))
    with pytest.raises(SignatureError, match="too old"):
        parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)


def test_rfc9421_signature_for_another_url_does_not_verify(keys: tuple[str, str]) -> None:
    private, public = keys
    headers = sign_rfc9421("POST", "https://social.test/inbox", BODY, KEY_ID, private, created=NOW)
    assert not parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW).verify(public)


def test_rfc9421_malformed_input_is_a_signature_error() -> None:
    headers = {"Signature-Input": 'sig1=("@method" "@target-uri', "Signature": "sig1=:AAAA:"}
    with pytest.raises(SignatureError, match="malformed"):
        parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)


@pytest.mark.parametrize("capture", ["fedify-1.5", "bovine-herd-0.5"])
def test_requests_captured_from_real_servers_verify(capture: str) -> None:
    """Signed requests real peers sent us in the interop tests (Fedify: a GET and a Follow POST
    over (request-target) content-type date digest host; bovine: a POST with a lower-case
    sha-256 Digest), verified with the key from the signer's actor document."""
    captured = json.loads((Path(__file__).parents[1] / "fixtures" / capture / "signed-requests.json").read_text())
    key = captured["signer_actor"]["publicKey"]
    for name in ("get", "post"):
        if name not in captured:
            continue
        req = captured[name]
        request = IncomingRequest.build(req["method"], req["url"], [tuple(h) for h in req["headers"]],
                                        req["body"].encode())
        sent_at = dt.datetime.strptime(request.headers["date"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC)
        parsed = parse_request_signature(request, now=sent_at)
        assert parsed.key_id == key["id"] and parsed.verify(key["publicKeyPem"]), name
        tampered = IncomingRequest(request.method, request.url + "x", request.headers, request.body)
        assert not parse_request_signature(tampered, now=sent_at).verify(key["publicKeyPem"])


def test_a_created_parameter_signature_verifies_and_its_clock_is_checked(keys: tuple[str, str]) -> None:
    """Draft 12 style: (created) instead of Date, with the integer parameter unquoted."""
    private, public = keys
    key = serialization.load_pem_private_key(private.encode(), password=None)

    def signed(created: dt.datetime) -> dict[str, str]:
        stamp = int(created.timestamp())
        digest = digest_header(BODY)
        text = (f"(request-target): post /users/painter/inbox\n(created): {stamp}\nhost: social.test\n"
                f"digest: {digest}")
        signature = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
        return {"Host": "social.test", "Digest": digest,
                "Signature": f'keyId="{KEY_ID}",algorithm="hs2019",created={stamp},'
                             f'headers="(request-target) (created) host digest",signature="{signature}"'}

    assert parse_request_signature(incoming("POST", INBOX, signed(NOW), BODY), now=NOW).verify(public)
    with pytest.raises(SignatureError, match="too old"):
        parse_request_signature(incoming("POST", INBOX, signed(NOW - dt.timedelta(days=1)), BODY), now=NOW)


@pytest.mark.parametrize("headers", [
    {"Signature": 'keyId="k",signature="!!!not base64",headers="(request-target) host date digest"'},
    {"Signature": 'keyId="k",signature="AAAA",headers="(request-target) digest"'},
    {"Signature": 'keyId="k",signature="AAAA",headers="(request-target) host date digest"', "Date": "yesterday"},
    {"Signature": 'keyId="k",signature="AAAA",algorithm="ed25519",headers="date digest"'},
    {"Signature": 'keyId="k",signature="AAAA",headers="(request-target) (created) digest",created="soon"'},
    {"Signature": 'keyId="k",signature="AAAA",headers="date digest"', "Date": "Wed, 25 Nov 2026 12:00:00 GMT"},
    {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");created="x";keyid="k"',
     "Signature": "sig1=:AAAA:", "Content-Digest": "sha-256=:AAAA:"},
    {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");created=1', "Signature": "sig1=:AAAA:"},
    {"Signature-Input": 'sig1=("@method");created=1;keyid="k";alg="hmac-sha256"', "Signature": "sig1=:AAAA:"},
    {"Signature-Input": 'sig1=("@method" "@target-uri" "content-digest");created=1;keyid="k"',
     "Signature": "sig2=:AAAA:"},
])
def test_malformed_signatures_are_signature_errors(headers: dict[str, str]) -> None:
    """Whatever a sender puts in these headers, the answer is a SignatureError (401), never a crash."""
    with pytest.raises(SignatureError):
        parse_request_signature(incoming("POST", INBOX, headers, BODY), now=NOW)
