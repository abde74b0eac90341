import { connect } from "node:net";

/** What came back for a raw request: the status (0 when there was no answer) and body. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  /** True when the server neither answered nor closed within the timeout (it may wait for more bytes). */
  readonly timedOut: boolean;
}

/** Options of {@link rawHttp}. */
export interface RawHttpOptions {
  /** Local address to connect from (each 127.0.0.x has its own rate-limit bucket at Envoy). */
  readonly localAddress?: string;
  /** Give up after this long, in ms (default 20,000); the answer then has status 0 and `timedOut`. */
  readonly timeoutMs?: number;
}

/**
 * Sends bytes as they are over a fresh TCP connection and reads the HTTP/1.1 answer until the server
 * closes (requests should carry `connection: close`). No client library sits in between, so request
 * lines, paths, headers and bodies may be as malformed as the test wants.
 *
 * @param host - server host, for example "127.0.0.1".
 * @param port - server port.
 * @param request - the whole request, head and body.
 * @returns the answer; status 0 when the connection closed, or the timeout passed, without one.
 */
export function rawHttp(host: string, port: number, request: Buffer, options: RawHttpOptions = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, localAddress: options.localAddress });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, options.timeoutMs ?? 20_000);
    // write, not end: Envoy treats a client's half-close before the answer as an aborted request.
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      // Close as soon as the answer is complete: Envoy otherwise waits for the client to close
      // first (its delayed close timeout, 1 s) before closing a `connection: close` exchange.
      if (answerComplete(Buffer.concat(chunks))) socket.destroy();
    });
    socket.on("end", () => socket.end());
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf("\r\n\r\n");
      resolve({ status: match ? Number(match[1]) : 0, body: split >= 0 ? text.slice(split + 4) : "", timedOut });
    });
  });
}

/** Whether bytes hold a whole HTTP/1.1 answer (head plus content-length bytes, or a last chunk). */
function answerComplete(bytes: Buffer): boolean {
  const split = bytes.indexOf("\r\n\r\n");
  if (split < 0) return false;
  const head = bytes.subarray(0, split).toString("latin1").toLowerCase();
  const body = bytes.length - split - 4;
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) return body >= Number(length[1]);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return bytes.subarray(split + 4).includes("0\r\n\r\n");
  return /^http\/1\.[01] (1\d\d|204|304)/.test(head);
}

/**
 * Builds an HTTP/1.1 request: the target is written as given (percent-encode it yourself, or not),
 * with `host`, `connection: close` and, for a body, `content-length` (unless given).
 *
 * @param method - any method token (or garbage).
 * @param target - the request target.
 * @param headers - extra headers, written as given.
 * @param body - the body bytes.
 */
export function httpRequest(method: string, target: string, headers: Record<string, string> = {}, body?: Buffer | string): Buffer {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  const lines = [`${method} ${target} HTTP/1.1`, "host: recsys", "connection: close"];
  const names = new Set(Object.keys(headers).map((h) => h.toLowerCase()));
  if (bytes && !names.has("content-length") && !names.has("transfer-encoding")) lines.push(`content-length: ${bytes.length}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return bytes ? Buffer.concat([head, bytes]) : head;
}

/**
 * Percent-encodes what HTTP forbids in a request target (controls, space, non-ASCII, `"`, `<`, `>`,
 * `\`, `^`, backtick, braces, `|`) but leaves `/`, `.`, `?`, `#`, `&` and `%` raw, so traversal,
 * query tricks and broken escapes such as `%zz` reach the server as written.
 */
export function looseEncode(value: string): string {
  return Array.from(Buffer.from(value, "utf8"))
    .map((b) => {
      const c = String.fromCharCode(b);
      return b <= 0x20 || b >= 0x7f || `"<>\\^\`{|}`.includes(c) ? `%${b.toString(16).toUpperCase().padStart(2, "0")}` : c;
    })
    .join("");
}

/**
 * Percent-encodes everything but RFC 3986 unreserved characters, byte by byte in UTF-8 (like
 * `encodeURIComponent`, but lone surrogates become U+FFFD instead of throwing).
 */
export function strictEncode(value: string): string {
  return Array.from(Buffer.from(value, "utf8"))
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`))
    .join("");
}
