import type { ComposeProject, ComposeService } from "./composeModel.js";
import { type Finding, finding } from "./findings.js";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Nothing exposed by default: every port a compose service publishes is bound to
 * the loopback interface, and every backing service (Redis, NATS, MongoDB,
 * PostgreSQL) requires credentials.
 */
export function exposureFindings(project: ComposeProject): Finding[] {
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(project.services)) {
    const problem = (text: string) => findings.push(finding(`${project.file}: ${name}`, text));
    for (const port of service.ports ?? []) {
      if (!port.host_ip || !LOOPBACK.test(port.host_ip)) {
        const where = port.host_ip ? `on ${port.host_ip}` : "on all interfaces";
        problem(
          `publishes port ${port.published ?? port.target} ${where}: bind it to the loopback ("127.0.0.1:${port.published ?? port.target}:${port.target}")`,
        );
      }
    }
    const missing = missingCredentials(service);
    if (missing) problem(`runs without credentials: ${missing}`);
  }
  return findings;
}

/** What a backing service lacks to require credentials, or undefined (credentials set, or not a backing service). */
export function missingCredentials(service: ComposeService): string | undefined {
  const image = (service.image ?? "").split("/").pop()?.split(":")[0] ?? "";
  const command = [service.command ?? []].flat().map(String);
  const env = service.environment ?? {};
  const has = (name: string) => Boolean(env[name] || env[`${name}_FILE`]);
  const flagValue = (flag: string) => {
    const i = command.indexOf(flag);
    return i >= 0 ? command[i + 1] : command.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
  };
  // A container of the image running something else (an init step with its own entrypoint) serves nothing.
  if (service.entrypoint !== undefined) return undefined;
  switch (image) {
    case "redis":
      return flagValue("--requirepass") || flagValue("--aclfile")
        ? undefined
        : "redis-server needs --requirepass (or --aclfile)";
    case "nats":
      if (flagValue("--user") && flagValue("--pass")) return undefined;
      if (flagValue("--auth") || flagValue("-c") || flagValue("--config")) return undefined;
      return "nats-server needs --user and --pass, --auth, or a config file with authorization";
    case "mongo": {
      if (!has("MONGO_INITDB_ROOT_USERNAME") || !has("MONGO_INITDB_ROOT_PASSWORD")) {
        return "mongod needs a root user (MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD)";
      }
      if (command.includes("--replSet") && !flagValue("--keyFile")) {
        return "a replica set with authentication needs --keyFile";
      }
      return undefined;
    }
    case "postgres":
      return has("POSTGRES_PASSWORD") && env.POSTGRES_HOST_AUTH_METHOD !== "trust"
        ? undefined
        : "postgres needs POSTGRES_PASSWORD (and no POSTGRES_HOST_AUTH_METHOD=trust)";
    default:
      return undefined;
  }
}
