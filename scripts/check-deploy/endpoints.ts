/** A host and port a connection URL points at. */
export interface Endpoint {
  host: string;
  port?: number;
}

const DEFAULT_PORTS: Record<string, number> = {
  mongodb: 27017,
  postgres: 5432,
  postgresql: 5432,
  redis: 6379,
  rediss: 6379,
  nats: 4222,
  tls: 4222,
  http: 80,
  https: 443,
};

/**
 * The endpoints in a connection string: `scheme://user@host:port,host:port/path`, gRPC's
 * `dns:///host:port` or a bare `host:port`. Returns nothing for values that are not addresses.
 */
export function endpointsOf(value: string): { scheme: string; endpoints: Endpoint[] } | undefined {
  const grpcTarget = /^dns:\/\/[^/]*\/([^/?]+)$/.exec(value);
  const url = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(value);
  const bare = /^([a-z0-9.-]+):(\d+)$/i.exec(value);
  let scheme: string;
  let authority: string;
  if (grpcTarget) [scheme, authority] = ["dns", grpcTarget[1]];
  else if (url) [scheme, authority] = [url[1].toLowerCase().replace(/\+srv$/, ""), url[2]];
  else if (bare) [scheme, authority] = ["", value];
  else return undefined;
  const hosts = authority.slice(authority.lastIndexOf("@") + 1);
  if (!hosts) return undefined;
  const endpoints = hosts.split(",").map((part) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part);
    const host = match?.[1] ?? part;
    const port = match?.[2] ? Number(match[2]) : DEFAULT_PORTS[scheme];
    return { host: host.toLowerCase(), port };
  });
  return { scheme, endpoints };
}

/**
 * How an in-cluster host name breaks down: `svc`, `svc.ns`, `pod.svc.ns` (with `.svc` or
 * `.svc.cluster.local`). Undefined for names outside the cluster.
 */
export function clusterName(host: string): { pod?: string; service: string; namespace?: string } | undefined {
  const stripped = host.replace(/\.svc(\.cluster\.local)?$/, "");
  const labels = stripped.split(".");
  if (stripped === host) return labels.length === 1 ? { service: labels[0] } : undefined;
  if (labels.length === 2) return { service: labels[0], namespace: labels[1] };
  if (labels.length === 3) return { pod: labels[0], service: labels[1], namespace: labels[2] };
  return undefined;
}
