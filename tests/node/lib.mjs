// Shared by the scripts in this folder: read the JSON argument, run, print one JSON object on stdout.
// On failure the script exits 1 and prints {"error": {name, code, message, ...}} so the Python test can
// assert on the error exactly as the client library surfaced it.

export function decodeJwtPayload(token) {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

export function decodeJwtHeader(token) {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

export function describeError(err) {
  if (err === null || typeof err !== "object") return { name: "Error", message: String(err) };
  // aws-jwt-verify's errors keep name "Error": their class name is what tells them apart.
  const name = err.name && err.name !== "Error" ? err.name : (err.constructor?.name ?? "Error");
  const out = {
    name,
    code: err.code ?? name,
    message: err.message ?? null,
  };
  if (err.statusCode !== undefined) out.statusCode = err.statusCode;
  if (err.$metadata?.httpStatusCode !== undefined) out.statusCode = err.$metadata.httpStatusCode;
  if (err.$metadata?.requestId !== undefined) out.requestId = err.$metadata.requestId;
  if (err.$fault !== undefined) out.fault = err.$fault;
  if (err.step !== undefined) out.step = err.step;
  return out;
}

// Runs main(args) and prints its result; main may throw an Error with .partial (steps done so far).
export async function run(main) {
  let args;
  try {
    args = JSON.parse(process.argv[2] ?? "{}");
  } catch (err) {
    console.log(JSON.stringify({ error: { name: "BadArgument", message: `argument is not JSON: ${err.message}` } }));
    process.exit(2);
  }
  try {
    const result = await main(args);
    console.log(JSON.stringify(result));
    process.exit(0);
  } catch (err) {
    console.log(JSON.stringify({ error: describeError(err), ...(err?.partial ?? {}) }));
    process.exit(1);
  }
}

// Records every Cognito API call the library makes through the global fetch (target, flow, challenge).
export function traceFetch() {
  const calls = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (url, options = {}) => {
    const headers = options.headers ?? {};
    const target = headers["X-Amz-Target"] ?? headers["x-amz-target"];
    let body = {};
    try { body = JSON.parse(options.body ?? "{}"); } catch { /* not JSON */ }
    const call = { target: target?.split(".").pop(), authFlow: body.AuthFlow, challengeName: body.ChallengeName };
    if (body.AuthParameters) call.authParameters = Object.keys(body.AuthParameters).sort();
    if (body.ChallengeResponses) call.challengeResponses = Object.keys(body.ChallengeResponses).sort();
    if (body.ChallengeResponses?.TIMESTAMP) call.timestamp = body.ChallengeResponses.TIMESTAMP;
    const response = await original(url, options);
    call.status = response.status;
    calls.push(call);
    return response;
  };
  return calls;
}
