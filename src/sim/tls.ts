/**
 * TLS for the simulator: a throw-away CA and a server certificate it signs (selfsigned), with the
 * CA written to `ca.pem` so clients can trust it the way they would trust a corporate CA.
 *
 * @example const tls = await generateTlsMaterial(['127.0.0.1', 'localhost']); tls.caFile
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsMaterial {
  readonly caPem: string;
  readonly caFile: string;
  readonly cert: string;
  readonly key: string;
}

/** `names`: host names and IP addresses the server certificate must cover. */
export async function generateTlsMaterial(
  names: readonly string[],
  dir?: string,
): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60 * 60_000);
  const notAfterDate = new Date(Date.now() + 30 * 24 * 60 * 60_000);
  const ca = await generate([{ name: 'commonName', value: 'duo-insights simulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
    ],
  });
  const unique = [...new Set(names)];
  const server = await generate([{ name: 'commonName', value: unique[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: unique.map((name) =>
          isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
        ),
      },
    ],
  });
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'duo-insights-sim-')));
  await mkdir(target, { recursive: true });
  const caFile = join(target, 'ca.pem');
  await writeFile(caFile, ca.cert, { mode: 0o644 });
  return { caPem: ca.cert, caFile, cert: server.cert, key: server.private };
}
