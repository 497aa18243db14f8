import type { Autoscaling, GatewayFleetSpec, TrackOverride } from '../api/gateway-fleet-spec.ts';
import type { FleetSettings, TrackSettings } from '../operator-config.ts';
import type { Track } from './render-gateway-config.ts';

/** A namespace's fleet settings: the operator's, with its GatewayFleet's fields over them. */
export type NamespaceFleetSettings = FleetSettings & {
  /** The tracks the GatewayFleet autoscales; their `replicas` is only the size to start from. */
  readonly autoscaling?: Partial<Record<Track, Autoscaling>>;
};

const clamp = (value: number, { minReplicas, maxReplicas }: Autoscaling) =>
  Math.min(maxReplicas, Math.max(minReplicas, value));

function overridden(base: TrackSettings, override: TrackOverride | undefined, image: string): TrackSettings {
  const workers = override?.workers ?? base.workers;
  const autoscaling = override?.autoscaling;
  return {
    image,
    // An autoscaled track starts from the flags' size within the autoscaler's bounds: the
    // autoscaler (and replicasToApply) take it from there.
    replicas: override?.replicas ?? (autoscaling ? clamp(base.replicas, autoscaling) : base.replicas),
    resources: override?.resources ?? base.resources,
    ...(workers === undefined ? {} : { workers }),
  };
}

/**
 * The fleet settings of a namespace: per track, each field its GatewayFleet sets (image,
 * replicas, resources, workers) replaces the operator's flag; what it leaves out stays. The
 * canary image is the fleet's canary image, else — once the fleet names a stable image — that
 * stable image (a config-only canary of the namespace's own image, as the flags default it),
 * else the flags' canary image. Without a GatewayFleet, the flags as they are. The other
 * settings (grace period, listener TLS, trusted proxies, NetworkPolicy) are the operator's
 * only. Pure; never mutates `base`.
 */
export function fleetSettingsFor(
  base: FleetSettings,
  fleet: GatewayFleetSpec | undefined,
): NamespaceFleetSettings {
  if (fleet === undefined) return base;
  const stableImage = fleet.stable?.image ?? base.stable.image;
  const canaryImage = fleet.canary?.image ?? fleet.stable?.image ?? base.canary.image;
  const autoscaling: Partial<Record<Track, Autoscaling>> = {
    ...(fleet.stable?.autoscaling ? { stable: fleet.stable.autoscaling } : {}),
    ...(fleet.canary?.autoscaling ? { canary: fleet.canary.autoscaling } : {}),
  };
  return {
    ...base,
    stable: overridden(base.stable, fleet.stable, stableImage),
    canary: overridden(base.canary, fleet.canary, canaryImage),
    ...(Object.keys(autoscaling).length > 0 ? { autoscaling } : {}),
  };
}
