// One AWS JSON 1.1 request through Node's own fetch (undici), the HTTP client under the AWS SDK for
// JavaScript v3 in browsers-like code and under amazon-cognito-identity-js:
//   node raw-fetch.mjs '{"endpoint": "http://127.0.0.1:9229/", "operation": "SignUp", "body": {...},
//                        "long": {"path": ["ClientMetadata", "source"], "char": "x", "count": 131073}}'
// "long" puts a string of count characters at path inside body (a command line cannot carry 1 MiB).
// Prints the status, every response header and the JSON body; a response the client cannot read is an error.
import { run } from "./lib.mjs";

run(async ({ endpoint, operation, body = {}, long = null }) => {
  if (long) {
    let node = body;
    for (const key of long.path.slice(0, -1)) node = node[key] ??= {};
    node[long.path.at(-1)] = long.char.repeat(long.count);
  }
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.json() };
});
