// SPDX-License-Identifier: BSD-3-Clause
// rsocket-js 0.0.27 as the responder for skiff_peer (client mode): the same route contract as
// skiff_peer's server (echo, stream, channel, fnf, stats, error). Listens on 127.0.0.1:PORT,
// prints READY, exits after SECONDS or when the client connection closes.
'use strict';
const {
  RSocketServer, BufferEncoders, decodeCompositeMetadata, decodeRoutes,
  MESSAGE_RSOCKET_ROUTING,
} = require('rsocket-core');
const { Flowable, Single } = require('rsocket-flowable');
const RSocketTCPServer = require('rsocket-tcp-server').default;

const port = Number(process.argv[2]);
const seconds = Number(process.argv[3] || 20);
let fnf = 0, mdpush = 0;

function route(p) {
  if (!p.metadata) return null;
  for (const e of decodeCompositeMetadata(p.metadata)) {
    if (e.mimeType === MESSAGE_RSOCKET_ROUTING.string) {
      for (const r of decodeRoutes(e.content)) return r;
    }
  }
  return null;
}

const handler = {
  requestResponse(p) {
    const r = route(p);
    if (r === 'echo') return Single.of({ data: p.data });
    if (r === 'stats') return Single.of({ data: Buffer.from(`fnf=${fnf} md=${mdpush}`) });
    return Single.error(new Error('boom'));
  },
  fireAndForget(p) { if (route(p) === 'fnf') fnf++; },
  metadataPush(p) { mdpush++; return Single.of(null); },
  requestStream(p) {
    const n = Number(p.data.toString());
    return new Flowable((sub) => {
      let i = 0, cancelled = false;
      sub.onSubscribe({
        cancel: () => { cancelled = true; },
        request: (k) => {
          while (k-- > 0 && i < n && !cancelled) sub.onNext({ data: Buffer.from('item-' + i++) });
          if (i === n && !cancelled) { sub.onComplete(); i++; }
        },
      });
    });
  },
  requestChannel(payloads) {
    return new Flowable((sub) => {
      sub.onSubscribe({ cancel: () => {}, request: () => {} });
      payloads.subscribe({
        onSubscribe: (s) => s.request(1000),
        onNext: (p) => sub.onNext({ data: p.data }),
        onComplete: () => sub.onComplete(),
        onError: (e) => sub.onError(e),
      });
    });
  },
};

const server = new RSocketServer({
  getRequestHandler: () => handler,
  transport: new RSocketTCPServer({ host: '127.0.0.1', port }, BufferEncoders),
});
server.start();
console.log('READY');
setTimeout(() => { server.stop(); process.exit(0); }, seconds * 1000);
