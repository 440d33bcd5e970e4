/**
 * The proxy's own certificate: a key pair from files (`--tls-cert`, `--tls-key`), checked before
 * anything binds, or a self-signed one for `localhost` made once into the state directory and
 * reused on later starts, so a browser or curl told to trust it once keeps trusting it.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** SHA-256 of the certificate, `AB:CD:…`, as browsers and `openssl x509 -fingerprint -sha256` show it. */
  readonly fingerprint: string;
  /** True when this start made the self-signed certificate (false: given, or made before). */
  readonly created: boolean;
}

/** The names the self-signed certificate is good for: the demo's host, any `*.localhost`, loopback. */
export const SELF_SIGNED_NAMES = ['localhost', '*.localhost', 'demo.localhost'] as const;
export const SELF_SIGNED_IPS = ['127.0.0.1', '::1'] as const;
const CERT_FILE = 'localhost.crt';
const KEY_FILE = 'localhost.key';

function read(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `cannot read the TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

/** Reads and checks a certificate and its key: both PEM, and the key the certificate's. */
export function loadKeyPair(certFile: string, keyFile: string, created = false): KeyPair {
  const cert = read(certFile, 'certificate');
  const key = read(keyFile, 'key');
  let x509: X509Certificate;
  if (!cert.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(
      `the TLS certificate ${certFile} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----")`,
    );
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`the TLS certificate ${certFile} does not parse: ${(e as Error).message}`);
  }
  let pk: KeyObject;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    throw new Error(`the TLS key ${keyFile} is not a PEM private key (no "-----BEGIN … PRIVATE KEY-----")`);
  try {
    pk = createPrivateKey(key);
  } catch (e) {
    throw new Error(`the TLS key ${keyFile} does not parse: ${(e as Error).message}`);
  }
  if (!x509.checkPrivateKey(pk))
    throw new Error(`the TLS key ${keyFile} does not match the certificate ${certFile}`);
  return { cert, key, certFile, keyFile, fingerprint: x509.fingerprint256, created };
}

export interface CertOptions {
  readonly commonName?: string;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  /** @default 825 (what browsers accept for a server certificate) */
  readonly days?: number;
}

/** A new self-signed certificate and its key (EC P-256), PEM. */
export async function makeSelfSigned(o: CertOptions = {}): Promise<{ cert: string; key: string }> {
  const dns = o.dnsNames ?? SELF_SIGNED_NAMES;
  const ips = o.ips ?? SELF_SIGNED_IPS;
  const notBeforeDate = new Date(Date.now() - 60_000);
  const r = await generate([{ name: 'commonName', value: o.commonName ?? dns[0] ?? 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + (o.days ?? 825) * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...dns.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/**
 * The self-signed certificate in `<dir>/tls/`: made (key mode 600) when there is none, else the
 * one made before, checked like given files. A directory of its own, so the state file's
 * neighbours stay what they were.
 */
export async function selfSignedIn(dir: string): Promise<KeyPair> {
  const tlsDir = path.join(dir, 'tls');
  const certFile = path.join(tlsDir, CERT_FILE);
  const keyFile = path.join(tlsDir, KEY_FILE);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) return loadKeyPair(certFile, keyFile);
  const { cert, key } = await makeSelfSigned();
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  // The key first, never readable by others even for a moment; the pair is only used once both exist.
  fs.writeFileSync(keyFile, key, { mode: 0o600 });
  fs.chmodSync(keyFile, 0o600);
  fs.writeFileSync(certFile, cert, { mode: 0o644 });
  return loadKeyPair(certFile, keyFile, true);
}

/** Given files, or the self-signed certificate of the state directory. */
export async function proxyKeyPair(o: {
  certFile?: string;
  keyFile?: string;
  dir: string;
}): Promise<KeyPair> {
  if ((o.certFile === undefined) !== (o.keyFile === undefined))
    throw new Error(
      '--tls-cert and --tls-key go together: give both, or neither for a self-signed certificate',
    );
  if (o.certFile !== undefined && o.keyFile !== undefined)
    return loadKeyPair(path.resolve(o.certFile), path.resolve(o.keyFile));
  return selfSignedIn(o.dir);
}
