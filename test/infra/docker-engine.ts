import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './system-tools.ts';

/** Where a Docker engine answers /_ping, or null. A socket file alone proves nothing. */
export async function findDockerEngine(): Promise<string | null> {
  const host = process.env.DOCKER_HOST;
  if (host !== undefined && host !== '') {
    if (host.startsWith('unix://')) {
      return (await pingDocker({ socketPath: host.slice('unix://'.length) })) ? host : null;
    }
    if (host.startsWith('tcp://') && process.env.DOCKER_TLS_VERIFY !== '1') {
      const url = new URL(host.replace(/^tcp:/, 'http:'));
      return (await pingDocker({ host: url.hostname, port: Number(url.port || 2375) })) ? host : null;
    }
    // TLS or ssh engines need the client's credentials; the docker CLI has them.
    const version = await runCommand('docker', ['version', '--format', '{{.Server.Version}}'], {
      timeoutMs: 10_000,
    }).catch(() => null);
    return version?.code === 0 ? host : null;
  }
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  if (process.env.XDG_RUNTIME_DIR) sockets.push(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'));
  for (const socketPath of sockets) {
    if (await pingDocker({ socketPath })) return `unix://${socketPath}`;
  }
  return null;
}

function pingDocker(target: { socketPath: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
