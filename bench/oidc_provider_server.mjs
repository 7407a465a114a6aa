// oidc-provider (npm, the OpenID-certified reference provider) set up for `make bench`'s client_credentials
// scenario: one confidential client, and a resource server whose access tokens are RS256 JWTs (the form
// userpools issues). In memory (its default adapter), one Node process.
//
//   PORT=9000 OIDC_PROVIDER_HOME=bench/.others/oidc-provider node bench/oidc_provider_server.mjs
//
// The client, its secret, the scope and the resource are the fixed values bench/oauth.py's OIDC_PROVIDER
// fixtures send. Health: GET /.well-known/openid-configuration.
import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const home = resolve(process.env.OIDC_PROVIDER_HOME || new URL('.others/oidc-provider', import.meta.url).pathname);
const { default: Provider } = await import(pathToFileURL(`${home}/node_modules/oidc-provider/lib/index.js`).href);

const port = Number(process.env.PORT || 9000);
const issuer = `http://127.0.0.1:${port}`;
const RESOURCE = 'urn:bench:api';
const SCOPE = 'api:read';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench-client',
    client_secret: 'bench-client-secret-0123456789abcdef',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  scopes: [SCOPE],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: SCOPE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer}`);
});
