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
  /** Issues a server certificate for `sans` (e.g. IP:127.0.0.1, DNS:localhost). */
  issue(name: string, options?: { sans?: readonly string[]; cn?: string }): Promise<IssuedCertificate>;
}

export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function createTestPki(dir: string, caName = 'sluice-test-ca'): Promise<TestPki> {
  const openssl = await ensureDebianTool({
    command: 'openssl',
    pkg: 'openssl',
    purpose: 'to make test certificates',
  });
  await mkdir(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const ssl = async (args: string[]) => {
    const result = await runCommand(openssl, args, { cwd: dir, timeoutMs: 30_000 });
    if (result.code !== 0) {
      throw new Error(`openssl ${args[0]} failed (exit ${result.code}):\n${tail(result.stderr, 20)}`);
    }
  };
  const caKey = file(`${caName}.key`);
  const caFile = file(`${caName}.crt`);
  await ssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '30',
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
    async issue(name, options = {}) {
      serial += 1;
      const keyFile = file(`${name}.key`);
      const certFile = file(`${name}.crt`);
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
        caKey,
        '-set_serial',
        String(serial),
        '-out',
        certFile,
        '-days',
        '30',
        '-extfile',
        file(`${name}.ext`),
      ]);
      return { certFile, keyFile };
    },
  };
}
