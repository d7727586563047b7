"""OAuth endpoints for client apps: /api/v1/apps, /oauth/authorize, /oauth/token, /oauth/revoke
and the RFC 8414 metadata document. Thin: every decision is in services/oauth.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from ..services import oauth
from ..timeutil import utcnow
from .auth import current_account
from .csrf import check_csrf
from .params import params

blueprint = Blueprint("oauth", __name__)


def _runtime():  # type: ignore[no-untyped-def]
    return current_app.extensions["runtime"]


@blueprint.errorhandler(oauth.OAuthError)
async def oauth_error(exc: oauth.OAuthError) -> Response:
    """RFC 6749 error bodies, which clients show to people."""
    if request.path.startswith("/oauth/authorize"):
        html = await render_template("error.html", status=exc.status, message=exc.message)
        return Response(html, status=exc.status, content_type="text/html")
    response = jsonify({"error": exc.code, "error_description": exc.message})
    response.status_code = exc.status
    return response


def application_entity(app: Any, client_secret: str | None = None) -> dict[str, Any]:
    uris = app.redirect_uris.split("\n")
    entity: dict[str, Any] = {
        "id": str(app.id), "name": app.name, "website": app.website, "scopes": app.scopes.split(),
        "redirect_uri": " ".join(uris), "redirect_uris": uris, "vapid_key": "",
    }
    if client_secret is not None:
        entity |= {"client_id": app.client_id, "client_secret": client_secret, "client_secret_expires_at": 0}
    return entity


@blueprint.post("/api/v1/apps")
async def create_app() -> Response:
    p = await params()
    async with _runtime().db.transaction() as session:
        registered = await oauth.register_app(
            session, name=p.get("client_name"), redirect_uris=p.get("redirect_uris"), scopes=p.get("scopes"),
            website=p.get("website"),
        )
    return jsonify(application_entity(registered.app, registered.client_secret))


@blueprint.get("/oauth/authorize")
async def authorize_form() -> WerkzeugResponse | str:
    args = request.args
    async with _runtime().db.session() as session:
        app = await oauth.find_app(session, args.get("client_id"))
    scopes = oauth.check_authorization_request(app, args.get("redirect_uri"), args.get("scope"),
                                               args.get("response_type"))
    signed_in = await current_account()
    if signed_in is None or args.get("force_login") in ("true", "1"):
        return redirect("/auth/sign_in?" + urlencode({"next": request.full_path.replace("force_login=", "_fl=")}))
    return await render_template("authorize.html", app=app, scopes=scopes, account=signed_in[1], args=args)


@blueprint.post("/oauth/authorize")
async def authorize() -> WerkzeugResponse | str:
    await check_csrf()
    form = await request.form
    signed_in = await current_account()
    if signed_in is None:
        return redirect("/auth/sign_in")
    redirect_uri = form.get("redirect_uri", "")
    async with _runtime().db.transaction() as session:
        app = await oauth.find_app(session, form.get("client_id"))
        scopes = oauth.check_authorization_request(app, redirect_uri, form.get("scope"), "code")
        state = {"state": form["state"]} if form.get("state") else {}
        if form.get("decision") != "approve":
            return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}"
                            + urlencode({"error": "access_denied"} | state))
        code = await oauth.issue_code(session, app, signed_in[0], scopes=scopes, redirect_uri=redirect_uri,
                                      code_challenge=form.get("code_challenge") or None,
                                      code_challenge_method=form.get("code_challenge_method") or None)
    if redirect_uri == oauth.OOB_URI:
        return await render_template("authorize_code.html", app=app, code=code)
    return redirect(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}" + urlencode({"code": code} | state))


def token_entity(issued: oauth.IssuedToken) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": issued.access_token, "token_type": "Bearer", "scope": issued.token.scopes,
        "created_at": int((issued.token.created_at or utcnow()).timestamp()),
    }
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    return body


def _client_credentials(p: dict[str, Any]) -> tuple[str | None, str | None]:
    """client_id/secret from the body, or HTTP Basic (RFC 6749 section 2.3.1)."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return p.get("client_id"), p.get("client_secret")


@blueprint.post("/oauth/token")
async def token() -> Response:
    p = await params()
    grant = p.get("grant_type")
    async with _runtime().db.transaction() as session:
        client_id, secret = _client_credentials(p)
        if grant == "authorization_code" and not secret:
            app = await oauth.find_app(session, client_id)  # a public client proves itself with PKCE
        else:
            app = await oauth.authenticate_client(session, client_id, secret)
        match grant:
            case "authorization_code":
                issued = await oauth.exchange_code(session, app, code=p.get("code"),
                                                   redirect_uri=p.get("redirect_uri"),
                                                   code_verifier=p.get("code_verifier"))
            case "client_credentials":
                issued = await oauth.client_credentials(session, app, p.get("scope"))
            case "password":
                issued = await oauth.password_grant(session, app, username=p.get("username"),
                                                    password=p.get("password"), scope=p.get("scope"))
            case "refresh_token":
                issued = await oauth.refresh(session, app, p.get("refresh_token"))
            case _:
                raise oauth.OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")
    response = jsonify(token_entity(issued))
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/oauth/revoke")
async def revoke() -> Response:
    p = await params()
    async with _runtime().db.transaction() as session:
        client_id, secret = _client_credentials(p)
        app = await oauth.authenticate_client(session, client_id, secret)
        await oauth.revoke(session, app, p.get("token"))
    return jsonify({})


@blueprint.get("/.well-known/oauth-authorization-server")
async def metadata() -> Response:
    base = _runtime().settings.instance.base_url
    return jsonify({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": sorted(oauth.known_scopes()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    })
