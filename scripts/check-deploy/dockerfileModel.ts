import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";

/** One instruction, flattened: keyword, arguments without flags, the --from flag, 1-based line. */
export interface Step {
  keyword: string;
  args: string;
  from?: string;
  line: number;
}

/** A build stage: its FROM image and name, and its steps. */
export interface Stage {
  image: string;
  name?: string;
  steps: Step[];
}

export interface DockerfileModel {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
  /** What the linter reports, with 1-based lines. */
  diagnostics: { line: number; message: string }[];
}

/** Parses and lints a Dockerfile with dockerfile-ast and dockerfile-utils (offline, no daemon). */
export function parseDockerfile(text: string): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string | undefined>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property?.getName()) globalArgs.set(property.getName(), property.getValue() ?? undefined);
  }
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const line = instruction.getRange().start.line + 1;
    const args = instruction.getArgumentsContent() ?? "";
    if (keyword === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ image: match?.[1] ?? "", name: match?.[2], steps: [] });
      continue;
    }
    const fromFlag = (
      instruction as { getFromFlag?: () => { getValue(): string | null } | null }
    ).getFromFlag?.();
    stages.at(-1)?.steps.push({ keyword, args, from: fromFlag?.getValue() ?? undefined, line });
  }
  const diagnostics = validate(text).map((d) => ({
    line: d.range.start.line + 1,
    message: typeof d.message === "string" ? d.message : d.message.value,
  }));
  return { globalArgs, stages, diagnostics };
}

/** The JSON array of an exec-form instruction (CMD ["node", …]), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Dockerfile as `docker build --build-arg NAME=VALUE …` builds it: the given build args
 * substituted in FROM lines and instructions, and only the stages the last one needs (its parent
 * stages and those it copies from), in their order.
 */
export function withBuildArgs(model: DockerfileModel, args: Record<string, string>): DockerfileModel {
  const substitute = (text: string) =>
    text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      return Object.hasOwn(args, name) ? args[name] : whole;
    });
  const stages: Stage[] = model.stages.map((stage) => ({
    image: substitute(stage.image),
    name: stage.name,
    steps: stage.steps.map((step) => ({
      ...step,
      args: substitute(step.args),
      from: step.from === undefined ? undefined : substitute(step.from),
    })),
  }));
  const needed = new Set<number>();
  const visit = (index: number) => {
    if (index < 0 || needed.has(index)) return;
    needed.add(index);
    const stage = stages[index];
    const earlier = (name: string | undefined) =>
      stages.findIndex((s, i) => i < index && s.name !== undefined && s.name === name);
    visit(earlier(stage.image));
    for (const step of stage.steps) if (step.from) visit(earlier(step.from));
  };
  visit(stages.length - 1);
  return { ...model, stages: stages.filter((_, i) => needed.has(i)) };
}

/** The last stage with the steps of the stages it is built FROM folded in, parents first. */
export function finalStage(model: DockerfileModel): Stage | undefined {
  const chain: Stage[] = [];
  let index = model.stages.length - 1;
  while (index >= 0) {
    const stage = model.stages[index];
    chain.unshift(stage);
    index = model.stages.findIndex((s, i) => i < index && s.name !== undefined && s.name === stage.image);
  }
  const last = chain.at(-1);
  if (!last) return undefined;
  return { image: chain[0].image, name: last.name, steps: chain.flatMap((s) => s.steps) };
}
