// SMS MFA with amazon-cognito-identity-js after USER_SRP_AUTH:
//   node srp-sms.mjs '{"endpoint": "...", "poolId": "...", "clientId": "...", "username": "...",
//                      "password": "...", "outbox": "<server base URL>", "select": "SMS_MFA"}'   (select: optional)
// With "select", the server is expected to ask SELECT_MFA_TYPE first (selectMFAType → sendMFASelectionAnswer).
// mfaRequired is answered by sendMFACode with the code read from the server's development outbox (the SMS
// the user would receive). Prints the challenges seen, their parameters, the calls ACIJ made and the tokens.
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { run, traceFetch } from "./lib.mjs";

const plainFetch = globalThis.fetch;

async function latestCode(args) {
  const url = `${args.outbox}/_userpools/outbox?userPoolId=${encodeURIComponent(args.poolId)}` +
    `&username=${encodeURIComponent(args.username)}`;
  const body = await (await plainFetch(url)).json();
  return body.messages[0].code;
}

run(async (args) => {
  const calls = traceFetch();
  const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint });
  const user = new CognitoUser({ Username: args.username, Pool: pool });
  const details = new AuthenticationDetails({ Username: args.username, Password: args.password });
  const challenges = [];
  const session = await new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: resolve,
      onFailure: reject,
      selectMFAType: (name, parameters) => {
        challenges.push({ name, parameters });
        user.sendMFASelectionAnswer(args.select, callbacks);
      },
      mfaRequired: (name, parameters) => {
        challenges.push({ name, parameters });
        latestCode(args).then((code) => user.sendMFACode(code, callbacks), reject);
      },
      totpRequired: (name) => reject(Object.assign(new Error(`unexpected ${name}`), { name: "UnexpectedChallenge" })),
    };
    user.authenticateUser(details, callbacks);
  });
  return { calls, challenges, valid: session.isValid(), accessPayload: session.getAccessToken().decodePayload() };
});
