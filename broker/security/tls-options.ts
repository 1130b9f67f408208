// Owns TLS for SSL and SASL_SSL listeners: the server's key and certificate
// chain (a PEM file, or a PKCS12 keystore) and the CA that client
// certificates must chain to, read from the files Kafka's ssl.* settings
// name; and the principal of a client certificate (its subject, RFC 2253
// order, as Kafka's default principal builder gives it). Must not know about
// Kafka requests.

import { readFileSync, statSync } from 'node:fs';
import type { TlsOptions, TLSSocket } from 'node:tls';
import type { SslConfig } from '../config.ts';

/**
 * `clientAuth` is ssl.client.auth for SSL listeners; SASL_SSL listeners
 * authenticate with SASL and ask for no certificate (as Kafka, KIP-684).
 */
export function loadTlsOptions(ssl: SslConfig, clientAuth: SslConfig['clientAuth']): TlsOptions {
  const identity: TlsOptions = ssl.keystoreType === 'PKCS12'
    ? { pfx: readFileSync(ssl.keystoreLocation), ...(ssl.keystorePassword !== undefined ? { passphrase: ssl.keystorePassword } : {}) }
    : (() => {
      const pem = readFileSync(ssl.keystoreLocation, 'utf8');
      return { key: pem, cert: pem, ...(ssl.keyPassword !== undefined ? { passphrase: ssl.keyPassword } : {}) };
    })();
  return {
    ...identity,
    ...(ssl.truststoreLocation !== undefined ? { ca: readFileSync(ssl.truststoreLocation) } : {}),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'required',
    minVersion: 'TLSv1.2',
  };
}

/**
 * Calls `onChange` (with an error when the new files do not load) whenever
 * the keystore or truststore file changes, checked every reloadCheckMs;
 * returns the stopper.
 */
export function watchTlsFiles(ssl: SslConfig, onChange: (e: Error | undefined) => void): () => void {
  if (ssl.reloadCheckMs <= 0) return () => undefined;
  const files = [ssl.keystoreLocation, ...(ssl.truststoreLocation !== undefined ? [ssl.truststoreLocation] : [])];
  const stamp = (): string => files.map((f) => {
    try {
      const s = statSync(f);
      return `${s.mtimeMs}:${s.size}`;
    } catch {
      return 'missing';
    }
  }).join('|');
  let last = stamp();
  const timer = setInterval(() => {
    const now = stamp();
    if (now === last) return;
    last = now;
    try {
      loadTlsOptions(ssl, ssl.clientAuth);
      onChange(undefined);
    } catch (e) {
      onChange(e as Error);
    }
  }, ssl.reloadCheckMs);
  timer.unref();
  return () => clearInterval(timer);
}

const RFC2253_ESCAPE = /[,+"\\<>;]/g;

/** "User:CN=alice,OU=eng,O=floe" for a verified client certificate; undefined without one. */
export function tlsPrincipal(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || cert.subject === undefined) return undefined;
  // Node lists the subject's attributes in certificate order (least specific first); RFC 2253 reverses it.
  const parts: string[] = [];
  for (const [k, v] of Object.entries(cert.subject)) {
    for (const value of Array.isArray(v) ? v : [v]) parts.push(`${k}=${String(value).replace(RFC2253_ESCAPE, (c) => `\\${c}`)}`);
  }
  return `User:${parts.reverse().join(',')}`;
}
