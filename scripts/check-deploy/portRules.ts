import type { IProbe } from "kubernetes-models/v1/Probe";
import { portOf } from "./containerEnv.js";
import { type Finding, finding } from "./findings.js";
import { resolvePort } from "./k8sObjects.js";
import { HEALTH_PATHS, walletHealthServiceNames } from "./serviceFacts.js";
import type { ServiceWorkload } from "./serviceWorkloads.js";

/** The ports a service listens on in this container, from its variables or their defaults. */
export function listeningPorts(workload: Pick<ServiceWorkload, "config" | "env">): {
  http?: number;
  grpc?: number;
  findings: string[];
} {
  const { config, env } = workload;
  const problems: string[] = [];
  const read = (name: string | undefined) => {
    if (!name) return undefined;
    if (!(name in config.shape)) problems.push(`the ${config.facts.name}'s configShape has no ${name}`);
    return name in config.shape ? portOf(config, env, name) : undefined;
  };
  return {
    http: read(config.facts.httpPortVariable),
    grpc: read(config.facts.grpcPortVariable),
    findings: problems,
  };
}

/**
 * Container ports and probes agree with what the service serves: its HTTP port with /healthz
 * and /readyz, and for the wallet its gRPC port, probed natively with a grpc.health.v1 name it reports.
 */
export function portFindings(workload: ServiceWorkload): Finding[] {
  const { container, config, where } = workload;
  const ports = listeningPorts(workload);
  const findings = ports.findings.map((p) => finding(where, p));
  const expected = [ports.http, ports.grpc].filter((p): p is number => p !== undefined);
  const declared = (container.ports ?? []).map((p) => p.containerPort);
  for (const port of expected) {
    if (!declared.includes(port)) findings.push(finding(where, `does not declare containerPort ${port}`));
  }
  for (const port of declared) {
    if (!expected.includes(port))
      findings.push(finding(where, `declares containerPort ${port}, where nothing listens`));
  }
  const healthNames = walletHealthServiceNames();
  const probeProblem = (kind: string, probe: IProbe): string | undefined => {
    if (probe.httpGet) {
      const port = resolvePort(container, probe.httpGet.port);
      if (port !== ports.http)
        return `${kind} probes port ${probe.httpGet.port}, not the HTTP port ${ports.http}`;
      if (!HEALTH_PATHS.includes(probe.httpGet.path ?? "/"))
        return `${kind} probes ${probe.httpGet.path}, not ${HEALTH_PATHS.join(" or ")}`;
      if (kind === "liveness" && probe.httpGet.path === "/readyz")
        return "liveness probes /readyz: a dependency outage would restart pods";
    } else if (probe.grpc) {
      if (probe.grpc.port !== ports.grpc)
        return `${kind} probes gRPC port ${probe.grpc.port}, not ${ports.grpc}`;
      if (!healthNames.includes(probe.grpc.service ?? "")) {
        return `${kind} asks grpc.health.v1 for "${probe.grpc.service}", which is not one of ${JSON.stringify(healthNames)}`;
      }
    } else if (probe.tcpSocket) {
      if (!expected.includes(resolvePort(container, probe.tcpSocket.port) ?? -1))
        return `${kind} probes a port nothing listens on`;
    }
    return undefined;
  };
  const probes = {
    startup: container.startupProbe,
    readiness: container.readinessProbe,
    liveness: container.livenessProbe,
  };
  for (const [kind, probe] of Object.entries(probes)) {
    const problem = probe && probeProblem(kind, probe);
    if (problem) findings.push(finding(where, problem));
  }
  const readiness = container.readinessProbe;
  // The kubelet's gRPC probe speaks no TLS: a wallet serving TLS is probed on its admin /readyz instead.
  const grpcOverTls = Boolean(workload.env.get("WALLET_TLS_CERT_FILE")?.value);
  if (config.facts.grpcPortVariable && readiness && !readiness.grpc) {
    if (!grpcOverTls) {
      findings.push(finding(where, "readiness must be a native grpc probe on the gRPC port"));
    } else if (readiness.httpGet?.path !== "/readyz") {
      findings.push(finding(where, "readiness of gRPC over TLS must be an HTTP probe of /readyz"));
    }
  }
  if (!config.facts.grpcPortVariable && readiness && readiness.httpGet?.path !== "/readyz") {
    findings.push(finding(where, "readiness must be an HTTP probe of /readyz"));
  }
  return findings;
}
