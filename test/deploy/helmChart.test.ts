import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { env } from "@wallet/runtime";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartLintFindings } from "../../scripts/check-deploy/chartLint.js";
import { driftFindings } from "../../scripts/check-deploy/helmDrift.js";
import {
  buildStandIn,
  CHART,
  type Renderer,
  renderChart,
  templateArgs,
  VALUE_SETS,
  type ValueSet,
} from "../../scripts/check-deploy/helmRender.js";
import {
  chartDefaults,
  fixtureFindings,
  schemaConfigFindings,
  VALUES_FIXTURES,
  type Values,
  type ValuesValidator,
  valuesFileFindings,
  valuesValidator,
} from "../../scripts/check-deploy/helmValues.js";
import { findObject, type K8sObject, type Rendering } from "../../scripts/check-deploy/k8sObjects.js";
import { renderOverlay } from "../../scripts/check-deploy/kustomizeRender.js";
import { loadServiceConfigs, type ServiceConfig } from "../../scripts/check-deploy/serviceConfig.js";
import { runTool } from "../../scripts/check-deploy/tools.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const set = (name: string): ValueSet => {
  const found = VALUE_SETS.find((s) => s.name.endsWith(name));
  if (!found) throw new Error(`no value set ${name}`);
  return found;
};
const lines = (findings: { where: string; problem: string }[]) =>
  findings.map((f) => `${f.where}: ${f.problem}`);

let renderer: Renderer;
let scratch: string;
let defaults: Values;
let validate: ValuesValidator;
let configs: ServiceConfig[];

beforeAll(async () => {
  const built = buildStandIn(root);
  if (!("kind" in built)) throw new Error(`${built.where}: ${built.problem}`);
  renderer = built;
  scratch = mkdtempSync(join(tmpdir(), "helm-chart-"));
  defaults = chartDefaults(root, CHART).values as Values;
  validate = valuesValidator(join(root, CHART)).validate as ValuesValidator;
  configs = (await loadServiceConfigs(root)).configs;
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function rendered(valueSet: ValueSet, chart = CHART): Rendering {
  const result = renderChart(root, renderer, valueSet, chart);
  expect(lines(result.findings)).toEqual([]);
  return result.rendering as Rendering;
}

const deployment = (r: Rendering, name: string) =>
  findObject(r.objects, "Deployment", name) as K8sObject & IDeployment;
const configMap = (r: Rendering, name: string) =>
  findObject(r.objects, "ConfigMap", name)?.data as Record<string, string>;

/** The findings of rendering the chart with `valueSet`, one line each, as one text. */
const findingsOf = (valueSet: ValueSet, chart = CHART) =>
  lines(renderChart(root, renderer, valueSet, chart).findings).join("\n");

/** A values file `name` holding `text` in the scratch directory; returns its path. */
function valuesFile(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** A copy of the chart in a scratch directory, for breaking it. */
function chartCopy(name: string): string {
  const copy = join(scratch, name, "wallet-platform");
  mkdirSync(dirname(copy), { recursive: true });
  cpSync(join(root, CHART), copy, { recursive: true });
  return copy;
}

describe("helm chart", () => {
  it("chart - renders the defaults with the credentials from an existing Secret", () => {
    const r = rendered(set("wallet-platform/values.yaml"));
    const wallet = deployment(r, "wallet");
    const container = wallet.spec?.template.spec?.containers[0];
    expect(container?.image).toBe("wallet-platform/wallet:0.1.0");
    expect(container?.env?.find((e) => e.name === "WALLET_DB_URL")?.valueFrom?.secretKeyRef).toEqual({
      name: "wallet-platform-secrets",
      key: "WALLET_DB_URL",
    });
    expect(findObject(r.objects, "Secret", "wallet-platform-secrets")).toBeUndefined();
    expect(wallet.spec?.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(container?.readinessProbe?.grpc).toEqual({ port: 50051, service: "" });
    expect(configMap(r, "gateway-config").WALLET_GRPC_URL).toBe(
      "dns:///wallet-headless.wallet.svc.cluster.local:50051",
    );
    expect(findObject(r.objects, "Service", "wallet-headless")?.spec).toMatchObject({ clusterIP: "None" });
  });

  it("chart - prod values: three replicas, streams replicated three ways, registry images, TLS ingress", () => {
    const r = rendered(set("prod.yaml"));
    for (const name of ["wallet", "gateway", "notifier"]) {
      expect(deployment(r, name).spec?.replicas).toBe(3);
      expect(deployment(r, name).spec?.template.spec?.containers[0].image).toBe(
        `registry.example.com/wallet-platform/${name}:0.1.0`,
      );
    }
    expect(configMap(r, "wallet-config").NATS_STREAM_REPLICAS).toBe("3");
    expect(configMap(r, "notifier-config").NATS_STREAM_REPLICAS).toBe("3");
    expect(findObject(r.objects, "Ingress", "gateway")?.spec).toMatchObject({
      tls: [{ hosts: ["wallet.example.com"], secretName: "wallet-example-com-tls" }],
    });
  });

  it("chart - dev values render the development Secret and let the pods reach the upstream charts' pods", () => {
    const r = rendered(set("dev.yaml"));
    const secret = findObject(r.objects, "Secret", "wallet-platform-secrets");
    expect(Object.keys((secret?.stringData ?? {}) as object).sort()).toEqual([
      "JWT_SECRET",
      "NATS_PASSWORD",
      "NATS_URL",
      "NATS_USER",
      "REDIS_URL",
      "WALLET_DB_URL",
    ]);
    const policies = r.objects.filter((o) => o.metadata.name.startsWith("backing-service-"));
    expect(policies.map((p) => (p.spec as { podSelector: unknown }).podSelector)).toEqual([
      { matchLabels: { "app.kubernetes.io/name": "mongodb" } },
      { matchLabels: { "app.kubernetes.io/name": "redis" } },
      { matchLabels: { "app.kubernetes.io/name": "nats" } },
    ]);
    expect(deployment(r, "wallet").spec?.template.metadata?.annotations?.["checksum/credentials"]).toMatch(
      /^[0-9a-f]{64}$/,
    );
  });

  it("chart - a config change rolls only the pods whose ConfigMap changed (checksum/config)", () => {
    const checksums = (extra: string[]) => {
      const run = runTool(
        renderer.command,
        templateArgs(CHART, set("wallet-platform/values.yaml"), extra),
        root,
        "",
      );
      if (!run.ok) throw new Error(run.reason);
      return Object.fromEntries(
        [
          ...run.stdout.matchAll(
            /# Source: wallet-platform\/templates\/(\w+)\/deployment.yaml[\s\S]*?checksum\/config: (\w+)/g,
          ),
        ].map((m) => [m[1], m[2]]),
      );
    };
    const before = checksums([]);
    const after = checksums(["--set", "wallet.config.LOG_LEVEL=debug"]);
    expect(Object.keys(before).sort()).toEqual(["gateway", "notifier", "wallet"]);
    expect(after.wallet).not.toBe(before.wallet);
    expect(after.gateway).toBe(before.gateway);
    expect(after.notifier).toBe(before.notifier);
  });

  it("chart - the helm test Pod runs the smoke test from the gateway's image against the gateway's addresses", () => {
    const r = rendered(set("prod.yaml"));
    const pod = findObject(r.objects, "Pod", "wallet-platform-smoke-test");
    expect(pod?.metadata.annotations?.["helm.sh/hook"]).toBe("test");
    const spec = pod?.spec as {
      containers: { image: string; command: string[]; env: { name: string; value?: string }[] }[];
    };
    expect(spec.containers[0].image).toBe("registry.example.com/wallet-platform/gateway:0.1.0");
    expect(spec.containers[0].command).toEqual(["node", "/app/smoke-test/smoke-test.mjs"]);
    expect(Object.fromEntries(spec.containers[0].env.map((e) => [e.name, e.value]))).toEqual({
      WALLET_GRPC_URL: "dns:///wallet-headless.wallet.svc.cluster.local:50051",
      GATEWAY_URL: "http://gateway.wallet.svc.cluster.local:80",
      // prod runs the gRPC hop over mTLS: the smoke test dials like the gateway does.
      WALLET_GRPC_CA_FILE: "/etc/gateway/wallet-tls/ca.crt",
      WALLET_GRPC_CERT_FILE: "/etc/gateway/wallet-tls/tls.crt",
      WALLET_GRPC_KEY_FILE: "/etc/gateway/wallet-tls/tls.key",
    });
    const script = findObject(r.objects, "ConfigMap", "wallet-platform-smoke-test")?.data as Record<
      string,
      string
    >;
    expect(script["smoke-test.mjs"]).toBe(readFileSync(join(root, CHART, "files/smoke-test.mjs"), "utf8"));
  });

  it("chart - NOTES.txt tells how to reach the gateway and call the wallet with grpcurl", () => {
    const run = runTool(renderer.command, templateArgs(CHART, set("prod.yaml"), ["--show-notes"]), root, "");
    const notes = run.ok ? run.stdout.slice(run.stdout.indexOf("NOTES:")) : "";
    expect(notes).toContain("https://wallet.example.com/api");
    expect(notes).toContain("kubectl -n wallet port-forward service/gateway 3000:80");
    expect(notes).toContain("kubectl -n wallet port-forward service/wallet 50051:50051");
    // prod runs the gRPC hop over mTLS, so grpcurl needs the CA and a client certificate.
    expect(notes).toContain(
      "grpcurl -cacert ca.crt -cert client.crt -key client.key -authority wallet-headless.wallet.svc.cluster.local localhost:50051 list",
    );
    expect(notes).toContain("wallet.v1.WalletService/ListWallets");
    expect(notes).toContain("helm test wallet-platform -n wallet");
  });

  it("chart - shared JWT keys, NATS credentials and TLS secrets reach the services that use them", () => {
    const values = valuesFile(
      "credentials.yaml",
      [
        "credentials: { jwtKeys: [JWT_SECRET, JWT_ISSUER], natsKeys: [NATS_USER, NATS_PASSWORD] }",
        "tls:",
        "  wallet: { secretName: wallet-tls, clientCaSecretName: wallet-client-ca }",
        "  gateway: { walletClientSecretName: gateway-client, clientCertificate: true }",
      ].join("\n"),
    );
    const r = rendered({ name: "credentials.yaml", files: [values], namespace: "wallet" });
    const secretKeys = (name: string) =>
      (deployment(r, name).spec?.template.spec?.containers[0].env ?? []).map(
        (e) => e.valueFrom?.secretKeyRef?.key,
      );
    expect(secretKeys("wallet")).toEqual([
      "WALLET_DB_URL",
      "NATS_URL",
      "JWT_SECRET",
      "JWT_ISSUER",
      "NATS_USER",
      "NATS_PASSWORD",
    ]);
    expect(secretKeys("gateway")).toEqual([
      "REDIS_URL",
      "NATS_URL",
      "JWT_SECRET",
      "JWT_ISSUER",
      "NATS_USER",
      "NATS_PASSWORD",
    ]);
    expect(secretKeys("notifier").slice(0, 3)).toEqual(["NATS_URL", "NATS_USER", "NATS_PASSWORD"]);
    expect(configMap(r, "wallet-config")).toMatchObject({
      WALLET_TLS_CERT_FILE: "/etc/wallet/tls/tls.crt",
      WALLET_TLS_KEY_FILE: "/etc/wallet/tls/tls.key",
      WALLET_TLS_CLIENT_CA_FILE: "/etc/wallet/client-ca/ca.crt",
    });
    expect(configMap(r, "gateway-config")).toMatchObject({
      WALLET_GRPC_CA_FILE: "/etc/gateway/wallet-tls/ca.crt",
      WALLET_GRPC_CERT_FILE: "/etc/gateway/wallet-tls/tls.crt",
      WALLET_GRPC_KEY_FILE: "/etc/gateway/wallet-tls/tls.key",
    });
    // The kubelet's gRPC probe cannot speak TLS: readiness moves to the admin port's /readyz.
    expect(deployment(r, "wallet").spec?.template.spec?.containers[0].readinessProbe?.httpGet).toEqual({
      path: "/readyz",
      port: "admin",
    });
  });

  it("chart - a broken template fails the rendering with a message naming the file", () => {
    const copy = chartCopy("broken");
    const file = join(copy, "templates/wallet/deployment.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("{{ .Values.wallet.replicas }}", "{{ .Values.wallet.replicas "),
    );
    const result = renderChart(root, renderer, set("wallet-platform/values.yaml"), copy);
    expect(result.rendering).toBeUndefined();
    expect(lines(result.findings).join("\n")).toMatch(
      /parse error at \(wallet-platform\/templates\/wallet\/deployment.yaml:\d+\)/,
    );

    const yaml = chartCopy("bad-yaml");
    const service = join(yaml, "templates/gateway/service.yaml");
    writeFileSync(service, readFileSync(service, "utf8").replace("  ports:\n", "  ports:\n   - oops: [\n"));
    expect(findingsOf(set("wallet-platform/values.yaml"), yaml)).toContain(
      "YAML parse error on wallet-platform/templates/gateway/service.yaml",
    );
  });

  it("chart - min above max replicas fails rendering through the template's fail", () => {
    const values = valuesFile("autoscaling.yaml", "wallet:\n  autoscaling:\n    minReplicas: 12\n");
    const found = findingsOf({ name: "autoscaling.yaml", files: [values], namespace: "wallet" });
    expect(found).toContain("wallet-platform/templates/wallet/hpa.yaml");
    expect(found).toContain("wallet.autoscaling: minReplicas (12) is above maxReplicas (10)");
  });

  it("chart - a rendered development Secret must hold a WALLET_DB_URL of the chosen store", () => {
    const values = valuesFile("store.yaml", "wallet:\n  store: postgresql\n");
    const found = findingsOf({
      name: "store.yaml",
      files: ["deploy/helm/values/dev.yaml", values],
      namespace: "wallet-dev",
    });
    expect(found).toContain(
      "credentials.stringData.WALLET_DB_URL is a mongodb: URL, but wallet.store is postgresql",
    );
  });

  it("chart - values.schema.json accepts the value sets and good fixtures and refuses every bad fixture, naming the file", () => {
    for (const valueSet of VALUE_SETS)
      expect(valuesFileFindings(root, defaults, validate, valueSet.files, valueSet.name)).toEqual([]);
    expect(lines(fixtureFindings(root, defaults, validate))).toEqual([]);
    const bad = `${VALUES_FIXTURES}/bad/misspelled-variable.yaml`;
    expect(lines(valuesFileFindings(root, defaults, validate, [bad], bad))).toEqual([
      `${bad}: refused by values.schema.json: /wallet/config has LOG_LEVL, which is not allowed; allowed: WALLET_DB_POOL_SIZE, WALLET_GRPC_HOST, WALLET_ADMIN_HOST, OUTBOX_SWEEP_INTERVAL_MS, OUTBOX_BATCH_SIZE, WALLET_DB_BATCH_MAX, WALLET_DB_STATEMENT_TIMEOUT_MS, WALLET_DB_LOCK_TIMEOUT_MS, WALLET_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS, OUTBOX_RETENTION_HOURS, OUTBOX_PRUNE_INTERVAL_MS, HOLD_DEFAULT_TTL_SECONDS, HOLD_MAX_TTL_SECONDS, HOLD_EXPIRY_INTERVAL_MS, DEV_MODE, CREDIT_SCOPE, JWT_ALGORITHMS, JWT_JWKS_URL, JWT_JWKS_REFRESH_MS, JWT_ISSUER, JWT_AUDIENCE, LOG_LEVEL, SHUTDOWN_GRACE_MS`,
    ]);
  });

  it("chart - a bad fixture the schema lets through is reported", () => {
    const fakeRoot = join(scratch, "fixtures-root");
    for (const kind of ["good", "bad"]) mkdirSync(join(fakeRoot, VALUES_FIXTURES, kind), { recursive: true });
    writeFileSync(join(fakeRoot, VALUES_FIXTURES, "good", "ok.yaml"), "wallet:\n  replicas: 4\n");
    writeFileSync(join(fakeRoot, VALUES_FIXTURES, "bad", "not-bad.yaml"), "wallet:\n  replicas: 4\n");
    expect(lines(fixtureFindings(fakeRoot, defaults, validate))).toEqual([
      `${VALUES_FIXTURES}/bad/not-bad.yaml: is accepted by values.schema.json, but it holds a bad value`,
    ]);
  });

  it("chart - the schema's variables follow each service's configShape", () => {
    expect(schemaConfigFindings(join(root, CHART), configs)).toEqual([]);
    const wallet = configs.find((c) => c.facts.name === "wallet") as ServiceConfig;
    const grown = { ...wallet, shape: { ...wallet.shape, WALLET_NEW_SETTING: env.int(1) } };
    const shrunk = {
      ...wallet,
      shape: Object.fromEntries(Object.entries(wallet.shape).filter(([k]) => k !== "OUTBOX_BATCH_SIZE")),
    };
    const where = join(root, CHART, "values.schema.json");
    expect(lines(schemaConfigFindings(join(root, CHART), [grown]))).toEqual([
      `${where}: wallet.config does not allow WALLET_NEW_SETTING, which the wallet reads`,
    ]);
    expect(lines(schemaConfigFindings(join(root, CHART), [shrunk]))).toEqual([
      `${where}: wallet.config allows OUTBOX_BATCH_SIZE, which the wallet does not read or the chart sets elsewhere`,
    ]);
  });

  it("chart - Chart.yaml passes the lint, and a broken one is reported field by field", () => {
    expect(chartLintFindings(root, CHART)).toEqual([]);
    const copy = chartCopy("lint");
    writeFileSync(join(copy, "Chart.yaml"), "apiVersion: v1\nname: Wallet\nversion: '1.0'\nicons: x\n");
    const found = lines(chartLintFindings(root, relative(root, copy)));
    const joined = found.join("\n");
    for (const expected of [
      "unknown field icons",
      "apiVersion must be v2 (Helm 3), found v1",
      "name Wallet must be lowercase letters, digits and -",
      "version must be a SemVer 2 string, found 1.0",
      "appVersion is required",
      "description is required",
    ])
      expect(joined).toContain(expected);
    expect(found.filter((line) => !line.includes("Chart.yaml"))).toEqual([]);
    expect(found.length).toBeGreaterThan(0);
  });

  // kubectl kustomize and three renderings: slow on a loaded machine.
  it("chart - renders the same workloads as the overlays, and names any field that drifts", {
    timeout: 180_000,
  }, () => {
    for (const valueSet of VALUE_SETS.filter((s) => s.overlay)) {
      const overlay = renderOverlay(root, join(root, valueSet.overlay as string));
      expect(lines(overlay.findings)).toEqual([]);
      const chart = rendered(valueSet);
      expect(lines(driftFindings(chart, overlay.rendering as Rendering))).toEqual([]);
    }
    const overlay = renderOverlay(root, join(root, "deploy/k8s/overlays/prod")).rendering as Rendering;
    const chart = rendered(set("prod.yaml"));
    const wallet = deployment(chart, "wallet").spec?.template.spec?.containers[0];
    if (!wallet?.readinessProbe) throw new Error("the wallet has no readiness probe");
    wallet.readinessProbe.periodSeconds = 7;
    configMap(chart, "wallet-config").LOG_LEVEL = "warn";
    const service = findObject(chart.objects, "Service", "wallet-headless");
    (service?.spec as { clusterIP?: string }).clusterIP = undefined;
    chart.objects = chart.objects.filter(
      (o) => !(o.kind === "NetworkPolicy" && o.metadata.name === "notifier"),
    );
    const name = `${CHART} (deploy/helm/values/prod.yaml)`;
    expect(lines(driftFindings(chart, overlay))).toEqual([
      `${name}: Deployment/wallet container wallet readinessProbe: differs from deploy/k8s/overlays/prod: chart {"failureThreshold":2,"httpGet":{"path":"/readyz","port":"admin"},"periodSeconds":7}, overlay {"failureThreshold":2,"httpGet":{"path":"/readyz","port":"admin"},"periodSeconds":5}`,
      `${name}: Deployment/wallet container wallet env LOG_LEVEL: differs from deploy/k8s/overlays/prod: chart "\\"warn\\"", overlay "\\"info\\""`,
      `${name}: Service/wallet-headless spec: differs from deploy/k8s/overlays/prod: chart {"ports":[{"appProtocol":"grpc","name":"grpc","port":50051,"targetPort":"grpc"}],"selector":{"app.kubernetes.io/name":"wallet"}}, overlay {"clusterIP":"None","ports":[{"appProtocol":"grpc","name":"grpc","port":50051,"targetPort":"grpc"}],"selector":{"app.kubernetes.io/name":"wallet"}}`,
      `${name}: NetworkPolicy objects: differs from deploy/k8s/overlays/prod: chart ["default-deny-ingress","gateway","wallet"], overlay ["default-deny-ingress","gateway","notifier","wallet"]`,
    ]);
  });
});
