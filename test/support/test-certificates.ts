// Certificates for TLS tests, made with openssl in a temporary directory: a
// CA, a server certificate for 127.0.0.1/localhost signed by it, a client
// certificate (CN=alice) signed by it, and a client certificate signed by a
// CA the broker does not trust. PEM files; the server's key and chain in one.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run-command.ts';

export interface TestCertificates {
  dir: string;
  /** CA certificate (PEM): clients trust it; the broker checks client certificates against it. */
  ca: string;
  /** The broker's private key followed by its certificate (ssl.keystore.location, PEM). */
  serverKeystore: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA. */
  strangerCert: string;
  strangerKey: string;
  destroy(): void;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const r = await runCommand('openssl', args, { timeoutMs: 30_000, cwd: dir });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-certs-'));
  const p = (f: string): string => join(dir, f);
  const ca = async (name: string): Promise<void> => {
    await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`]);
  };
  const signed = async (name: string, subject: string, caName: string, ext?: string): Promise<void> => {
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2'];
    if (ext !== undefined) {
      writeFileSync(p(`${name}.ext`), ext);
      args.push('-extfile', `${name}.ext`);
    }
    await openssl(dir, args);
  };
  await ca('ca');
  await ca('stranger-ca');
  await signed('server', '/CN=localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await signed('client', '/C=US/O=floe/OU=eng/CN=alice', 'ca');
  await signed('stranger', '/CN=mallory', 'stranger-ca');
  writeFileSync(p('server-keystore.pem'), readFileSync(p('server.key'), 'utf8') + readFileSync(p('server.pem'), 'utf8'));
  return {
    dir, ca: p('ca.pem'), serverKeystore: p('server-keystore.pem'), clientCert: p('client.pem'), clientKey: p('client.key'),
    strangerCert: p('stranger.pem'), strangerKey: p('stranger.key'),
    destroy: () => rmSync(dir, { recursive: true, force: true }),
  };
}
