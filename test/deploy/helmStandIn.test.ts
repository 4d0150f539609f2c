import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildStandIn, type Renderer } from "../../scripts/check-deploy/helmRender.js";
import { runTool } from "../../scripts/check-deploy/tools.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A small chart using the engine features the platform's chart relies on, and a few it must not. */
const FILES: Record<string, string> = {
  "Chart.yaml": "apiVersion: v2\nname: probe\nversion: 1.2.3\nappVersion: '4.5'\n",
  "values.yaml": [
    "name: base",
    "count: 3",
    "big: 1000000",
    "nested:",
    "  keep: kept",
    "  drop: dropped",
    "  list: [a, b]",
    "greeting: 'hello {{ .Release.Name }}'",
    "",
  ].join("\n"),
  "files/script.sh": "echo from a file\n",
  "templates/_helpers.tpl": '{{- define "probe.label" -}}app: {{ .Values.name }}{{- end }}\nNOT RENDERED\n',
  "templates/a.yaml": [
    "kind: A",
    'label: {{ include "probe.label" . | quote }}',
    "count: {{ .Values.count }}",
    "big: {{ .Values.big }}",
    "missing: [{{ .Values.nothing }}]",
    "nested:",
    "  {{- toYaml .Values.nested | nindent 2 }}",
    "greeting: {{ tpl .Values.greeting . }}",
    "release: {{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.Service }}",
    "chart: {{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}",
    'kube: {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has "autoscaling/v2" }}',
    'lookup: {{ len (lookup "v1" "Secret" "ns" "name") }}',
    'json: \'{{ toJson (fromYaml "x: 1") }} {{ (fromJson "{\\"y\\": [1]}").y }}\'',
    'file: {{ .Files.Get "files/script.sh" | trim }}',
    "template: {{ .Template.Name }} {{ .Template.BasePath }}",
    "---",
    "# only a comment",
    "---",
    "{{- if .Values.extra }}",
    "kind: Extra",
    "{{- end }}",
    "",
  ].join("\n"),
  "templates/empty.yaml": "{{- if .Values.never }}\nkind: Never\n{{- end }}\n",
  "templates/NOTES.txt": "Installed {{ .Release.Name }}.\n",
};

let chart: string;
let renderer: Renderer;

function render(...args: string[]) {
  return runTool(renderer.command, ["template", "rel", chart, "-n", "space", ...args], root, "");
}

beforeAll(() => {
  chart = mkdtempSync(join(tmpdir(), "helm-stand-in-"));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(chart, path)), { recursive: true });
    writeFileSync(join(chart, path), text);
  }
  const built = buildStandIn(root);
  if (!("kind" in built)) throw new Error(`${built.where}: ${built.problem}`);
  renderer = built;
}, 120_000);

afterAll(() => rmSync(chart, { recursive: true, force: true }));

describe("helm template stand-in", () => {
  it("stand-in - renders templates as helm template prints them", () => {
    const run = render();
    expect(run.ok && run.stdout).toBe(
      [
        "---",
        "# Source: probe/templates/a.yaml",
        "kind: A",
        'label: "app: base"',
        "count: 3",
        // Values files are read through JSON, so numbers are float64 and large ones print as Helm prints them.
        "big: 1e+06",
        "missing: []",
        "nested:",
        "  drop: dropped",
        "  keep: kept",
        "  list:",
        "  - a",
        "  - b",
        "greeting: hello rel",
        "release: rel/space/Helm",
        "chart: probe-1.2.3-4.5",
        "kube: 30 true",
        "lookup: 0",
        "json: '{\"x\":1} [1]'",
        "file: echo from a file",
        "template: probe/templates/a.yaml probe/templates",
        "---",
        "# Source: probe/templates/a.yaml",
        "# only a comment",
        "",
      ].join("\n"),
    );
  });

  it("stand-in - merges -f files in order over the defaults, types --set values, and null removes a key", () => {
    const values = join(chart, "override.yaml");
    writeFileSync(values, "name: from-file\nnested:\n  drop: null\n  keep: changed\n");
    const run = render("-f", values, "--set", "count=7,extra=true", "--set", "name=from-set");
    expect(run.ok).toBe(true);
    const out = run.ok ? run.stdout : "";
    expect(out).toContain('label: "app: from-set"');
    expect(out).toContain("count: 7\n");
    expect(out).toContain("nested:\n  keep: changed\n  list:");
    expect(out).not.toContain("dropped");
    expect(out).toContain("---\n# Source: probe/templates/a.yaml\nkind: Extra\n");
  });

  it("stand-in - prints NOTES.txt only when asked", () => {
    const run = render("--show-notes");
    expect(run.ok && run.stdout.endsWith("NOTES:\nInstalled rel.\n\n")).toBe(true);
  });

  it("stand-in - fails naming the template: required, fail, a parse error, env, broken YAML", () => {
    const failing: [string, string, RegExp][] = [
      [
        "required",
        '{{ required "name is needed" .Values.nope }}',
        /execution error at \(probe\/templates\/bad.yaml:1:3\): name is needed/,
      ],
      ["fail", '{{ fail "refused" }}', /probe\/templates\/bad.yaml.*refused/],
      ["parse", "{{ .Values.name ", /parse error at \(probe\/templates\/bad.yaml:1\)/],
      [
        "env",
        '{{ env "HOME" }}',
        /parse error at \(probe\/templates\/bad.yaml:1\): function "env" not defined/,
      ],
      ["yaml", "a: b\n c: d: e\n", /YAML parse error on probe\/templates\/bad.yaml/],
    ];
    for (const [name, text, expected] of failing) {
      writeFileSync(join(chart, "templates", "bad.yaml"), text);
      const run = render();
      expect(run.ok, name).toBe(false);
      expect(run.ok ? "" : run.reason, name).toMatch(expected);
    }
    rmSync(join(chart, "templates", "bad.yaml"));
  });
});
