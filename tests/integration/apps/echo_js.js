// SPDX-License-Identifier: BSD-3-Clause
// rsocket-js 0.0.27 as the requester against skiff-echo: node echo_js.js HOST PORT
// Checks every interaction model with the data: request-response (small, 100 kB spanning many TCP
// segments, and without routing metadata through the fallback route), request-stream (numbered
// items within credit batches, and repeated data), request-channel (every item echoed in order),
// fire-and-forget and metadata push (counted by the server's stats route), a routing miss.
// Prints "N passed, N failed" as its last line; exit 0 only if all passed.
'use strict';
const {
  RSocketClient, BufferEncoders, encodeCompositeMetadata, encodeRoute,
  MESSAGE_RSOCKET_ROUTING, MESSAGE_RSOCKET_COMPOSITE_METADATA,
} = require('rsocket-core');
const { Flowable } = require('rsocket-flowable');
const RSocketTcpClient = require('rsocket-tcp-client').default;

const host = process.argv[2];
const port = Number(process.argv[3]);
let passed = 0, failed = 0;
function check(ok, what) {
  if (ok) passed++; else { failed++; console.error('FAIL: ' + what); }
}
function md(route) {
  return encodeCompositeMetadata([[MESSAGE_RSOCKET_ROUTING, encodeRoute(route)]]);
}
function rr(socket, route, data) {
  const p = { data: Buffer.from(data) };
  if (route !== null) p.metadata = md(route);
  return new Promise((resolve) => {
    socket.requestResponse(p).subscribe({
      onComplete: (r) => resolve({ ok: true, p: r }),
      onError: (e) => resolve({ ok: false, e }),
    });
  });
}
function stream(socket, route, data, batch) {
  return new Promise((resolve) => {
    const items = [];
    let sub, granted = batch, overrun = false;
    socket.requestStream({ data: Buffer.from(data), metadata: md(route) }).subscribe({
      onSubscribe: (s) => { sub = s; s.request(batch); },
      onNext: (p) => {
        items.push(p.data.toString());
        if (items.length > granted) overrun = true;
        if (items.length === granted) { granted += batch; sub.request(batch); }
      },
      onComplete: () => resolve({ ok: true, items, overrun }),
      onError: (e) => resolve({ ok: false, e, items }),
    });
  });
}
function channel(socket, n) {
  return new Promise((resolve) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push({ data: Buffer.from('ch-' + i), metadata: md('channel') });
    const items = [];
    socket.requestChannel(Flowable.just(...out)).subscribe({
      onSubscribe: (s) => s.request(1000),
      onNext: (p) => items.push(p.data.toString()),
      onComplete: () => resolve({ ok: true, items }),
      onError: (e) => resolve({ ok: false, e, items }),
    });
  });
}

async function main(socket) {
  let r = await rr(socket, 'echo', 'hello skiff');
  check(r.ok && r.p.data.toString() === 'hello skiff', 'request-response echo');
  const big = Buffer.alloc(100000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) % 251;
  r = await rr(socket, 'echo', big);
  check(r.ok && Buffer.compare(r.p.data, big) === 0, 'request-response 100000 bytes echoed intact');
  r = await rr(socket, null, 'no metadata');
  check(r.ok && r.p.data.toString() === 'no metadata', 'no routing metadata: fallback route echoes');
  r = await stream(socket, 'stream', '25', 4);
  const want = Array.from({ length: 25 }, (_, i) => 'item-' + i);
  check(r.ok && JSON.stringify(r.items) === JSON.stringify(want), 'request-stream 25 items in order');
  check(r.ok && !r.overrun, 'request-stream never beyond credit (batches of 4)');
  r = await stream(socket, 'stream', 'abc', 3);
  check(r.ok && r.items.length === 10 && r.items.every((x) => x === 'abc'),
        'request-stream of non-numeric data: 10 copies');
  r = await channel(socket, 12);
  const wantc = Array.from({ length: 12 }, (_, i) => 'ch-' + i);
  check(r.ok && JSON.stringify(r.items) === JSON.stringify(wantc), 'request-channel 12 items echoed');
  for (let i = 0; i < 5; i++) socket.fireAndForget({ data: Buffer.from('f'), metadata: md('fnf') });
  socket.metadataPush({ metadata: Buffer.from('pushed') }).subscribe({});
  socket.metadataPush({ metadata: Buffer.from('pushed2') }).subscribe({});
  r = await rr(socket, 'stats', '');
  check(r.ok && /^fnf=5 md=2 /.test(r.p.data.toString()),
        'fire-and-forget and metadata push counted: ' + (r.ok ? r.p.data.toString() : r.e));
  r = await rr(socket, 'no-such-route', 'x');
  check(!r.ok && /no route 'no-such-route'/.test(String(r.e && r.e.message)),
        'routing miss refused naming the route: ' + (r.e && r.e.message));
}

const client = new RSocketClient({
  setup: {
    keepAlive: 1000, lifetime: 20000,
    dataMimeType: 'application/octet-stream',
    metadataMimeType: MESSAGE_RSOCKET_COMPOSITE_METADATA.string,
  },
  transport: new RSocketTcpClient({ host, port }, BufferEncoders),
});
const timer = setTimeout(() => { check(false, 'timed out'); done(); }, 30000);
let sock = null;
function done() {
  clearTimeout(timer);
  console.log(`${passed} passed, ${failed} failed`);
  if (sock) sock.close();
  setTimeout(() => process.exit(failed === 0 && passed > 0 ? 0 : 1), 200);
}
client.connect().subscribe({
  onComplete: (socket) => { sock = socket; main(socket).then(done, (e) => { check(false, String(e)); done(); }); },
  onError: (e) => { check(false, 'connect: ' + e); done(); },
});
