import net from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, Redis, a Kafka bootstrap broker)
 * that a test can cut and restore, to make the server unreachable for the code under test (its
 * connections are reset, new ones refused) without stopping a server other suites share.
 */
export class CuttableProxy {
  private server = net.createServer((client) => this.pipe(client));
  private readonly sockets = new Set<net.Socket>();
  /** The proxy's port: 0 until the first {@link up}, then the same one after each cut. */
  port = 0;

  /**
   * @param targetHost - the real server's host.
   * @param targetPort - its port.
   * @param port - the port to listen on (default 0: a free one, chosen at the first {@link up}).
   */
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    port = 0,
  ) {
    this.port = port;
  }

  /** Listens (again, on the same port) and forwards every new connection to the target. */
  async up(): Promise<void> {
    this.server = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Stops listening and resets every forwarded connection. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}

/**
 * A TCP port that is free now on 127.0.0.1 (the OS picks it; nothing holds it afterwards), for a
 * child process or a proxy that must be told its port in advance.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
