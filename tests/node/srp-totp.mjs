// Software-token MFA with amazon-cognito-identity-js, as a browser app does it:
//   node srp-totp.mjs '{"endpoint": "...", "poolId": "...", "clientId": "...", "username": "...",
//                       "password": "...", "serverTime": <epoch seconds of the server's frozen clock>}'
// 1. USER_SRP_AUTH sign-in (no MFA yet); associateSoftwareToken; verifySoftwareToken with the code of the
//    current step; setUserMfaPreference (TOTP enabled and preferred).
// 2. A new USER_SRP_AUTH sign-in: totpRequired, answered by sendMFACode with the next step's code (the
//    current one was used by the verification).
// The authenticator is RFC 6238 on node:crypto (SHA-1, 6 digits, 30 s); the Python test checks its codes
// against pyotp. Prints the secret, the codes, the calls ACIJ made and the tokens.
import { createHmac } from "node:crypto";
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { run, traceFetch } from "./lib.mjs";

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "")) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, "0");
}

function signIn(pool, args, callbacks) {
  const user = new CognitoUser({ Username: args.username, Pool: pool });
  const details = new AuthenticationDetails({ Username: args.username, Password: args.password });
  user.authenticateUser(details, callbacks(user));
  return user;
}

run(async (args) => {
  const calls = traceFetch();
  const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint });
  const step = Math.floor(args.serverTime / 30);
  const result = { calls, codes: [] };

  const first = await new Promise((resolve, reject) => {
    const user = signIn(pool, args, () => ({ onSuccess: () => resolve(user), onFailure: reject }));
  });
  result.secret = await new Promise((resolve, reject) => first.associateSoftwareToken({
    associateSecretCode: resolve, onFailure: reject,
  }));
  const verifyCode = totp(result.secret, step);
  result.codes.push({ step, code: verifyCode });
  await new Promise((resolve, reject) => first.verifySoftwareToken(verifyCode, "node", {
    onSuccess: resolve, onFailure: reject,
  }));
  await new Promise((resolve, reject) => first.setUserMfaPreference(null, { Enabled: true, PreferredMfa: true },
    (err, ok) => (err ? reject(err) : resolve(ok))));

  const session = await new Promise((resolve, reject) => {
    signIn(pool, args, (user) => ({
      onSuccess: resolve,
      onFailure: reject,
      totpRequired: (name) => {
        result.challenge = name;
        const code = totp(result.secret, step + 1);
        result.codes.push({ step: step + 1, code });
        user.sendMFACode(code, { onSuccess: resolve, onFailure: reject }, "SOFTWARE_TOKEN_MFA");
      },
      mfaRequired: (name) => reject(Object.assign(new Error(`unexpected ${name}`), { name: "UnexpectedChallenge" })),
    }));
  });
  result.accessPayload = session.getAccessToken().decodePayload();
  result.valid = session.isValid();
  return result;
});
