"""An agent's browser for the tests: signs in and answers the consent page over real HTTP.

It uses ``requests`` only (cookies, forms, redirects), reading the CSRF token from the HTML the
way a browser would submit it, so the pages are tested as served, not through Flask internals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Redirect:
    """Where the authorization server sent the browser back to the application."""

    location: str

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.location).query).items()}


class AgentBrowser:
    def __init__(self) -> None:
        self.http = requests.Session()
        self.last_page = ""

    def close(self) -> None:
        self.http.close()

    def _csrf(self, html: str) -> str:
        match = _CSRF.search(html)
        assert match, f"no CSRF token in the page:\n{html[:2000]}"
        return match.group(1)

    def open(self, authorize_url: str) -> requests.Response:
        resp = self.http.get(authorize_url, allow_redirects=False)
        self.last_page = resp.text
        return resp

    def sign_in(self, authorize_url: str, *, workspace: str, email: str, password: str) -> requests.Response:
        """Open the authorization URL and submit the sign-in form; returns the consent page."""
        page = self.open(authorize_url)
        assert page.status_code == 200, page.text
        resp = self.http.post(
            authorize_url,
            data={
                "csrf_token": self._csrf(page.text),
                "action": "sign_in",
                "workspace": workspace,
                "email": email,
                "password": password,
            },
        )
        self.last_page = resp.text
        return resp

    def decide(self, authorize_url: str, action: str = "allow") -> Redirect:
        """Press Allow (or Deny) on the consent page; returns the redirect to the application."""
        page = self.open(authorize_url)
        assert page.status_code == 200, page.text
        resp = self.http.post(
            authorize_url, data={"csrf_token": self._csrf(page.text), "action": action}, allow_redirects=False
        )
        assert resp.status_code == 302, resp.text
        return Redirect(resp.headers["Location"])

    def authorize(self, authorize_url: str, *, workspace: str, email: str, password: str) -> Redirect:
        consent = self.sign_in(authorize_url, workspace=workspace, email=email, password=password)
        assert consent.status_code == 200, consent.text
        return self.decide(authorize_url)
