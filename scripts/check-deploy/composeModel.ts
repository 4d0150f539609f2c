import { parse } from "yaml";
import { type Finding, finding } from "./findings.js";
import { runTool } from "./tools.js";

/** The fields of a compose service that the rules read, as `docker-compose config` normalises them. */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: { published?: number; target: number }[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] | string; disable?: boolean };
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  tmpfs?: string[] | string;
  stop_grace_period?: string;
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
  return { project: { file, services: config.services ?? {} }, findings: [] };
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
