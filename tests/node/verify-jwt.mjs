// aws-jwt-verify against tokens the server issued:
//   node verify-jwt.mjs '{"mode": "cognito" | "generic", "userPoolId": "...", "clientId": "...",
//                         "jwksUri": "http://127.0.0.1:9229/<poolId>/.well-known/jwks.json",
//                         "issuer": "http://127.0.0.1:9229/<poolId>",          (generic mode)
//                         "tokens": [{"token": "...", "tokenUse": "id" | "access"}, ...]}'
//
// mode "cognito": CognitoJwtVerifier, which only knows AWS's issuer and JWKS host, so it is for a server
//   run with --aws-issuer. The JWKS is fetched from our server by this script and preloaded with
//   cacheJwks(); the verifier's own fetcher is replaced by one that refuses, so nothing goes to AWS.
// mode "generic": JwtVerifier with our issuer and jwksUri (audience null: Cognito's access tokens have no
//   aud) and Cognito's token_use / client_id checks in customJwtCheck. Its built-in fetcher speaks only
//   https (node:https), so the JWKS is fetched with Node's fetch through a custom fetcher.
// Prints one result per token; exits 1 (error = the first failure) if any token did not verify.
import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import { validateCognitoJwtFields } from "aws-jwt-verify/cognito-verifier";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { describeError, run } from "./lib.mjs";

const refusingFetcher = {
  fetch: async (uri) => {
    throw Object.assign(new Error(`refusing to fetch ${uri}: the JWKS must come from cacheJwks()`), { name: "RefusedFetch" });
  },
};

const plainHttpFetcher = {
  fetch: async (uri) => {
    const response = await fetch(uri);
    if (response.status !== 200) throw new Error(`GET ${uri}: status ${response.status}`);
    return response.arrayBuffer();
  },
};

async function fetchJwks(uri) {
  const response = await fetch(uri);
  if (response.status !== 200) throw new Error(`GET ${uri}: status ${response.status}`);
  return response.json();
}

run(async (args) => {
  const verifiers = {};
  let issuer;
  if (args.mode === "cognito") {
    issuer = CognitoJwtVerifier.parseUserPoolId(args.userPoolId).issuer;
    const jwks = await fetchJwks(args.jwksUri);
    for (const tokenUse of ["id", "access"]) {
      const verifier = CognitoJwtVerifier.create(
        { userPoolId: args.userPoolId, tokenUse, clientId: args.clientId },
        { jwksCache: new SimpleJwksCache({ fetcher: refusingFetcher }) },
      );
      verifier.cacheJwks(jwks); // under both AWS issuer forms of this pool
      verifiers[tokenUse] = verifier;
    }
  } else if (args.mode === "generic") {
    issuer = args.issuer;
    for (const tokenUse of ["id", "access"]) {
      verifiers[tokenUse] = JwtVerifier.create(
        {
          issuer: args.issuer,
          audience: null,
          jwksUri: args.jwksUri,
          customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse, clientId: args.clientId }),
        },
        { jwksCache: new SimpleJwksCache({ fetcher: plainHttpFetcher }) },
      );
    }
  } else {
    throw Object.assign(new Error(`unknown mode ${args.mode}`), { name: "BadArgument" });
  }

  const results = [];
  for (const { token, tokenUse } of args.tokens) {
    try {
      const payload = await verifiers[tokenUse].verify(token);
      results.push({ tokenUse, ok: true, payload });
    } catch (err) {
      results.push({ tokenUse, ok: false, error: describeError(err) });
    }
  }
  const failed = results.find((r) => !r.ok);
  if (failed) {
    throw Object.assign(new Error(failed.error.message), { name: failed.error.name, partial: { issuer, results } });
  }
  return { issuer, results };
});
