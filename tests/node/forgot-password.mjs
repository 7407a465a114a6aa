// Account recovery with amazon-cognito-identity-js, the way a browser app's "forgot password" screen does it:
//   node forgot-password.mjs '{"endpoint": "http://127.0.0.1:9229/", "poolId": "...", "clientId": "...",
//                              "username": "..."}'
//     runs CognitoUser.forgotPassword (ForgotPassword) and prints the CodeDeliveryDetails it got;
//   node forgot-password.mjs '{..., "code": "123456", "newPassword": "..."}'
//     runs CognitoUser.confirmPassword (ConfirmForgotPassword) with the code the user typed.
// Prints which callback ACIJ called, its data, and the Cognito calls ACIJ made (with the request's field names,
// so a test can see that no SecretHash went out: ACIJ has no client-secret support).
import { CognitoUser, CognitoUserPool } from "amazon-cognito-identity-js";
import { run, traceFetch } from "./lib.mjs";

// The field names of each request body, in call order (lib.mjs's trace keeps targets and statuses).
function traceRequestFields() {
  const fields = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (url, options = {}) => {
    let body = {};
    try { body = JSON.parse(options.body ?? "{}"); } catch { /* not JSON */ }
    fields.push(Object.keys(body).sort());
    return original(url, options);
  };
  return fields;
}

function forgotPassword(user, clientMetadata) {
  return new Promise((resolve, reject) => {
    user.forgotPassword({
      onSuccess: (data) => resolve({ callback: "onSuccess", data }),
      onFailure: (err) => reject(Object.assign(err ?? {}, { step: "forgotPassword" })),
      inputVerificationCode: (data) => resolve({ callback: "inputVerificationCode", data }),
    }, clientMetadata);
  });
}

function confirmPassword(user, code, newPassword, clientMetadata) {
  return new Promise((resolve, reject) => {
    user.confirmPassword(code, newPassword, {
      onSuccess: (data) => resolve({ callback: "onSuccess", data }),
      onFailure: (err) => reject(Object.assign(err ?? {}, { step: "confirmPassword" })),
    }, clientMetadata);
  });
}

run(async (args) => {
  const calls = traceFetch();
  const requestFields = traceRequestFields();
  const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint });
  const user = new CognitoUser({ Username: args.username, Pool: pool });
  const result = { calls, requestFields };
  try {
    if (args.code !== undefined) {
      if (!args.newPassword) throw Object.assign(new Error("a code needs a newPassword"), { name: "BadArgument" });
      const confirmed = await confirmPassword(user, args.code, args.newPassword, args.clientMetadata);
      result.confirmPassword = confirmed;
    } else {
      const requested = await forgotPassword(user, args.clientMetadata);
      result.forgotPassword = requested;
      result.codeDeliveryDetails = requested.data?.CodeDeliveryDetails ?? null;
    }
    return result;
  } catch (err) {
    if (err && typeof err === "object") err.partial = { calls, requestFields };
    throw err;
  }
});
