// Stand-in for Amazon Cognito's hosted UI in the hub login test: a real
// OpenID Connect provider (oidc-provider) on the Cognito domain's name, so
// the hub's GenericOAuthenticator runs its whole flow (authorize, sign-in
// form, code, token exchange with client_secret_post and PKCE S256,
// userInfo) against a conforming server instead of against mocks.
// Usage: node oidc.mjs CONFIG.json, CONFIG having issuer (the Cognito domain),
// listen {host, port}, tls {cert, key}, client {client_id, client_secret,
// redirect_uris, scopes, logout_urls} as the pool client has them (its
// CallbackURLs, AllowedOAuthScopes and LogoutURLs) and users [{username,
// password, email}]. Serves Cognito's own paths (not the hub's settings: a
// wrong path there must fail as on AWS), including GET /logout. Prints "ready"
// on stdout once listening and logs one line per request on stderr.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = new Map(config.users.map((u) => [u.username, u]));

// Cognito's sub is a UUID; derive a stable UUID-shaped one from the name.
const subOf = (name) => createHash('sha256').update(`sub:${name}`).digest('hex')
  .slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client.client_id,
    client_secret: config.client.client_secret,
    redirect_uris: config.client.redirect_uris,
    // The pool client's AllowedOAuthScopes: another scope is refused (invalid_scope).
    scope: config.client.scopes.join(' '),
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  // Cognito's endpoints (Amazon Cognito Developer Guide, "User pool endpoints").
  routes: {
    authorization: '/oauth2/authorize', token: '/oauth2/token', userinfo: '/oauth2/userInfo', jwks: '/.well-known/jwks.json',
  },
  // Cognito always returns username; email needs the email scope.
  claims: {
    openid: ['sub', 'username'], email: ['email', 'email_verified'], profile: [],
  },
  async findAccount(ctx, id) {
    const user = users.get(id);
    if (!user) return undefined;
    return {
      accountId: id,
      claims: () => ({
        sub: subOf(id), username: id, email: user.email, email_verified: true,
      }),
    };
  },
  // No consent step: grant the scopes at once (the "skip consent" recipe).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(config.client.scopes.join(' '));
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: { enabled: false }, // opaque tokens good for userInfo
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  jwks: { keys: [generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' })] },
});
for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (ctx, err) => console.error(`${event}: ${err.message}: ${err.error_description ?? ''} ${err.error_detail ?? ''}`));
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const form = (uid, error = '') => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in</h1>${error && `<p class="error">${esc(error)}</p>`}
<form method="post" action="/interaction/${esc(uid)}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="signin">Sign in</button>
</form></body></html>
`;

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
  let error = '';
  if (req.method === 'POST') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const params = new URLSearchParams(body);
    const user = users.get(params.get('username'));
    if (user && user.password === params.get('password')) {
      await provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
      return;
    }
    error = 'Incorrect username or password.';
  }
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(form(details.uid, error));
}

// Cognito's GET /logout?client_id=…&logout_uri=…: the logout_uri must be one of the
// client's LogoutURLs (else Cognito's error page); ends the hosted UI's session and
// sends the browser to logout_uri.
async function logout(req, res) {
  const params = new URL(req.url, config.issuer).searchParams;
  const back = params.get('logout_uri');
  if (params.get('client_id') !== config.client.client_id || !config.client.logout_urls.includes(back)) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`redirect_mismatch: logout_uri ${back} for client ${params.get('client_id')}\n`);
    return;
  }
  const ctx = provider.app.createContext(req, res);
  const session = await provider.Session.get(ctx);
  await session.destroy();
  for (const name of ['_session', '_session.sig', '_session.legacy', '_session.legacy.sig']) {
    ctx.cookies.set(name, null, { path: '/' });
  }
  res.writeHead(302, { Location: back, 'Set-Cookie': res.getHeader('Set-Cookie') ?? [] });
  res.end();
}

const callback = provider.callback();
const server = https.createServer({
  cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key),
}, (req, res) => {
  const path = req.url.split('?')[0];
  res.on('finish', () => console.error(`${req.method} ${path} ${res.statusCode}`));
  if (path === '/logout' && req.method === 'GET') {
    logout(req, res).catch((err) => {
      console.error(`logout: ${err.message}`);
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`${err.message}\n`);
    });
  } else if (/^\/interaction\/[^/]+$/.test(path) && ['GET', 'POST'].includes(req.method)) {
    interaction(req, res).catch((err) => {
      console.error(`interaction: ${err.message}`);
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(`${err.message}\n`);
    });
  } else {
    callback(req, res);
  }
});
server.listen(config.listen.port, config.listen.host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
