import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kubeconfigYaml } from '../infra/kube-apiserver.ts';
import { kubernetesBuildFlags, requiredVersion } from '../infra/kube-binaries.ts';
import { etcdVersionOf, stagingModules } from '../infra/kube-dist/pin.ts';

describe('requiredVersion', () => {
  it.each([
    ['require k8s.io/kubernetes v1.35.4\n', 'k8s.io/kubernetes', 'v1.35.4'],
    ['require (\n\tk8s.io/kubernetes v1.35.4 // indirect\n)\n', 'k8s.io/kubernetes', 'v1.35.4'],
    ['require go.etcd.io/etcd/server/v3 v3.6.6\n', 'go.etcd.io/etcd/server/v3', 'v3.6.6'],
    // A module whose path extends the one asked for is not it.
    [
      'require (\n\tk8s.io/kubernetes-x v9.9.9\n\tk8s.io/kubernetes v1.2.3\n)\n',
      'k8s.io/kubernetes',
      'v1.2.3',
    ],
  ])('finds the version in %j', (goMod, module, version) => {
    expect(requiredVersion(goMod, module)).toBe(version);
  });

  it('fails when the module is not required', () => {
    expect(() => requiredVersion('module x\n', 'k8s.io/kubernetes')).toThrow(/does not require/);
  });
});

describe('kubernetesBuildFlags', () => {
  it('stamps the release into both version packages', () => {
    const flags = kubernetesBuildFlags('v1.35.4');
    const ldflags = flags[flags.indexOf('-ldflags') + 1] ?? '';
    for (const pkg of ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']) {
      expect(ldflags).toContain(`-X=${pkg}.gitVersion=v1.35.4`);
      expect(ldflags).toContain(`-X=${pkg}.gitMajor=1`);
      expect(ldflags).toContain(`-X=${pkg}.gitMinor=35`);
    }
    expect(flags).toContain('-trimpath');
  });

  it('rejects what is not a release', () => {
    expect(() => kubernetesBuildFlags('main')).toThrow(/not a Kubernetes release/);
  });
});

describe('pin helpers', () => {
  it('reads the staging modules from Kubernetes go.mod replaces', () => {
    const goMod = [
      'replace (',
      '\tk8s.io/api => ./staging/src/k8s.io/api',
      '\tk8s.io/client-go => ./staging/src/k8s.io/client-go',
      '\tgithub.com/x/y => github.com/x/y v1.0.0',
      ')',
    ].join('\n');
    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/client-go']);
  });

  it('reads the etcd version from build/dependencies.yaml', () => {
    const yaml =
      '  - name: "etcd-image"\n    version: 3.6.4\n  # etcd\n  - name: "etcd"\n    version: 3.6.6\n';
    expect(etcdVersionOf(yaml)).toBe('v3.6.6');
  });
});

describe('kubeconfigYaml', () => {
  it('is one cluster, one token user and the context joining them', () => {
    const config = parse(
      kubeconfigYaml({ server: 'https://127.0.0.1:6443', caFile: '/ca.crt', token: 't0k' }),
    );
    expect(config).toMatchObject({
      kind: 'Config',
      clusters: [{ cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority': '/ca.crt' } }],
      users: [{ user: { token: 't0k' } }],
      'current-context': 'sluice-test',
    });
  });
});
