"""Bearer tokens checked against an issuer's JWKS served over real HTTP on 127.0.0.1, with keys
the tests generate: every way a token can be wrong is refused with the reason a client is told."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.auth.bearer import BearerAuthentication
from gateway.auth.dev_issuer import LocalIssuer, SigningKey
from gateway.settings import Settings
from schema.access import Caller
from schema.errors import Unauthenticated
from schema.limits import MAX_TOKEN_CHARS
from tests.auth import Clock, authentication, claims, sign_any, with_issuer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checking(issuer: LocalIssuer, clock: Clock) -> BearerAuthentication:
    return authentication(with_issuer(Settings(), issuer), clock)


@pytest.fixture
def identify(checking: BearerAuthentication) -> Callable[[str], Caller]:
    return lambda token: checking.identify([f"Bearer {token}"])


def refusal(identify: Callable[[str], Caller], token: str) -> str:
    with pytest.raises(Unauthenticated) as refused:
        identify(token)
    assert refused.value.error == "invalid_token"
    return refused.value.description


def test_a_valid_token_names_its_subject_and_scopes(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    caller = identify(issuer.token("user-42", ["events:read", "profile"]))
    assert caller == Caller(subject="user-42", scopes=frozenset({"events:read", "profile"}))


def test_es256_tokens_are_accepted_like_rs256(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    ec_key = SigningKey.generate("ES256")
    issuer.keys.append(ec_key)
    assert identify(issuer.token("user-ec", key=ec_key)).subject == "user-ec"


# Markers for times relative to the test's own clock reading (see the test below).
EXPIRED, IN_FIVE_MINUTES = "<120 s ago>", "<in 300 s>"
RELATIVE = {EXPIRED: -120, IN_FIVE_MINUTES: 300}


@pytest.mark.parametrize(
    ("overrides", "told"),
    [
        ({"exp": EXPIRED}, "The token has expired."),
        (
            {"nbf": IN_FIVE_MINUTES},
            "The token is not valid yet (nbf or iat is in the future).",
        ),
        (
            {"iat": IN_FIVE_MINUTES},
            "The token is not valid yet (nbf or iat is in the future).",
        ),
        ({"aud": "another-api"}, "The token is for another audience."),
        ({"aud": ["another-api", "a-third"]}, "The token is for another audience."),
        ({"aud": None, "client_id": "another-client"}, "The token is for another audience."),
        ({"aud": None}, "The token is for another audience."),
        ({"iss": "https://issuer.example.com"}, "The token is from another issuer."),
        ({"sub": None}, "The token has no sub claim."),
        ({"sub": ""}, "The token's sub claim is empty."),
        ({"exp": None}, "The token has no exp claim."),
        ({"exp": "tomorrow"}, "The token's claims are malformed."),
    ],
)
def test_claims_outside_the_rules_are_refused_with_the_reason(
    identify: Callable[[str], Caller], issuer: LocalIssuer, overrides: dict[str, Any], told: str
) -> None:
    # Times are relative to when the test runs, not to when the module was collected: a long
    # suite would otherwise turn "in five minutes" into the past.
    now = int(time.time())
    overrides = {
        name: now + RELATIVE[value] if isinstance(value, str) and value in RELATIVE else value
        for name, value in overrides.items()
    }
    assert refusal(identify, issuer.sign(claims(issuer, **overrides))) == told


def test_a_minute_of_clock_skew_is_tolerated(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    now = int(time.time())
    token = issuer.sign(claims(issuer, exp=now - 30, nbf=now + 30, iat=now + 30))
    assert identify(token).subject == "user-42"


def test_audience_lists_and_cognito_client_ids_are_matched(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    listed = issuer.sign(claims(issuer, aud=["another-api", issuer.audience]))
    assert identify(listed).subject == "user-42"
    # Cognito's access tokens carry no aud, but the app client's id (as API Gateway accepts).
    cognito = issuer.sign(claims(issuer, aud=None, client_id=issuer.audience))
    assert identify(cognito).subject == "user-42"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_alg_none_is_refused(identify: Callable[[str], Caller], issuer: LocalIssuer) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": issuer.keys[0].kid}
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims(issuer)).encode())}."
    # `Bearer xxx.yyy.` is a well-formed header; the token itself is refused.
    assert refusal(identify, token) == "The token must be signed with RS256 or ES256."


def test_hs256_signed_with_the_public_key_is_refused(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    """The classic confusion: the issuer's public key, used as an HMAC secret."""
    public_pem = (
        issuer.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.keys[0].kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims(issuer)).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert refusal(identify, f"{signing_input}.{b64(mac)}") == (
        "The token must be signed with RS256 or ES256."
    )


def test_a_tampered_payload_does_not_verify(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    header, _, signature = issuer.token("user-42").split(".")
    forged = b64(json.dumps(claims(issuer, subject="user-7")).encode())
    assert refusal(identify, f"{header}.{forged}.{signature}") == (
        "The token's signature does not verify."
    )


def test_an_rsa_key_cannot_be_passed_off_as_ec(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    """A token naming the RSA key's kid but claiming ES256 is refused before any verification."""
    ec_key = SigningKey.generate("ES256")
    impostor = SigningKey(issuer.keys[0].kid, "ES256", ec_key.private)
    assert refusal(identify, issuer.sign(claims(issuer), key=impostor)) == (
        "The token's alg is not its signing key's algorithm."
    )


def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    stranger = SigningKey.generate("RS256")
    assert refusal(identify, issuer.token("user-42", key=stranger)) == (
        "The token's signing key (kid) is not one the issuer publishes."
    )
    same_kid = SigningKey(issuer.keys[0].kid, "RS256", stranger.private)
    assert refusal(identify, issuer.token("user-42", key=same_kid)) == (
        "The token's signature does not verify."
    )


@pytest.mark.parametrize(
    ("header", "told"),
    [
        ("Bearer", "The Authorization header is not Bearer followed by a token."),
        ("Bearer two words", "The Authorization header is not Bearer followed by a token."),
        ('Bearer "quoted"', "The Authorization header is not Bearer followed by a token."),
        ("Bearer a,Bearer b", "The Authorization header is not Bearer followed by a token."),
        ("Bearer not-a-jwt", "The token is not a JWT."),
        (
            "Bearer " + "a" * (MAX_TOKEN_CHARS + 1),
            f"The token is longer than {MAX_TOKEN_CHARS} characters.",
        ),
    ],
)
def test_malformed_authorization_headers_are_invalid_tokens(
    checking: BearerAuthentication, header: str, told: str
) -> None:
    with pytest.raises(Unauthenticated) as refused:
        checking.identify([header])
    assert (refused.value.error, refused.value.description) == ("invalid_token", told)


def test_an_oversized_but_validly_signed_token_is_refused_unread(
    identify: Callable[[str], Caller], issuer: LocalIssuer
) -> None:
    token = issuer.sign(claims(issuer, padding="x" * MAX_TOKEN_CHARS))
    assert refusal(identify, token) == f"The token is longer than {MAX_TOKEN_CHARS} characters."


def test_two_authorization_headers_are_refused(
    checking: BearerAuthentication, issuer: LocalIssuer
) -> None:
    token = issuer.token("user-42")
    with pytest.raises(Unauthenticated, match="Send one Authorization header"):
        checking.identify([f"Bearer {token}", f"Bearer {token}"])


@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwYXNz", "Digest username=x"])
def test_no_bearer_credentials_make_an_anonymous_caller(
    checking: BearerAuthentication, header: str | None
) -> None:
    """RFC 6750: no credentials, or another scheme, is answered without an error code."""
    caller = checking.identify([] if header is None else [header])
    assert not caller.identified
    assert isinstance(caller.refusal, Unauthenticated) and caller.refusal.error is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=5,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_signed_claims_give_the_caller_they_name_or_invalid_token(
    identify: Callable[[str], Caller], issuer: LocalIssuer, data: st.DataObject
) -> None:
    """Claims of any shape, validly signed: never an error of another kind, and a token is
    accepted only with the issuer, an audience, a subject and times that the rules ask for."""
    now = int(time.time())
    # Each claim: usually a value the rules accept (or reject on purpose), sometimes any JSON,
    # sometimes absent.
    usual = {
        "iss": st.just(issuer.url),
        "aud": st.sampled_from([issuer.audience, [issuer.audience, "x"], "x"]),
        "client_id": st.just(issuer.audience),
        "sub": st.sampled_from(["user-42", ""]),
        "exp": st.sampled_from([now + 600, now - 600]),
        "nbf": st.sampled_from([now - 600, now + 600]),
        "iat": st.sampled_from([now - 600, now + 600]),
        "scope": st.just("events:read profile"),
        "scp": st.just(["events:write"]),
    }
    claims = {}
    for name, strategy in usual.items():
        shape = data.draw(st.sampled_from(["usual", "usual", "usual", "any", "absent"]), name)
        if shape != "absent":
            claims[name] = data.draw(strategy if shape == "usual" else JSON_VALUES, name)
    try:
        caller = identify(sign_any(issuer, claims))
    except Unauthenticated as refused:
        assert refused.error == "invalid_token"
        event(f"refused: {refused.description}")
        return
    event("accepted")
    assert claims["iss"] == issuer.url
    assert isinstance(claims["sub"], str) and claims["sub"] == caller.subject != ""
    audience = claims.get("aud")
    assert (
        audience == issuer.audience
        or (isinstance(audience, list) and issuer.audience in audience)
        or ("aud" not in claims and claims.get("client_id") == issuer.audience)
    )
    assert int(str(claims["exp"])) > now - 60
    assert caller.scopes <= {"events:read", "profile", "events:write"} | {
        word for value in (claims.get("scope"), claims.get("scp")) for word in _words(value)
    }


def _words(value: object) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, list):
        return {item for item in value if isinstance(item, str)}
    return set()
