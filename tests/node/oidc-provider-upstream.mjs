// oidc-provider (npm, panva's OpenID-certified reference provider) as the upstream identity provider of the
// federation tests (tests/wire/test_federation_oidc_provider.py): a real third-party OpenID Provider that
// userpools discovers from its issuer, sends the browser to, and redeems codes at. Its own sign-in and consent
// pages (devInteractions) are what the browser sees; in memory, one Node process.
//
//   node tests/node/oidc-provider-upstream.mjs '{"port": 9100, "client": {...}, "accounts": {...}}'
//
// The argument: port; client: client_id, client_secret, redirect_uris (the broker's /oauth2/idpresponse);
// accounts: login → claims (the login is the subject; devInteractions takes any password). Prints one line,
// `{"issuer": "http://127.0.0.1:<port>"}`, once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'upstream-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client.client_id,
    client_secret: config.client.client_secret,
    redirect_uris: config.client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post', // the only method Cognito uses upstream
  }],
  jwks: { keys: [jwk] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'locale'],
  },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;

const server = createServer(provider.callback());
server.listen(config.port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
