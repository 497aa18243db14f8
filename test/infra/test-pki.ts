import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDebianTool, runCommand, tail } from './system-tools.ts';

// A throw-away certificate authority for tests, made with openssl (node:crypto cannot make
// X.509): EC P-256 keys in PKCS#8 PEM, which Node, kafkajs, @platformatic/kafka and
// Kafka's PEM keystores all read.

export interface TestPki {
  readonly dir: string;
  /** PEM of the CA certificate, to trust. */
  readonly caFile: string;
  /** The CA's private key (PKCS#8 PEM), for what signs with the CA too (kube-controller-manager). */
  readonly caKeyFile: string;
  /** Issues a server certificate for `sans` (e.g. IP:127.0.0.1, DNS:localhost). */
  issue(name: string, options?: { sans?: readonly string[]; cn?: string }): Promise<IssuedCertificate>;
}

export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPkiOptions {
  /** The CA's common name, also its files' stem (default sluice-test-ca). */
  readonly caName?: string;
  /** Validity of the CA and of every certificate it issues (default 30). */
  readonly days?: number;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** openssl, which makes the certificates (node:crypto cannot make X.509). */
export function ensureOpenssl(): Promise<string> {
  return ensureDebianTool({
    command: 'openssl',
    pkg: 'openssl',
    purpose: 'to make test certificates',
  });
}

/** Where `name`'s certificate and key are (or will be) in a test PKI's folder `dir`. */
export function certificateFiles(dir: string, name: string): IssuedCertificate {
  return { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

/** A new CA in `dir` (created if missing), its files `certificateFiles(dir, caName)`. */
export async function createTestPki(dir: string, options: TestPkiOptions = {}): Promise<TestPki> {
  const { caName = 'sluice-test-ca', days = 30 } = options;
  const openssl = await ensureOpenssl();
  await mkdir(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const ssl = async (args: string[]) => {
    const result = await runCommand(openssl, args, { cwd: dir, timeoutMs: 30_000 });
    if (result.code !== 0) {
      throw new Error(`openssl ${args[0]} failed (exit ${result.code}):\n${tail(result.stderr, 20)}`);
    }
  };
  const { certFile: caFile, keyFile: caKeyFile } = certificateFiles(dir, caName);
  await ssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    caKeyFile,
    '-out',
    caFile,
    '-days',
    String(days),
    '-subj',
    `/CN=${caName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  let serial = 0;
  return {
    dir,
    caFile,
    caKeyFile,
    async issue(name, options = {}) {
      serial += 1;
      const { certFile, keyFile } = certificateFiles(dir, name);
      await ssl([
        'req',
        '-new',
        ...EC_KEY,
        '-keyout',
        keyFile,
        '-out',
        file(`${name}.csr`),
        '-subj',
        `/CN=${options.cn ?? name}`,
      ]);
      const sans = options.sans ?? ['IP:127.0.0.1', 'DNS:localhost'];
      await writeFile(
        file(`${name}.ext`),
        [
          `subjectAltName=${sans.join(',')}`,
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth',
          '',
        ].join('\n'),
      );
      await ssl([
        'x509',
        '-req',
        '-in',
        file(`${name}.csr`),
        '-CA',
        caFile,
        '-CAkey',
        caKeyFile,
        '-set_serial',
        String(serial),
        '-out',
        certFile,
        '-days',
        String(days),
        '-extfile',
        file(`${name}.ext`),
      ]);
      return { certFile, keyFile };
    },
  };
}
