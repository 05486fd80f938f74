"""The `console:` section of the config file: sign-in through the company's identity provider
(OpenID Connect), besides console users and the admin key. It sits beside config.py, not in
console/, because the console's pages import the gateway, which imports the config.

```yaml
console:
  oidc:
    name: Acme SSO                      # the sign-in page's button: "Sign in with Acme SSO"
    issuer: https://login.acme.example  # its discovery document is <issuer>/.well-known/...
    client_id: switchgear-console
    client_secret_env: SWITCHGEAR_OIDC_CLIENT_SECRET   # empty or unset: a public client (PKCE)
    scopes: [openid, email, groups]
    name_claim: email                   # who the person is in the console and the audit log
    roles:                              # one ID-token claim, its values matched (fnmatch)
      claim: groups                     # a list or a string; `email` with "*@acme.example" too
      admin: [switchgear-admins]
      viewer: [engineering, "*@acme.example"]
    # redirect_url: https://gw.acme.example/console/oidc/callback  (default: this host's)
```
Someone whose claim matches neither list is refused; admin is checked first.
"""

from __future__ import annotations

import os
from typing import Annotated

import msgspec


class OidcRoles(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    claim: str = "groups"
    admin: list[str] = []
    viewer: list[str] = []


class OidcConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)] = "single sign-on"
    issuer: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$")]
    client_id: Annotated[str, msgspec.Meta(min_length=1)]
    client_secret_env: str = "SWITCHGEAR_OIDC_CLIENT_SECRET"
    scopes: list[str] = msgspec.field(default_factory=lambda: ["openid", "email", "profile"])
    name_claim: str = "email"
    roles: OidcRoles = msgspec.field(default_factory=OidcRoles)
    redirect_url: str | None = None

    def client_secret(self) -> str | None:
        return os.environ.get(self.client_secret_env) or None


class ConsoleConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    oidc: OidcConfig | None = None
