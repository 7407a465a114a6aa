// openid-client (panva, v6) against a pool's domain, found through OIDC discovery from the pool's issuer, on
// plain http to loopback (its allowInsecureRequests execute option). There is no browser here, so the flow
// is two invocations with the sign-in between them, done by the Python test on the hosted /login form:
//
//   node openid-client.mjs '{"step": "start", "issuer": "http://127.0.0.1:PORT/<poolId>", "clientId": "...",
//                            "clientSecret": "..." (confidential clients only), "redirectUri": "...",
//                            "scope": "openid email profile"}'
//     → {"authorizationUrl", "codeVerifier", "state", "nonce", "metadata": {the discovered endpoints}}
//
//   node openid-client.mjs '{"step": "finish", ...the same..., "callbackUrl": "<redirect with ?code=&state=>",
//                            "codeVerifier": "...", "state": "...", "nonce": "...", "tamperIdToken": false}'
//     → authorizationCodeGrant (PKCE verifier, state and nonce checked; the ID token's signature checked
//       against the pool's JWKS by enableNonRepudiationChecks), fetchUserInfo (sub checked against the ID
//       token's), refreshTokenGrant, tokenRevocation of the refresh token, then a refreshTokenGrant that
//       must fail. Prints what each step returned, and every HTTP request the library made.
//
// "tamperIdToken": true changes the ID token's payload in the token response (signature kept) before the
// library sees it: authorizationCodeGrant must then refuse it, which shows the signature is checked.
import * as client from "openid-client";
import { decodeJwtPayload, describeError, run } from "./lib.mjs";

function tamperedTokenResponse(body) {
  const parsed = JSON.parse(body);
  const [header, payload, signature] = parsed.id_token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  claims.email = "mallory@example.com";
  parsed.id_token = [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
  return JSON.stringify(parsed);
}

// Every request the library makes goes through this fetch: recorded (method, path, status).
function tracingFetch(requests, { tamperIdToken }) {
  return async (url, options) => {
    const response = await fetch(url, options);
    const path = new URL(url).pathname;
    requests.push({ method: options?.method ?? "GET", path, status: response.status });
    if (tamperIdToken && path.endsWith("/oauth2/token") && response.status === 200) {
      const body = tamperedTokenResponse(await response.text());
      return new Response(body, { status: response.status, headers: response.headers });
    }
    return response;
  };
}

async function configure(args, requests) {
  const auth = args.clientSecret ? client.ClientSecretBasic(args.clientSecret) : client.None();
  return client.discovery(new URL(args.issuer), args.clientId, undefined, auth, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    [client.customFetch]: tracingFetch(requests, { tamperIdToken: Boolean(args.tamperIdToken) }),
  });
}

async function start(args, requests) {
  const config = await configure(args, requests);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: args.redirectUri,
    scope: args.scope,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  const metadata = config.serverMetadata();
  return {
    authorizationUrl: url.href, codeVerifier, state, nonce, requests,
    metadata: {
      issuer: metadata.issuer, authorization_endpoint: metadata.authorization_endpoint,
      token_endpoint: metadata.token_endpoint, userinfo_endpoint: metadata.userinfo_endpoint,
      revocation_endpoint: metadata.revocation_endpoint, jwks_uri: metadata.jwks_uri,
    },
  };
}

function openidError(err) {
  // openid-client's ResponseBodyError carries the OAuth error and the HTTP status.
  const out = describeError(err);
  if (err?.error !== undefined) out.error = err.error;
  if (err?.error_description !== undefined) out.error_description = err.error_description;
  if (err?.status !== undefined) out.status = err.status;
  // a ClientError wraps what oauth4webapi found wrong (e.g. the JWS signature) as its cause
  if (err?.cause instanceof Error) out.cause = { name: err.cause.name, code: err.cause.code, message: err.cause.message };
  return out;
}

async function finish(args, requests) {
  const config = await configure(args, requests);
  const partial = { requests };
  const fail = (step, err) => {
    throw Object.assign(new Error(err?.message ?? String(err)), {
      name: err?.name ?? "Error", code: err?.code, step, partial: { ...partial, cause: openidError(err) },
    });
  };

  let tokens;
  try {
    tokens = await client.authorizationCodeGrant(config, new URL(args.callbackUrl), {
      pkceCodeVerifier: args.codeVerifier, expectedState: args.state, expectedNonce: args.nonce,
      idTokenExpected: true,
    });
  } catch (err) {
    fail("authorizationCodeGrant", err);
  }
  const claims = tokens.claims();
  partial.idTokenClaims = claims;
  partial.token = {
    token_type: tokens.token_type, expires_in: tokens.expires_in, has_refresh_token: Boolean(tokens.refresh_token),
    access_token_claims: decodeJwtPayload(tokens.access_token),
  };

  try {
    partial.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  } catch (err) {
    fail("fetchUserInfo", err);
  }

  let refreshed;
  try {
    refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  } catch (err) {
    fail("refreshTokenGrant", err);
  }
  partial.refreshed = {
    new_access_token: refreshed.access_token !== tokens.access_token,
    id_token_sub: refreshed.claims()?.sub ?? null,
    access_token_claims: decodeJwtPayload(refreshed.access_token),
  };

  try {
    await client.tokenRevocation(config, tokens.refresh_token, { token_type_hint: "refresh_token" });
  } catch (err) {
    fail("tokenRevocation", err);
  }
  partial.revoked = true;

  try {
    await client.refreshTokenGrant(config, tokens.refresh_token);
    partial.refreshAfterRevocation = { ok: true };
  } catch (err) {
    partial.refreshAfterRevocation = { ok: false, ...openidError(err) };
  }
  return partial;
}

run(async (args) => {
  const requests = [];
  if (args.step === "start") return start(args, requests);
  if (args.step === "finish") return finish(args, requests);
  throw Object.assign(new Error(`unknown step ${args.step}`), { name: "BadArgument" });
});
