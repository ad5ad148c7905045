"""Where the client's access token comes from: a fixed token, or OAuth2 client credentials.

With client credentials the client asks the platform's token endpoint (``POST /oauth/token``,
``grant_type=client_credentials``, the client authenticated with HTTP Basic as RFC 6749 §2.3.1
describes) the first time it needs a token, keeps the token, and asks again shortly before it
expires: a quarter of its lifetime early, at most a minute. If the API still refuses a token as
invalid (revoked, or the platform's signing keys were replaced), the client forgets it and asks
once more within the same call.

This module keeps the state and builds the requests; the engines send them, so that the token
request gets the same retries and error translation as every other call.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

__all__ = ["ClientCredentials", "StaticToken", "TokenRequest"]


@dataclass(frozen=True)
class TokenRequest:
    """A request to the token endpoint: form fields and headers."""

    url: str
    form: Mapping[str, str]
    headers: Mapping[str, str]


class StaticToken:
    """A token the caller obtained elsewhere (e.g. a member's token from the code flow); never renewed."""

    refreshable = False

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("access_token must not be empty")
        self._token = token

    def cached(self, now: float) -> str:
        return self._token

    def forget(self, token: str) -> None:
        """A fixed token cannot be renewed; the caller gets the 401."""


class ClientCredentials:
    """The OAuth2 client-credentials grant, with the token cached until shortly before it expires."""

    refreshable = True

    def __init__(
        self, token_url: str, client_id: str, client_secret: str, scopes: Sequence[str] | None = None
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret must both be given")
        if isinstance(scopes, str):
            raise TypeError("scopes must be a list of scope names, e.g. ['tenant:read']")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scopes = tuple(scopes) if scopes is not None else None
        self._token: str | None = None
        self._renew_at = 0.0

    def cached(self, now: float) -> str | None:
        """The cached token, or ``None`` when there is none or it is about to expire."""
        if self._token is not None and now < self._renew_at:
            return self._token
        return None

    def token_request(self) -> TokenRequest:
        form = {"grant_type": "client_credentials"}
        if self.scopes is not None:
            form["scope"] = " ".join(self.scopes)
        pair = f"{quote(self.client_id, safe='')}:{quote(self._client_secret, safe='')}"
        basic = base64.b64encode(pair.encode()).decode()
        return TokenRequest(self.token_url, form, {"Authorization": f"Basic {basic}"})

    def store(self, payload: Any, now: float) -> str:
        """Keep the token of a successful token response; returns it."""
        if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
            raise ValueError("the token endpoint answered without an access_token")
        lifetime = payload.get("expires_in")
        lifetime = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 300.0
        self._token = payload["access_token"]
        self._renew_at = now + lifetime - min(60.0, lifetime / 4)
        return self._token

    def forget(self, token: str) -> None:
        """Drop ``token`` if it is still the cached one (another thread may have renewed it already)."""
        if self._token == token:
            self._token = None

    def __repr__(self) -> str:
        return (
            f"ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"scopes={self.scopes!r})"
        )
