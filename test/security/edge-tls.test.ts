import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { connect as connectH2 } from "node:http2";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect as connectTls, type PeerCertificate } from "node:tls";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProductService } from "../../gen/recsys/product/v1/product_service_pb.js";
import { edgeOptionsFromEnv } from "../../envoy/render-config.js";
import { httpRequest, rawHttp } from "../fuzz/raw-http.js";
import { PRIVATE_EDGE_PORTS, startPrivateEdge, type PrivateEdge } from "./private-edge.js";

// TLS on the Envoy listener. Before there was none: the public port spoke only plain text. Now,
// with ENVOY_TLS_CERT_FILE and ENVOY_TLS_KEY_FILE set, it speaks only TLS, offering h2 and
// http/1.1. This suite makes a throw-away certificate with the openssl CLI and starts an Envoy of
// its own with it, in front of the shared test mesh's services.

const { port } = PRIVATE_EDGE_PORTS.tls;

/**
 * A self-signed P-256 certificate for 127.0.0.1 and localhost, valid one day, from the openssl CLI.
 *
 * @returns the PEM files' paths and the certificate's text.
 */
async function makeCertificate(dir: string): Promise<{ certFile: string; keyFile: string; pem: string }> {
  const certFile = path.join(dir, "edge.crt");
  const keyFile = path.join(dir, "edge.key");
  await promisify(execFile)("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=recsys edge test", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", keyFile, "-out", certFile,
  ]);
  return { certFile, keyFile, pem: readFileSync(certFile, "utf8") };
}

/** A TLS handshake with the listener: the protocol ALPN chose and the certificate presented. */
function handshake(ca: string, alpn: string[]): Promise<{ alpn: string | false; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: "127.0.0.1", port, ca, ALPNProtocols: alpn }, () => {
      const result = { alpn: socket.alpnProtocol ?? false, peer: socket.getPeerCertificate() };
      socket.end();
      resolve(result);
    });
    socket.on("error", reject);
  });
}

/** GET over HTTPS/1.1 with `ca` trusted. */
function httpsGet(url: string, ca: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** GET over HTTP/2 (negotiated by ALPN) with `ca` trusted. */
function h2Get(url: string, pathAndQuery: string, ca: string): Promise<{ alpn: string | undefined; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connectH2(url, { ca });
    session.on("error", reject);
    const stream = session.request({ ":path": pathAndQuery });
    let status = 0;
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ alpn, status, body });
    });
    stream.on("error", reject);
  });
}

describe("TLS on the Envoy listener", () => {
  let dir: string;
  let cert: { certFile: string; keyFile: string; pem: string };
  let edge: PrivateEdge;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "recsys-edge-tls-"));
    cert = await makeCertificate(dir);
    edge = await startPrivateEdge("tls", PRIVATE_EDGE_PORTS.tls, edgeOptionsFromEnv({ ENVOY_TLS_CERT_FILE: cert.certFile, ENVOY_TLS_KEY_FILE: cert.keyFile }));
  }, 60_000);
  afterAll(async () => {
    await edge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("presents the configured certificate and negotiates h2 or http/1.1 by ALPN", async () => {
    expect(edge.envoy.url).toBe(`https://127.0.0.1:${port}`);
    const h2 = await handshake(cert.pem, ["h2", "http/1.1"]);
    expect(h2.alpn).toBe("h2");
    expect(h2.peer.fingerprint256).toBe(new X509Certificate(cert.pem).fingerprint256);
    expect((await handshake(cert.pem, ["http/1.1"])).alpn).toBe("http/1.1");
  });

  it("serves REST over HTTPS/1.1 and HTTP/2, and gRPC over TLS", async () => {
    const viaH1 = await httpsGet(`${edge.envoy.url}/v1/products/1`, cert.pem);
    expect(viaH1.status).toBe(200);
    expect(JSON.parse(viaH1.body)).toMatchObject({ product: { title: "Toy Story (1995)" } });

    const viaH2 = await h2Get(edge.envoy.url, "/v1/products/1", cert.pem);
    expect(viaH2.alpn).toBe("h2");
    expect(viaH2.status).toBe(200);
    expect(JSON.parse(viaH2.body)).toMatchObject({ product: { productId: "1" } });

    const products = createClient(ProductService, createGrpcTransport({ baseUrl: edge.envoy.url, nodeOptions: { ca: cert.pem }, defaultTimeoutMs: 5_000 }));
    expect((await products.getProduct({ productId: "1" })).product?.title).toBe("Toy Story (1995)");
  });

  it("refuses plain text: no HTTP answer to HTTP/1.1, no gRPC over h2c", async () => {
    const plain = await rawHttp("127.0.0.1", port, httpRequest("GET", "/v1/products/1"), { timeoutMs: 5_000 });
    expect(plain.status).toBe(0);
    expect(plain.timedOut).toBe(false);

    const cleartext = createClient(ProductService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, defaultTimeoutMs: 5_000 }));
    const outcome = await cleartext.getProduct({ productId: "1" }).then(
      () => "OK",
      (err: unknown) => Code[ConnectError.from(err).code],
    );
    expect(outcome).not.toBe("OK");
  });

  it("is refused by a client that does not trust the certificate", async () => {
    await expect(httpsGet(`${edge.envoy.url}/v1/products/1`, undefined)).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});
