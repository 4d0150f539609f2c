import { parse } from "yaml";
import { type Finding, finding } from "./findings.js";
import { runTool } from "./tools.js";

/** The fields of a compose service that the rules read, as `docker-compose config` normalises them. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: ComposePort[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[] | string;
  stop_grace_period?: string;
}

/** A published port; `host_ip` unset means every interface of the host. */
export interface ComposePort {
  host_ip?: string;
  published?: number;
  target: number;
}

export interface ComposeProject {
  file: string;
  services: Record<string, ComposeService>;
}

/**
 * Validates docker-compose.yml with `docker-compose config` (schema, interpolation, references)
 * and returns the normalised project it prints.
 */
export function loadCompose(
  root: string,
  file = "docker-compose.yml",
): { project?: ComposeProject; findings: Finding[] } {
  const run = runTool("docker-compose", ["-f", file, "config"], root, "Debian package docker-compose");
  if (!run.ok) return { findings: [finding(file, run.reason)] };
  const config = parse(run.stdout) as { services?: Record<string, ComposeService> };
  const services = config.services ?? {};
  for (const service of Object.values(services)) {
    if (service.ports) service.ports = service.ports.map((p) => normalisePort(p as ComposePort | string));
  }
  return { project: { file, services }, findings: [] };
}

/**
 * `docker-compose config` prints ports with a host address in the short syntax
 * (`127.0.0.1:3000:3000/tcp`) and others in the long one; both become a ComposePort.
 */
export function normalisePort(port: ComposePort | string | number): ComposePort {
  if (typeof port === "object") return port;
  let text = String(port).replace(/\/(tcp|udp)$/, "");
  let host: string | undefined;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (bracketed) [, host, text] = bracketed;
  const parts = text.split(":");
  if (!host && parts.length === 3) host = parts.shift();
  const [published, target] = parts.length === 2 ? parts : [undefined, parts[0]];
  return {
    ...(host !== undefined ? { host_ip: host } : {}),
    ...(published ? { published: Number(published) } : {}),
    target: Number(target),
  };
}

/** Seconds in a compose duration such as "30s", "1m30s" or "500ms". */
export function durationSeconds(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(h|ms|us|m|s)/g;
  let consumed = "";
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    total += Number(match[1]) * units[match[2]];
    consumed += match[0];
  }
  return consumed === text ? total : undefined;
}
