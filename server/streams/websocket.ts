// A stream route's hijack served over a WebSocket (Docker's GET /containers/{id}/attach/ws): the
// handshake is the `ws` library's; the streams see a Duplex whose writes are messages and whose
// reads are the client's messages. `ws`'s own createWebSocketStream always sends binary frames,
// while dockerd sends text frames below API 1.42 (which is all berth speaks), hence this adapter.
import type { IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { HijackReply } from '../api.ts';

/** Made on the first WebSocket request: the daemon's start does not load `ws` for a route few clients use. */
let server: WebSocketServer | undefined;
async function handshaker(): Promise<WebSocketServer> {
  server ??= new (await import('ws')).WebSocketServer({ noServer: true, perMessageDeflate: false });
  return server;
}

function messageBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** The WebSocket as a byte stream: each write one text message; the client's messages, read; its close, the end. */
function websocketDuplex(ws: WebSocket): Duplex {
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      ws.send(chunk, { binary: false }, cb);
    },
    final(cb) {
      ws.close(1000);
      cb();
    },
    read() {
      // Messages are pushed as they come: a client's input is small.
    },
    destroy(err, cb) {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
      cb(err);
    },
  });
  ws.on('message', (data) => d.push(messageBytes(data)));
  ws.on('close', () => {
    d.push(null);
    d.destroy();
  });
  ws.on('error', (err) => d.destroy(err));
  return d;
}

/** Completes the WebSocket handshake on the upgraded connection and serves the hijack on it. */
export async function serveWebsocket(req: IncomingMessage, socket: Duplex, head: Buffer, h: HijackReply): Promise<void> {
  const server = await handshaker();
  return new Promise((resolve, reject) => {
    // A handshake `ws` refuses (a 400 written on the socket) never reaches the callback.
    socket.once('close', () => resolve());
    try {
      server.handleUpgrade(req, socket, head, (ws) => void h.serve(websocketDuplex(ws)).then(resolve, reject));
    } catch (err) {
      reject(err);
    }
  });
}
