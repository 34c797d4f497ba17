// SPDX-License-Identifier: BSD-3-Clause
// rsocket-js 0.0.27 as the requester against skiff_peer (server mode) over TCP on 127.0.0.1.
// Checks every interaction model, metadata push, an application error, a large response that
// spans many TCP segments, and routing misses. Prints "N passed, N failed" as its last line.
'use strict';
const {
  RSocketClient, BufferEncoders, encodeCompositeMetadata, encodeRoute,
  MESSAGE_RSOCKET_ROUTING, MESSAGE_RSOCKET_COMPOSITE_METADATA,
} = require('rsocket-core');
const { Flowable } = require('rsocket-flowable');
const RSocketTcpClient = require('rsocket-tcp-client').default;

const port = Number(process.argv[2]);
let passed = 0, failed = 0;
function check(ok, what) {
  if (ok) passed++; else { failed++; console.error('FAIL: ' + what); }
}
function md(route) {
  return encodeCompositeMetadata([[MESSAGE_RSOCKET_ROUTING, encodeRoute(route)]]);
}
function rr(socket, route, data) {
  return new Promise((resolve) => {
    socket.requestResponse({ data: Buffer.from(data), metadata: md(route) }).subscribe({
      onComplete: (p) => resolve({ ok: true, p }),
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
        // Grant the next batch later, not from inside onNext: an item sent beyond credit
        // then arrives while items.length === granted and is seen as an overrun.
        if (items.length === granted) setTimeout(() => { granted += batch; sub.request(batch); }, 5);
      },
      onComplete: () => resolve({ ok: true, items, overrun }),
      onError: (e) => resolve({ ok: false, e, items }),
    });
  });
}
function channel(socket, n, route = 'channel') {
  return new Promise((resolve) => {
    const out = [];
    for (let i = 0; i < n; i++) out.push({ data: Buffer.from('ch-' + i), metadata: md(route) });
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
  r = await stream(socket, 'stream', '25', 4);
  const want = Array.from({ length: 25 }, (_, i) => 'item-' + i);
  check(r.ok && JSON.stringify(r.items) === JSON.stringify(want), 'request-stream 25 items in order');
  check(r.ok && !r.overrun, 'request-stream never beyond credit (batches of 4)');
  r = await channel(socket, 12);
  const wantc = Array.from({ length: 12 }, (_, i) => 'ch-' + i);
  check(r.ok && JSON.stringify(r.items) === JSON.stringify(wantc), 'request-channel 12 items echoed');
  // The handler of "channel0" grants no credit: the engine's REQUEST_N lets the items flow.
  r = await channel(socket, 12, 'channel0');
  check(r.ok && JSON.stringify(r.items) === JSON.stringify(wantc),
        'request-channel to a handler that grants nothing: 12 items echoed' + (r.ok ? '' : ': ' + r.e));
  for (let i = 0; i < 5; i++) socket.fireAndForget({ data: Buffer.from('f'), metadata: md('fnf') });
  socket.metadataPush({ metadata: Buffer.from('pushed') }).subscribe({});
  socket.metadataPush({ metadata: Buffer.from('pushed2') }).subscribe({});
  r = await rr(socket, 'stats', '');
  check(r.ok && r.p.data.toString() === 'fnf=5 md=2', 'fire-and-forget and metadata push counted: ' +
        (r.ok ? r.p.data.toString() : r.e));
  r = await rr(socket, 'large', '200000');
  let good = r.ok && r.p.data.length === 200000;
  if (good) for (let i = 0; i < 200000; i++) if (r.p.data[i] !== i % 251) { good = false; break; }
  check(good, 'large response (200000 bytes) intact');
  r = await rr(socket, 'error', '');
  check(!r.ok && /boom/.test(String(r.e && r.e.message)) && r.e.source && r.e.source.code === 0x201,
        'APPLICATION_ERROR boom: ' + (r.e && r.e.message));
  r = await rr(socket, 'no-such-route', 'x');
  check(!r.ok && /no route 'no-such-route'/.test(String(r.e && r.e.message)) &&
        r.e.source && r.e.source.code === 0x204, 'routing miss gets ERROR[INVALID] naming the route: ' +
        (r.e && r.e.message));
  r = await rr(socket, 'quit-probe', 'x');
  check(!r.ok, 'second routing miss also refused');
  socket.fireAndForget({ data: Buffer.from('q'), metadata: md('quit') });
}

const client = new RSocketClient({
  setup: {
    keepAlive: 500, lifetime: 10000,
    dataMimeType: 'application/octet-stream',
    metadataMimeType: MESSAGE_RSOCKET_COMPOSITE_METADATA.string,
  },
  transport: new RSocketTcpClient({ host: '127.0.0.1', port }, BufferEncoders),
});
const timer = setTimeout(() => { check(false, 'timed out'); done(); }, 20000);
function done() {
  clearTimeout(timer);
  console.log(`${passed} passed, ${failed} failed`);
  setTimeout(() => process.exit(failed === 0 && passed > 0 ? 0 : 1), 200);
}
client.connect().subscribe({
  onComplete: (socket) => main(socket).then(done, (e) => { check(false, String(e)); done(); }),
  onError: (e) => { check(false, 'connect: ' + e); done(); },
});
