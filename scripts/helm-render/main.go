// Command helm-render renders a Helm chart the way `helm template` does, for machines where the
// helm binary cannot be installed. It is built from Debian's Go packages in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o helm-render ./scripts/helm-render
//
// What it matches in Helm 3's engine (pkg/engine): Go's text/template with missingkey=zero and
// "<no value>" removed from the output; sprig's TxtFuncMap without env and expandenv; Helm's
// include (with its recursion limit), tpl, required, toYaml, fromYaml, fromYamlArray, toJson,
// fromJson, fromJsonArray and lookup (always empty: there is no cluster); templates parsed by path
// depth then name, partials (_*.tpl) parsed but not rendered; .Values coalesced from values.yaml,
// then the -f files and --set values in order (maps merge, null deletes a default key), with
// numbers from YAML files read as float64 as Helm's YAML-to-JSON reader does and --set integers as
// int64; .Release, .Chart, .Capabilities and .Template; each file split into documents, empty
// documents dropped, every document parsed as YAML, and printed as `---\n# Source: …`.
//
// .Files holds the chart's other files (Get and GetBytes). What it leaves out: subcharts, the
// other .Files helpers, values.schema.json validation (the deploy checks
// validate values with a JSON-schema library instead) and manifest sorting by kind.
//
// Usage: helm-render template RELEASE CHART [-n NAMESPACE] [-f VALUES]... [--set KEY=VALUE]...
// [--kube-version vX.Y.Z] [--show-notes]
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	sprig "github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v2"
)

// Metadata is Chart.yaml as templates see it through .Chart (Helm's chart.Metadata field names).
type Metadata struct {
	Name         string            `yaml:"name"`
	Home         string            `yaml:"home"`
	Sources      []string          `yaml:"sources"`
	Version      string            `yaml:"version"`
	Description  string            `yaml:"description"`
	Keywords     []string          `yaml:"keywords"`
	Icon         string            `yaml:"icon"`
	APIVersion   string            `yaml:"apiVersion"`
	Condition    string            `yaml:"condition"`
	Tags         string            `yaml:"tags"`
	AppVersion   string            `yaml:"appVersion"`
	Deprecated   bool              `yaml:"deprecated"`
	Annotations  map[string]string `yaml:"annotations"`
	KubeVersion  string            `yaml:"kubeVersion"`
	Type         string            `yaml:"type"`
	Maintainers  []interface{}     `yaml:"maintainers"`
	Dependencies []interface{}     `yaml:"dependencies"`
}

// KubeVersion mirrors chartutil.KubeVersion.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

// String returns the version, as {{ .Capabilities.KubeVersion }} prints it.
func (k KubeVersion) String() string { return k.Version }

// GitVersion is the deprecated alias Helm keeps.
func (k KubeVersion) GitVersion() string { return k.Version }

// VersionSet mirrors chartutil.VersionSet.
type VersionSet []string

// Has tells whether an apiVersion (or apiVersion/Kind) is available.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// HelmVersion stands in for Helm's build information.
type HelmVersion struct {
	Version string
}

// Capabilities mirrors chartutil.Capabilities.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion HelmVersion
}

// The API versions of a current cluster that this platform's chart may ask about.
var defaultAPIVersions = VersionSet{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "apiextensions.k8s.io/v1",
	"admissionregistration.k8s.io/v1", "coordination.k8s.io/v1", "storage.k8s.io/v1",
	"scheduling.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "node.k8s.io/v1",
}

const recursionMaxNums = 1000

// Files mirrors the engine's files: the chart's files outside templates/, by slash path.
type Files map[string][]byte

// Get returns a file's content, or "" when there is no such file.
func (f Files) Get(name string) string { return string(f[name]) }

// GetBytes returns a file's content as bytes.
func (f Files) GetBytes(name string) []byte { return f[name] }

func chartFiles(chartDir string) (Files, error) {
	files := Files{}
	err := filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(chartDir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "templates" || rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		switch rel {
		case "Chart.yaml", "values.yaml", "values.schema.json", "Chart.lock", ".helmignore":
			return nil
		}
		data, err := ioutil.ReadFile(p)
		files[rel] = data
		return err
	})
	return files, err
}

type options struct {
	release     string
	chart       string
	namespace   string
	valueFiles  []string
	sets        []string
	kubeVersion string
	showNotes   bool
}

func main() {
	opts, err := parseArgs(os.Args[1:])
	if err == nil {
		err = run(opts)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "Error: %s\n", err)
		os.Exit(1)
	}
}

func parseArgs(args []string) (options, error) {
	o := options{namespace: "default", kubeVersion: "v1.30.0"}
	if len(args) == 0 || args[0] != "template" {
		return o, errors.New("usage: helm-render template RELEASE CHART [-n NS] [-f FILE]... [--set K=V]... [--kube-version V] [--show-notes]")
	}
	var positional []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		value := func() (string, error) {
			if eq := strings.Index(a, "="); eq >= 0 && strings.HasPrefix(a, "--") {
				return a[eq+1:], nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", a)
			}
			i++
			return args[i], nil
		}
		name := a
		if eq := strings.Index(a, "="); eq >= 0 && strings.HasPrefix(a, "--") {
			name = a[:eq]
		}
		var err error
		var v string
		switch name {
		case "-n", "--namespace":
			v, err = value()
			o.namespace = v
		case "-f", "--values":
			v, err = value()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = value()
			o.sets = append(o.sets, v)
		case "--kube-version":
			v, err = value()
			o.kubeVersion = v
		case "--show-notes":
			o.showNotes = true
		default:
			if strings.HasPrefix(a, "-") {
				return o, fmt.Errorf("unknown flag: %s", a)
			}
			positional = append(positional, a)
		}
		if err != nil {
			return o, err
		}
	}
	if len(positional) != 2 {
		return o, errors.New("template needs RELEASE and CHART")
	}
	o.release, o.chart = positional[0], positional[1]
	return o, nil
}

func run(o options) error {
	chartDir := filepath.Clean(o.chart)
	metaBytes, err := ioutil.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return fmt.Errorf("Chart.yaml file is missing: %v", err)
	}
	var meta Metadata
	if err := yaml.Unmarshal(metaBytes, &meta); err != nil {
		return fmt.Errorf("cannot load Chart.yaml: %v", err)
	}
	if meta.APIVersion != "v2" {
		return fmt.Errorf("Chart.yaml: apiVersion must be v2, found %q", meta.APIVersion)
	}
	if meta.Name == "" || meta.Version == "" {
		return errors.New("Chart.yaml: name and version are required")
	}

	defaults := map[string]interface{}{}
	if data, err := ioutil.ReadFile(filepath.Join(chartDir, "values.yaml")); err == nil {
		if defaults, err = readValues(data); err != nil {
			return fmt.Errorf("cannot load values.yaml: %v", err)
		}
	}
	user := map[string]interface{}{}
	for _, file := range o.valueFiles {
		data, err := ioutil.ReadFile(file)
		if err != nil {
			return fmt.Errorf("failed to read values file %s: %v", file, err)
		}
		values, err := readValues(data)
		if err != nil {
			return fmt.Errorf("failed to parse %s: %v", file, err)
		}
		user = mergeMaps(user, values)
	}
	for _, set := range o.sets {
		if err := parseSet(set, user); err != nil {
			return fmt.Errorf("failed parsing --set data: %v", err)
		}
	}
	values := coalesce(user, defaults)

	chartFileSet, err := chartFiles(chartDir)
	if err != nil {
		return err
	}
	kv := strings.TrimPrefix(o.kubeVersion, "v")
	parts := strings.SplitN(kv, ".", 3)
	if len(parts) < 2 {
		return fmt.Errorf("invalid --kube-version %q", o.kubeVersion)
	}
	caps := &Capabilities{
		KubeVersion: KubeVersion{Version: "v" + kv, Major: parts[0], Minor: parts[1]},
		APIVersions: defaultAPIVersions,
		HelmVersion: HelmVersion{Version: "v3-compatible"},
	}
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{
			"Name":      o.release,
			"Namespace": o.namespace,
			"IsInstall": true,
			"IsUpgrade": false,
			"Revision":  1,
			"Service":   "Helm",
		},
		"Chart":        &meta,
		"Capabilities": caps,
		"Files":        chartFileSet,
	}

	files, err := templateFiles(chartDir, meta.Name)
	if err != nil {
		return err
	}
	rendered, err := render(files, top)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(rendered))
	for name := range rendered {
		names = append(names, name)
	}
	sort.Strings(names)
	var out strings.Builder
	notes := ""
	for _, name := range names {
		content := rendered[name]
		if path.Base(name) == "NOTES.txt" {
			notes = content
			continue
		}
		for _, doc := range splitManifests(content) {
			var probe interface{}
			if err := yaml.Unmarshal([]byte(doc), &probe); err != nil {
				return fmt.Errorf("YAML parse error on %s: %v", name, err)
			}
			// A document of comments only is kept, as Helm keeps it.
			if _, ok := probe.(map[interface{}]interface{}); !ok && probe != nil {
				return fmt.Errorf("YAML parse error on %s: a document is not a mapping", name)
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, doc)
		}
	}
	if o.showNotes {
		fmt.Fprintf(&out, "NOTES:\n%s\n", notes)
	}
	_, err = os.Stdout.WriteString(out.String())
	return err
}

// templateFiles reads templates/ of the chart, keyed "<chart>/templates/<path>" as Helm names them.
func templateFiles(chartDir, chartName string) (map[string]string, error) {
	files := map[string]string{}
	root := filepath.Join(chartDir, "templates")
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(chartDir, p)
		if err != nil {
			return err
		}
		data, err := ioutil.ReadFile(p)
		if err != nil {
			return err
		}
		files[path.Join(chartName, filepath.ToSlash(rel))] = string(data)
		return nil
	})
	return files, err
}

var warnRegex = regexp.MustCompile(`HELM_ERR_START(.*)HELM_ERR_END`)

func warnWrap(warn string) string { return "HELM_ERR_START" + warn + "HELM_ERR_END" }

// render parses every template into one set, then executes the ones that are not partials.
func render(files map[string]string, top map[string]interface{}) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	t := template.New("gotpl").Option("missingkey=zero")
	includedNames := map[string]int{}
	funcs := funcMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > recursionMaxNums {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		includedNames[name]++
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		includedNames[name]--
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, vals map[string]interface{}) (string, error) {
		tmpl, ok := vals["Template"].(map[string]interface{})
		if !ok {
			return "", fmt.Errorf("cannot retrieve Template.Name from values inside tpl function: %s", text)
		}
		name, _ := tmpl["Name"].(string)
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		if _, err := clone.New(name).Parse(text); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, cleanupParseError(name, err))
		}
		var buf strings.Builder
		if err := clone.ExecuteTemplate(&buf, name, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, cleanupExecError(name, err))
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(warn string, val interface{}) (interface{}, error) {
		if val == nil {
			return val, errors.New(warnWrap(warn))
		}
		if s, ok := val.(string); ok && s == "" {
			return val, errors.New(warnWrap(warn))
		}
		return val, nil
	}
	t.Funcs(funcs)

	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	// Helm parses deeper paths last, names in order within a depth.
	sort.Slice(keys, func(i, j int) bool {
		ci, cj := strings.Count(keys[i], "/"), strings.Count(keys[j], "/")
		if ci == cj {
			return keys[i] < keys[j]
		}
		return ci < cj
	})
	for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
		keys[i], keys[j] = keys[j], keys[i]
	}
	for _, name := range keys {
		if _, err := t.New(name).Parse(files[name]); err != nil {
			return nil, cleanupParseError(name, err)
		}
	}
	rendered = map[string]string{}
	for _, name := range keys {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		vals := map[string]interface{}{}
		for k, v := range top {
			vals[k] = v
		}
		vals["Template"] = map[string]interface{}{"Name": name, "BasePath": strings.SplitN(name, "/templates/", 2)[0] + "/templates"}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, vals); err != nil {
			return nil, cleanupExecError(name, err)
		}
		rendered[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return rendered, nil
}

func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

func cleanupExecError(filename string, err error) error {
	if _, ok := err.(template.ExecError); !ok {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

var sep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// splitManifests splits a rendered file into its YAML documents, dropping empty ones.
func splitManifests(content string) []string {
	var docs []string
	for _, d := range sep.Split(content, -1) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		docs = append(docs, strings.TrimSpace(d))
	}
	return docs
}

// funcMap is sprig's text functions without env and expandenv, plus Helm's data functions.
func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toYaml":        toYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"toToml":        func(interface{}) string { return "" },
		// Late-bound in render; these keep parsing possible.
		"include":  func(string, interface{}) string { return "not implemented" },
		"tpl":      func(string, interface{}) interface{} { return "not implemented" },
		"required": func(string, interface{}) (interface{}, error) { return "not implemented", nil },
		// No cluster: Helm's lookup returns an empty map when it is not connected.
		"lookup": func(string, string, string, string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// toYAML marshals like sigs.k8s.io/yaml: through JSON, then YAML, trailing newline removed.
func toYAML(v interface{}) string {
	out, err := jsonToYAML(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(out, "\n")
}

func jsonToYAML(v interface{}) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var obj interface{}
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return "", err
	}
	y, err := yaml.Marshal(obj)
	return string(y), err
}

func fromYAML(str string) map[string]interface{} {
	m := map[string]interface{}{}
	v, err := yamlToJSONValue([]byte(str))
	if err == nil {
		if mm, ok := v.(map[string]interface{}); ok {
			m = mm
		} else if v != nil {
			err = errors.New("error unmarshaling JSON: cannot unmarshal into a map")
		}
	}
	if err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(str string) []interface{} {
	v, err := yamlToJSONValue([]byte(str))
	if err != nil {
		return []interface{}{err.Error()}
	}
	a, ok := v.([]interface{})
	if !ok {
		return []interface{}{"error unmarshaling JSON: not an array"}
	}
	return a
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(str string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(str string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(str), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

// yamlToJSONValue reads YAML as sigs.k8s.io/yaml does: string keys, numbers as float64.
func yamlToJSONValue(data []byte) (interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	converted, err := stringKeys(raw)
	if err != nil {
		return nil, err
	}
	j, err := json.Marshal(converted)
	if err != nil {
		return nil, err
	}
	var out interface{}
	err = json.Unmarshal(j, &out)
	return out, err
}

func stringKeys(v interface{}) (interface{}, error) {
	switch x := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(x))
		for k, val := range x {
			c, err := stringKeys(val)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, val := range x {
			c, err := stringKeys(val)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

func readValues(data []byte) (map[string]interface{}, error) {
	v, err := yamlToJSONValue(data)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, errors.New("values must be a YAML mapping")
	}
	return m, nil
}

// mergeMaps merges b into a, b winning, maps merged key by key (Helm's values-file merge).
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]interface{}); ok {
			if bv, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(bv, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce fills dst with the chart's defaults from src; a null in dst deletes the default key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for key, val := range src {
		dv, present := dst[key]
		if !present {
			dst[key] = copyValue(val)
			continue
		}
		if dv == nil {
			delete(dst, key)
			continue
		}
		srcMap, srcIsMap := val.(map[string]interface{})
		dstMap, dstIsMap := dv.(map[string]interface{})
		if srcIsMap && dstIsMap {
			coalesce(dstMap, srcMap)
		}
	}
	for key, val := range dst {
		if val == nil {
			delete(dst, key)
		}
	}
	return dst
}

func copyValue(v interface{}) interface{} {
	if m, ok := v.(map[string]interface{}); ok {
		out := make(map[string]interface{}, len(m))
		for k, val := range m {
			if val == nil {
				continue
			}
			out[k] = copyValue(val)
		}
		return out
	}
	return v
}

// parseSet applies one --set argument: comma-separated key=value pairs with dotted keys
// (a backslash escapes a dot or comma), typed as Helm's strvals types them.
func parseSet(s string, into map[string]interface{}) error {
	for _, pair := range splitUnescaped(s, ',') {
		eq := strings.Index(pair, "=")
		if eq <= 0 {
			return fmt.Errorf("key %q has no value", pair)
		}
		keyPart, raw := pair[:eq], pair[eq+1:]
		keys := splitUnescaped(keyPart, '.')
		current := into
		for i, k := range keys {
			if strings.ContainsAny(k, "[]{}") {
				return fmt.Errorf("key %q: list syntax is not supported here", keyPart)
			}
			if i == len(keys)-1 {
				current[k] = typedVal(raw)
				break
			}
			next, ok := current[k].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				current[k] = next
			}
			current = next
		}
	}
	return nil
}

func splitUnescaped(s string, sep byte) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == sep || s[i+1] == '\\') {
			cur.WriteByte(s[i+1])
			i++
			continue
		}
		if s[i] == sep {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(s[i])
	}
	return append(parts, cur.String())
}

func typedVal(v string) interface{} {
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if v == "0" {
		return int64(0)
	}
	if len(v) > 0 && v[0] != '0' {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}
