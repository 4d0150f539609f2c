import { connect } from "node:net";

/** One HTTP exchange with the gateway, raw body kept for byte-for-byte comparisons. */
export interface Exchange {
  method: string;
  path: string;
  requestHeaders: Record<string, string>;
  requestBody?: string;
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: responses are read as arbitrary JSON
  body: any;
  /** Wall-clock milliseconds from sending to the full body. */
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Sends one JSON request (bearer token and body optional) and reads the whole answer. */
export async function httpCall(
  baseUrl: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<Exchange> {
  const requestHeaders: Record<string, string> = { ...opts.headers };
  if (opts.token) requestHeaders.authorization = `Bearer ${opts.token}`;
  const requestBody = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (
    requestBody !== undefined &&
    !Object.keys(requestHeaders).some((h) => h.toLowerCase() === "content-type")
  ) {
    requestHeaders["content-type"] = "application/json";
  }
  const started = performance.now();
  const res = await fetch(baseUrl + path, {
    method,
    headers: requestHeaders,
    body: requestBody,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return {
    method,
    path,
    requestHeaders,
    requestBody,
    status: res.status,
    headers: res.headers,
    text,
    body,
    ms,
  };
}

/** A request whose headers are sent only when `finish()` is called, on a connection opened now. */
export interface HeldRequest {
  /** Completes the request and resolves with the status line's code and the raw response. */
  finish(): Promise<{ status: number; raw: string }>;
}

/**
 * Opens a connection and sends only the request line, so the server holds an
 * active (not idle) connection; `finish()` sends the rest. Shows how a request
 * that arrives while a server drains is answered, which a new connection cannot
 * (the listener is already closed).
 */
export async function holdRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<HeldRequest> {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let raw = "";
  socket.on("data", (d) => {
    raw += d.toString("utf8");
  });
  const ended = new Promise<void>((resolve) => {
    socket.once("close", () => resolve());
    socket.once("error", () => resolve());
  });
  socket.write(`${method} ${path} HTTP/1.1\r\n`);
  return {
    finish: async () => {
      const lines = Object.entries({
        host: url.host,
        connection: "close",
        "content-length": String(Buffer.byteLength(body)),
        ...headers,
      }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`${lines.join("")}\r\n${body}`);
      const timer = setTimeout(() => socket.destroy(), 10_000);
      await ended;
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
      return { status, raw };
    },
  };
}
