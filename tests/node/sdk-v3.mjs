// The AWS SDK for JavaScript v3 against the server, as an app configures it for a custom endpoint:
//   node sdk-v3.mjs '{"endpoint": "http://127.0.0.1:9229", "region": "us-east-1", "poolId": "...",
//                     "clientId": "...", "clientSecret": "..." (optional), "username": "...",
//                     "password": "...", "email": "...",
//                     "steps": ["SignUp", "AdminConfirmSignUp", "InitiateAuth", "GetUser"]}'  (default: all)
// Prints each step's answer (tokens decoded); on failure the error carries the step that failed.
import { createHmac } from "node:crypto";
import {
  AdminConfirmSignUpCommand,
  CognitoIdentityProviderClient,
  GetUserCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { decodeJwtHeader, decodeJwtPayload, run } from "./lib.mjs";

const ALL_STEPS = ["SignUp", "AdminConfirmSignUp", "InitiateAuth", "GetUser"];

function secretHash(username, clientId, clientSecret) {
  return createHmac("sha256", clientSecret).update(username + clientId).digest("base64");
}

function withoutMetadata(output) {
  const { $metadata, ...rest } = output;
  return { ...rest, httpStatusCode: $metadata?.httpStatusCode, requestId: $metadata?.requestId };
}

run(async (args) => {
  const client = new CognitoIdentityProviderClient({
    endpoint: args.endpoint,
    region: args.region ?? "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    maxAttempts: 1,
  });
  const hash = args.clientSecret ? secretHash(args.username, args.clientId, args.clientSecret) : undefined;
  const steps = args.steps ?? ALL_STEPS;
  const result = { steps: {} };
  let accessToken;
  for (const name of steps) {
    try {
      if (name === "SignUp") {
        const out = await client.send(new SignUpCommand({
          ClientId: args.clientId,
          Username: args.username,
          Password: args.password,
          SecretHash: hash,
          UserAttributes: args.email ? [{ Name: "email", Value: args.email }] : undefined,
        }));
        result.steps.SignUp = withoutMetadata(out);
      } else if (name === "AdminConfirmSignUp") {
        const out = await client.send(new AdminConfirmSignUpCommand({ UserPoolId: args.poolId, Username: args.username }));
        result.steps.AdminConfirmSignUp = withoutMetadata(out);
      } else if (name === "InitiateAuth") {
        const out = await client.send(new InitiateAuthCommand({
          ClientId: args.clientId,
          AuthFlow: "USER_PASSWORD_AUTH",
          AuthParameters: { USERNAME: args.username, PASSWORD: args.password, ...(hash ? { SECRET_HASH: hash } : {}) },
        }));
        const auth = out.AuthenticationResult ?? {};
        accessToken = auth.AccessToken;
        result.steps.InitiateAuth = {
          ...withoutMetadata(out),
          idHeader: auth.IdToken && decodeJwtHeader(auth.IdToken),
          accessHeader: auth.AccessToken && decodeJwtHeader(auth.AccessToken),
          idPayload: auth.IdToken && decodeJwtPayload(auth.IdToken),
          accessPayload: auth.AccessToken && decodeJwtPayload(auth.AccessToken),
        };
      } else if (name === "GetUser") {
        const out = await client.send(new GetUserCommand({ AccessToken: args.accessToken ?? accessToken }));
        result.steps.GetUser = withoutMetadata(out);
      } else {
        throw Object.assign(new Error(`unknown step ${name}`), { name: "BadArgument" });
      }
    } catch (err) {
      err.step = name;
      err.partial = result;
      throw err;
    }
  }
  return result;
});
