// A real OpenID provider for the tests: the certified `oidc-provider`
// package, with a plain login form for a few users, as its own process.
// Used by the Rust integration tests (tests/it/sso.rs) and the browser test
// (e2e/sso.test.mjs).
//
//   node e2e/oidc-provider.mjs
//
// It listens on a free loopback port and prints one JSON line,
// {"issuer": "http://127.0.0.1:PORT"}. Nothing is served until the test
// posts the client's redirect URIs (which it learns only once the chat
// server has its port):
//
//   POST /test/setup   {"redirect_uris": ["http://127.0.0.1:N/login/oidc/callback/"]}
//
// The client is `conversate` / `conversate-secret`. For the hostile cases
// the test can make the token endpoint hand out a doctored ID token:
//
//   POST /test/tamper  {"mode": "nonce" | "none" | "off"}
//
// "nonce": the same token with another nonce, correctly signed with the
// provider's own key; "none": the same claims unsigned (`alg: none`).
// Users: alice, bob, dave (e-mail verified), eve (e-mail not verified).

import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const USERS = {
  alice: { preferred_username: 'alice', name: 'Alice Liddell', email: 'alice@example.org', email_verified: true },
  bob: { preferred_username: 'bob', name: 'Bob', email: 'bob@example.org', email_verified: true },
  dave: { preferred_username: 'dave', name: 'Dave', email: 'dave@example.org', email_verified: true },
  eve: { preferred_username: 'eve', name: 'Eve', email: 'carol@example.com', email_verified: false },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

let issuer;
let provider;
let callback;
let tamper = 'off';

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, text) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(text);
}

function build(redirectUris) {
  const p = new Provider(issuer, {
    clients: [{
      client_id: 'conversate',
      client_secret: 'conversate-secret',
      redirect_uris: redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['a cookie key for tests only'] },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    // The claims of the granted scopes go into the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, sub) => {
      const user = USERS[sub];
      if (!user) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...user }) };
    },
  });
  p.on('server_error', (ctx, err) => console.error('provider error:', err));
  return p;
}

const page = (uid, error) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Test provider: sign in</title></head>
<body><h1>Test provider</h1>
${error ? '<p role="alert">Unknown user.</p>' : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="off">
<button type="submit">Sign in at the provider</button>
</form></body></html>`;

async function interaction(req, res, url) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    return send(res, 200, 'text/html; charset=utf-8', page(details.uid, false));
  }
  const form = new URLSearchParams(await body(req));
  const login = form.get('login') ?? '';
  if (!USERS[login] || !url.pathname.endsWith('/login')) {
    return send(res, 200, 'text/html; charset=utf-8', page(details.uid, true));
  }
  const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: login }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

function b64(json) {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function doctor(idToken) {
  const payload = jose.decodeJwt(idToken);
  if (tamper === 'none') {
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  }
  if (tamper === 'nonce') {
    return new jose.SignJWT({ ...payload, nonce: 'not-the-nonce-that-was-sent' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .sign(privateKey);
  }
  return idToken;
}

// The token endpoint's answer, with its ID token doctored.
function tampered(req, res) {
  const chunks = [];
  const end = res.end.bind(res);
  res.write = (chunk) => {
    chunks.push(Buffer.from(chunk));
    return true;
  };
  res.end = (chunk) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk));
    const text = Buffer.concat(chunks).toString('utf8');
    (async () => {
      let out = text;
      try {
        const json = JSON.parse(text);
        if (json.id_token) json.id_token = await doctor(json.id_token);
        out = JSON.stringify(json);
      } catch {
        // Not JSON (an error answer): passed on as it is.
      }
      res.setHeader('content-length', Buffer.byteLength(out));
      end(out);
    })();
    return res;
  };
  callback(req, res);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/test/setup') {
      provider = build(JSON.parse(await body(req)).redirect_uris);
      callback = provider.callback();
      return send(res, 200, 'application/json', '{"ok":true}');
    }
    if (req.method === 'POST' && url.pathname === '/test/tamper') {
      tamper = JSON.parse(await body(req)).mode;
      return send(res, 200, 'application/json', '{"ok":true}');
    }
    if (!provider) return send(res, 503, 'text/plain', 'not set up yet');
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname === '/token' && tamper !== 'off') return tampered(req, res);
    return callback(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) send(res, 500, 'text/plain', String(e));
    return undefined;
  }
});

server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  console.log(JSON.stringify({ issuer }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
