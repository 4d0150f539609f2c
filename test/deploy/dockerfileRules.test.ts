import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { finalStage, parseDockerfile, withBuildArgs } from "../../scripts/check-deploy/dockerfileModel.js";
import { dockerfileFindings, installedWorkspaces } from "../../scripts/check-deploy/dockerfileRules.js";
import { walletConfig } from "./fixtures.js";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const walletDockerfile = readFileSync(`${root}/Dockerfile`, "utf8");
const dockerignore = readFileSync(`${root}/.dockerignore`, "utf8");

const problemsOf = (text: string, ignore = dockerignore) =>
  dockerfileFindings(withBuildArgs(parseDockerfile(text), { SERVICE: "wallet" }), {
    config: walletConfig(),
    root,
    dockerignore: ignore,
    where: "w",
  }).map((f) => f.problem);

describe("dockerfile rules", () => {
  it("dockerfile rules - accept the wallet's Dockerfile", () => {
    expect(problemsOf(walletDockerfile)).toEqual([]);
    expect(
      installedWorkspaces(withBuildArgs(parseDockerfile(walletDockerfile), { SERVICE: "wallet" })),
    ).toEqual(["services/wallet", "packages/runtime", "packages/auth", "packages/contracts"]);
  });

  it("dockerfile rules - SERVICE picks the service's stages and settings from the one Dockerfile", () => {
    const model = parseDockerfile(walletDockerfile);
    const gateway = withBuildArgs(model, { SERVICE: "gateway" });
    expect(gateway.stages.map((s) => s.name ?? s.image)).toEqual([
      "build",
      "deps",
      "runtime",
      "gateway",
      "gateway",
    ]);
    expect(installedWorkspaces(gateway)).toContain("services/gateway");
    const steps = finalStage(gateway)?.steps ?? [];
    expect(steps.filter((s) => s.keyword === "EXPOSE").map((s) => s.args)).toEqual(["3000"]);
    expect(steps.some((s) => s.keyword === "COPY" && s.args.includes("services/gateway/dist"))).toBe(true);
    expect(steps.at(-1)?.args).toContain("services/gateway/dist/main.js");
    const unknown = dockerfileFindings(withBuildArgs(model, { SERVICE: "ledger" }), {
      config: walletConfig(),
      root,
      dockerignore,
      where: "w",
    }).map((f) => f.problem);
    expect(unknown).toContain(`FROM ledger: stages must start from node:\${NODE_VERSION}-<variant>`);
  });

  it("dockerfile rules - report what the linter rejects, with its line", () => {
    const problems = problemsOf(`${walletDockerfile}COPY --chmown=1000 a b\nRUNN true\n`);
    expect(problems.some((p) => /^line \d+: Unknown flag: chmown$/.test(p))).toBe(true);
    expect(problems.some((p) => /^line \d+: Unknown instruction: RUNN$/.test(p))).toBe(true);
  });

  // Each rule: edits ([from, to], in turn) that break the wallet's Dockerfile, and exactly the problems reported.
  const broken: { rule: string; edits: [string | RegExp, string][]; problems: string[] }[] = [
    {
      rule: "require a non-root user and node started in exec form",
      edits: [
        ["USER 1000:1000", "USER root"],
        [/^CMD \["node".*wallet.*$/m, "CMD npm start"],
      ],
      problems: [
        "the final stage must switch to a numeric non-root USER",
        'must start node in exec form (CMD ["node", …], or tini), so SIGTERM reaches it',
      ],
    },
    {
      rule: "require production-only dependencies and the Node LTS base",
      edits: [
        ["ARG NODE_VERSION=26", "ARG NODE_VERSION=25"],
        ["--omit=dev --no-audit", "--no-audit"],
      ],
      problems: [
        "must declare ARG NODE_VERSION=<even LTS major ≥ 22> before the first FROM",
        "the final stage must copy node_modules from a stage that ran npm ci --omit=dev",
        "must install production dependencies with npm ci --omit=dev -w services/wallet",
      ],
    },
    {
      rule: "the HEALTHCHECK and EXPOSE follow the service's ports",
      edits: [
        ['"WALLET_ADMIN_PORT", "9464"', '"WALLET_ADMIN_PORT", "9000"'],
        ["EXPOSE 50051 9464", "EXPOSE 50051"],
      ],
      problems: [
        "HEALTHCHECK must probe WALLET_ADMIN_PORT (default 9464) at one of /healthz, /readyz",
        "EXPOSE 50051 differs from the ports the wallet listens on (9464 50051)",
      ],
    },
  ];
  for (const { rule, edits, problems } of broken) {
    it(`dockerfile rules - ${rule}`, () => {
      const text = edits.reduce((t, [from, to]) => t.replace(from, to), walletDockerfile);
      expect(problemsOf(text)).toEqual(problems);
    });
  }

  it("dockerfile rules - report context files the .dockerignore drops", () => {
    expect(problemsOf(walletDockerfile, `${dockerignore}\ndeploy\n`)).toEqual([
      expect.stringMatching(
        /^line \d+: COPY source deploy\/docker\/healthcheck.mjs is excluded by .dockerignore$/,
      ),
    ]);
  });
});
