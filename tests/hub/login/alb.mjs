// Stand-in for the AWS Application Load Balancer's HTTPS listener in the hub
// login test: terminates TLS and forwards every request (and websocket
// upgrade) to the hub's proxy over plain HTTP, adding X-Forwarded-For,
// X-Forwarded-Proto and X-Forwarded-Port as an ALB does and leaving the Host
// header alone, so the hub sees what it sees behind the real ALB.
// Usage: node alb.mjs CONFIG.json ({"listen": {"host", "port"},
// "tls": {"cert", "key"}, "target": "http://127.0.0.1:8000"}). Prints "ready"
// on stdout once listening and logs one line per request on stderr.
import { readFileSync } from 'node:fs';
import https from 'node:https';
import httpProxy from 'http-proxy-node16';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const proxy = httpProxy.createProxyServer({
  target: config.target, xfwd: true, ws: true, changeOrigin: false,
});

// What an ALB answers when its target does not: 502 with a short body.
proxy.on('error', (err, req, res) => {
  console.error(`proxy error: ${req.method} ${req.url.split('?')[0]}: ${err.message}`);
  if (res.writeHead && !res.headersSent) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end('502 Bad Gateway');
  } else {
    res.destroy(); // a websocket's socket, or a response already started
  }
});

const server = https.createServer({
  cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key),
}, (req, res) => {
  const path = req.url.split('?')[0];
  res.on('finish', () => console.error(`${req.method} ${path} ${res.statusCode}`));
  proxy.web(req, res);
});
server.on('upgrade', (req, socket, head) => {
  console.error(`${req.method} ${req.url.split('?')[0]} upgrade`);
  proxy.ws(req, socket, head);
});
server.listen(config.listen.port, config.listen.host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
