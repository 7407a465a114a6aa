// USER_SRP_AUTH with amazon-cognito-identity-js, the way a browser app signs in:
//   node srp-sign-in.mjs '{"endpoint": "http://127.0.0.1:9229/", "poolId": "...", "clientId": "...",
//                          "username": "...", "password": "...", "newPassword": "...",   (optional)
//                          "refresh": true, "getUser": true, "globalSignOut": true}'   (optional steps)
// Prints the tokens, their decoded headers/payloads, and the Cognito calls ACIJ made.
//
// Node 20 needs no shim: ACIJ imports isomorphic-unfetch, which keeps Node's global fetch, and finds
// globalThis.crypto.getRandomValues (Web Crypto, global since Node 19) for its random SRP `a`.
import { AuthenticationDetails, CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { decodeJwtHeader, decodeJwtPayload, run, traceFetch } from "./lib.mjs";

function describeSession(session) {
  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();
  return {
    idToken,
    accessToken,
    refreshToken: session.getRefreshToken().getToken(),
    idHeader: decodeJwtHeader(idToken),
    accessHeader: decodeJwtHeader(accessToken),
    idPayload: session.getIdToken().decodePayload(),
    accessPayload: session.getAccessToken().decodePayload(),
    valid: session.isValid(),
  };
}

function step(name, promise) {
  return promise.catch((err) => {
    if (err && typeof err === "object") err.step = name;
    throw err;
  });
}

run(async (args) => {
  const calls = traceFetch();
  const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint });
  const user = new CognitoUser({ Username: args.username, Pool: pool });
  const details = new AuthenticationDetails({ Username: args.username, Password: args.password });
  const challenges = [];
  const result = { authenticationFlowType: user.getAuthenticationFlowType(), calls, challenges };
  try {
    const session = await step("authenticateUser", new Promise((resolve, reject) => {
      const callbacks = {
        onSuccess: (session) => resolve(session),
        onFailure: (err) => reject(err),
        newPasswordRequired: (userAttributes, requiredAttributes) => {
          challenges.push({ name: "NEW_PASSWORD_REQUIRED", userAttributes, requiredAttributes });
          if (!args.newPassword) {
            const err = new Error("the server asked for a new password and none was given");
            err.name = err.code = "NewPasswordRequired";
            reject(err);
            return;
          }
          user.completeNewPasswordChallenge(args.newPassword, args.newAttributes ?? {}, callbacks);
        },
        mfaRequired: (name) => reject(Object.assign(new Error(`unexpected challenge ${name}`), { name: "UnexpectedChallenge" })),
        totpRequired: (name) => reject(Object.assign(new Error(`unexpected challenge ${name}`), { name: "UnexpectedChallenge" })),
        selectMFAType: (name) => reject(Object.assign(new Error(`unexpected challenge ${name}`), { name: "UnexpectedChallenge" })),
        mfaSetup: (name) => reject(Object.assign(new Error(`unexpected challenge ${name}`), { name: "UnexpectedChallenge" })),
        customChallenge: () => reject(Object.assign(new Error("unexpected CUSTOM_CHALLENGE"), { name: "UnexpectedChallenge" })),
      };
      user.authenticateUser(details, callbacks);
    }));
    result.session = describeSession(session);
    result.username = user.getUsername();

    if (args.getUser) {
      result.userAttributes = await step("getUserAttributes", new Promise((resolve, reject) =>
        user.getUserAttributes((err, attributes) => (err ? reject(err) : resolve(
          Object.fromEntries(attributes.map((a) => [a.getName(), a.getValue()])))))));
    }
    if (args.refresh) {
      const refreshed = await step("refreshSession", new Promise((resolve, reject) =>
        user.refreshSession(session.getRefreshToken(), (err, s) => (err ? reject(err) : resolve(s)))));
      result.refreshed = describeSession(refreshed);
    }
    if (args.globalSignOut) {
      await step("globalSignOut", new Promise((resolve, reject) =>
        user.globalSignOut({ onSuccess: resolve, onFailure: reject })));
      result.signedOut = true;
    }
    return result;
  } catch (err) {
    if (err && typeof err === "object") err.partial = { calls, challenges };
    throw err;
  }
});
