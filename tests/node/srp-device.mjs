// Remembered devices with amazon-cognito-identity-js: USER_SRP_AUTH + SMS MFA on a pool that tracks devices
// (ACIJ confirms the new device itself: ConfirmDevice with the verifier it computes, the device key, group key
// and random password cached in its storage), setDeviceStatusRemembered, then a second sign-in of a new
// CognitoUser that reads the cached device (getCachedDeviceKeyAndPassword), sends DEVICE_KEY and answers
// DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER instead of MFA:
//   node srp-device.mjs '{"endpoint": "...", "poolId": "...", "clientId": "...", "username": "...",
//                         "password": "...", "outbox": "<server base URL>"}'
// Prints the challenges of each sign-in, the calls ACIJ made, userConfirmationNecessary and the access tokens'
// payloads.
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { run, traceFetch } from "./lib.mjs";

const plainFetch = globalThis.fetch;

async function latestCode(args) {
  const url = `${args.outbox}/_userpools/outbox?userPoolId=${encodeURIComponent(args.poolId)}` +
    `&username=${encodeURIComponent(args.username)}`;
  const body = await (await plainFetch(url)).json();
  return body.messages[0].code;
}

function signIn(args, pool, challenges) {
  const user = new CognitoUser({ Username: args.username, Pool: pool });
  const details = new AuthenticationDetails({ Username: args.username, Password: args.password });
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session, userConfirmationNecessary) => resolve({ user, session, userConfirmationNecessary }),
      onFailure: reject,
      mfaRequired: (name, parameters) => {
        challenges.push({ name, parameters });
        latestCode(args).then((code) => user.sendMFACode(code, callbacks), reject);
      },
      totpRequired: (name) => reject(Object.assign(new Error(`unexpected ${name}`), { name: "UnexpectedChallenge" })),
    };
    user.authenticateUser(details, callbacks);
  });
}

run(async (args) => {
  const calls = traceFetch();
  const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint });
  const firstChallenges = [];
  const first = await signIn(args, pool, firstChallenges);
  const firstCalls = calls.length;
  const remembered = await new Promise((resolve, reject) => {
    first.user.setDeviceStatusRemembered({ onSuccess: resolve, onFailure: reject });
  });
  const secondChallenges = [];
  const second = await signIn(args, pool, secondChallenges);
  return {
    calls,
    firstCalls,
    firstChallenges,
    secondChallenges,
    userConfirmationNecessary: first.userConfirmationNecessary ?? null,
    remembered,
    deviceKey: first.user.deviceKey,
    secondDeviceKey: second.user.deviceKey,
    firstAccess: first.session.getAccessToken().decodePayload(),
    secondAccess: second.session.getAccessToken().decodePayload(),
    valid: second.session.isValid(),
  };
});
